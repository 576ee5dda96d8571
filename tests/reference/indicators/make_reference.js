#!/usr/bin/env node
// Generates the expected indicator values that tests/unit/test_indicators.c
// checks shared/indicators.c against. Run by hand (see README.md); the output
// is committed so the tests never need node.
//
//   NODE_PATH=/tmp/talib-ref/node_modules node make_reference.js \
//       btcusdt_1h_300.csv > btcusdt_1h_ref.csv
//
// SMA, EMA, RSI, ATR, MACD and BBANDS come from TA-Lib's own C code through
// the npm `talib` binding, called over the whole series (startIdx 0), default
// compatibility mode, no unstable period. TA-Lib has no VWAP and no realised
// volatility, so those two are computed here in plain JavaScript straight
// from their definitions; the realised volatility is cross-checked against
// TA-Lib's VAR (population variance) rescaled to the sample variance.
//
// Output: one CSV row per input candle, `index` first, then one column per
// indicator/parameter set; warm-up cells hold `nan`. Numbers are printed in
// JavaScript's shortest round-trip form, so every double is exact.
'use strict';

const fs = require('fs');
const talib = require('talib');

function readCandles(path) {
  const lines = fs.readFileSync(path, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const col = (name) => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`${path}: no column ${name}`);
    return i;
  };
  const cols = ['open_time', 'high', 'low', 'close', 'volume'].map(col);
  const c = { open_time: [], high: [], low: [], close: [], volume: [] };
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    ['open_time', 'high', 'low', 'close', 'volume'].forEach((k, j) => {
      const v = Number(f[cols[j]]);
      if (!Number.isFinite(v)) throw new Error(`${path}: bad ${k} in: ${line}`);
      c[k].push(v);
    });
  }
  return c;
}

// Runs one TA-Lib function over the whole series and spreads each output to
// full length, NaN before TA-Lib's begIndex.
function ta(name, n, args) {
  const r = talib.execute({ name, startIdx: 0, endIdx: n - 1, ...args });
  if (r.error) throw new Error(`${name}: ${r.error}`);
  const out = {};
  for (const [key, vals] of Object.entries(r.result)) {
    if (r.begIndex + r.nbElement !== n || vals.length !== r.nbElement)
      throw new Error(`${name}: unexpected output span`);
    out[key] = new Array(r.begIndex).fill(NaN).concat(vals);
  }
  return out;
}

// Volume-weighted typical price, cumulative from `from` (NaN before it and
// until some volume has traded).
function vwap(c, from) {
  const n = c.close.length;
  const out = new Array(n).fill(NaN);
  let pv = 0;
  let vol = 0;
  for (let i = from; i < n; i++) {
    const tp = (c.high[i] + c.low[i] + c.close[i]) / 3;
    pv += tp * c.volume[i];
    vol += c.volume[i];
    if (vol > 0) out[i] = pv / vol;
  }
  return out;
}

// Sample standard deviation (n-1) of the last `w` log returns, two-pass.
function realisedVol(close, w) {
  const n = close.length;
  const out = new Array(n).fill(NaN);
  for (let i = w; i < n; i++) {
    const r = [];
    for (let j = i - w + 1; j <= i; j++) r.push(Math.log(close[j] / close[j - 1]));
    const mean = r.reduce((a, b) => a + b, 0) / w;
    const ss = r.reduce((a, b) => a + (b - mean) * (b - mean), 0);
    out[i] = Math.sqrt(ss / (w - 1));
  }
  return out;
}

function crossCheckVol(close, w, vol) {
  const n = close.length;
  const logret = [NaN];
  for (let i = 1; i < n; i++) logret.push(Math.log(close[i] / close[i - 1]));
  const v = ta('VAR', n - 1, { inReal: logret.slice(1), optInTimePeriod: w, optInNbDev: 1 }).outReal;
  for (let i = w; i < n; i++) {
    const fromTa = Math.sqrt(v[i - 1] * w / (w - 1));
    // VAR uses mean(x^2) - mean(x)^2, which loses ~1e-16 * mean(x^2) to
    // cancellation: hence the absolute floor (log returns are ~1e-3).
    if (Math.abs(fromTa - vol[i]) > Math.max(1e-9 * Math.abs(vol[i]), 1e-12))
      throw new Error(`rvol_${w} at ${i}: ${vol[i]} vs TA-Lib VAR ${fromTa}`);
  }
}

function main() {
  const path = process.argv[2];
  if (!path) throw new Error('usage: make_reference.js candles.csv > ref.csv');
  const c = readCandles(path);
  const n = c.close.length;
  const hlc = { high: c.high, low: c.low, close: c.close };
  const cols = { index: [...Array(n).keys()] };

  for (const p of [20, 5]) cols[`sma_${p}`] = ta('SMA', n, { inReal: c.close, optInTimePeriod: p }).outReal;
  for (const p of [20, 9]) cols[`ema_${p}`] = ta('EMA', n, { inReal: c.close, optInTimePeriod: p }).outReal;
  for (const p of [14, 2]) cols[`rsi_${p}`] = ta('RSI', n, { inReal: c.close, optInTimePeriod: p }).outReal;
  for (const p of [14, 1]) cols[`atr_${p}`] = ta('ATR', n, { ...hlc, optInTimePeriod: p }).outReal;
  for (const [f, s, g] of [[12, 26, 9], [3, 10, 16]]) {
    const m = ta('MACD', n, { inReal: c.close, optInFastPeriod: f, optInSlowPeriod: s, optInSignalPeriod: g });
    const tag = `${f}_${s}_${g}`;
    cols[`macd_${tag}`] = m.outMACD;
    cols[`macd_signal_${tag}`] = m.outMACDSignal;
    cols[`macd_hist_${tag}`] = m.outMACDHist;
  }
  for (const [p, k] of [[20, 2], [10, 1.5]]) {
    const b = ta('BBANDS', n, { inReal: c.close, optInTimePeriod: p, optInNbDevUp: k, optInNbDevDn: k, optInMAType: 0 });
    const tag = `${p}_${k}`;
    cols[`bb_upper_${tag}`] = b.outRealUpperBand;
    cols[`bb_middle_${tag}`] = b.outRealMiddleBand;
    cols[`bb_lower_${tag}`] = b.outRealLowerBand;
  }
  for (const from of [0, 150]) cols[`vwap_from_${from}`] = vwap(c, from);
  for (const w of [20, 2]) {
    cols[`rvol_${w}`] = realisedVol(c.close, w);
    crossCheckVol(c.close, w, cols[`rvol_${w}`]);
  }

  const names = Object.keys(cols);
  const fmt = (x) => (Number.isNaN(x) ? 'nan' : String(x));
  const rows = [names.join(',')];
  for (let i = 0; i < n; i++) rows.push(names.map((k) => fmt(cols[k][i])).join(','));
  process.stdout.write(rows.join('\n') + '\n');
}

main();

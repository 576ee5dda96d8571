#!/usr/bin/env python3
"""Writes the hand-computed scenarios' data (tests/scenarios/parity/hand_01,
hand_02; run from anywhere, no arguments): a scripted BTCUSDT price path on
2025-06-02 UTC, in whole USDT (every price on the 0.10 tick), in the layout
of tests/data/binance (the depth snapshot and exchangeInfo are copies of
tests/data/binance's).

The higher timeframes are a backdrop, kept below the 5m path so no swing high
caps a take-profit: 1d and 4h rise steadily (both trend votes +1), every 1h
candle spans exactly 500 (high - low = 500, the previous close inside it, so
Wilder's ATR(14) on 1h is exactly 500) and rises 100 (RSI 100: the momentum
vote is 0). The built-in model then says LONG (prob 0.75) exactly when the
5m close is above its 20-bar VWAP with the 5m RSI below 75, else FLAT.

The 5m path (open = the previous close, volume 10), each phase (candles,
move per candle, wick[, gap: the phase's first open this far from the last
close]):"""
import os
import shutil

DAY = 1748822400000  # 2025-06-02T00:00:00Z
M5, H1, H4, D1 = 300000, 3600000, 4 * 3600000, 86400000

HAND_01 = [
    (73, -5, 5),    # 23:55 (the day before)-05:55 drift down: close below VWAP, FLAT
    (6, 20, 5),     # 06:00-06:25 turn up: the first LONG once close > VWAP
    (12, 100, 10),  # 06:30-07:25 rally: its take-profit fires
    (42, -15, 5),   # 07:30-10:55 drift down: FLAT (the 5m RSI cools)
    (6, 20, 5),     # 11:00-11:25 turn up: the second LONG
    (60, 5, 5),     # 11:30-16:25 creep up, holding through the 16:00 funding
    (8, -100, 10),  # 16:30-17:05 drop: its stop fires
    (82, -5, 5),    # 17:10-23:55 drift down: FLAT
]

# hand_02: hand_01 until the second trade's creep; then the 16:30 candle
# opens 600 below the 16:25 close, through the stop (a gap: it fills at the
# open, at the step, as live) and the path drifts down.
HAND_02 = HAND_01[:6] + [
    (1, -5, 5, -600),  # 16:30 gaps down to 100645.0, through the stop 100775.1
    (89, -5, 5),       # 16:35-23:55 drift down: FLAT
]
START = 100500


def row(t, iv, o, h, l, c, v=10):
    return f"{t},{o:.1f},{h:.1f},{l:.1f},{c:.1f},{v},{t + iv - 1},,,,,0\n"


HEADER = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,"
          "taker_buy_volume,taker_buy_quote_volume,ignore\n")


BASE = os.path.dirname(os.path.abspath(__file__))


def write(folder, name, rows):
    with open(os.path.join(BASE, folder, name), "w") as f:
        f.write(HEADER)
        f.writelines(rows)


def backdrop(iv, first, count, start, rise, above, below):
    """count candles of iv from first: each opens at the last close, rises
    `rise`, its high `above` over the close and its low `below` the open."""
    rows, p = [], start
    for i in range(count):
        rows.append(row(first + i * iv, iv, p, p + rise + above, p - below, p + rise))
        p += rise
    return rows


def scenario(folder, phases):
    for sub in ("klines", "funding", "depth"):
        os.makedirs(os.path.join(BASE, folder, sub), exist_ok=True)
    bundled = os.path.join(BASE, "..", "..", "data", "binance")
    for name in ("exchangeInfo.json", "depth/BTCUSDT-futures-depth-snapshot-bids.csv"):
        shutil.copyfile(os.path.join(bundled, name), os.path.join(BASE, folder, name))
    rows, t, p = [], DAY - M5, START
    for phase in phases:
        n, d, w = phase[:3]
        p += phase[3] if len(phase) > 3 else 0
        for _ in range(n):
            c = p + d
            rows.append(row(t, M5, p, max(p, c) + w, min(p, c) - w, c))
            t, p = t + M5, c
    assert t == DAY + D1, "the 5m path covers the day"
    write(folder, "klines/BTCUSDT-5m.csv", rows)
    # 80 candles before the day and those of the day; 1h: high - low = 500
    write(folder, "klines/BTCUSDT-1h.csv", backdrop(H1, DAY - 80 * H1, 104, 60000, 100, 200, 200))
    write(folder, "klines/BTCUSDT-4h.csv", backdrop(H4, DAY - 80 * H4, 86, 55000, 300, 50, 50))
    write(folder, "klines/BTCUSDT-1d.csv", backdrop(D1, DAY - 80 * D1, 81, 50000, 400, 50, 50))
    with open(os.path.join(BASE, folder, "funding/BTCUSDT-funding.csv"), "w") as f:
        f.write("funding_time,symbol,funding_rate\n")
        for i in range(4):  # the day before 16:00 .. the day 16:00
            f.write(f"{DAY - D1 // 3 + i * (D1 // 3)},BTCUSDT,0.00010000\n")


scenario("hand_01", HAND_01)
scenario("hand_02", HAND_02)

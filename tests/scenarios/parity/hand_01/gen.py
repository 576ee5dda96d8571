#!/usr/bin/env python3
"""Writes the hand-computed scenario's data (tests/scenarios/parity/hand_01):
a scripted BTCUSDT price path on 2025-06-02 UTC, in whole USDT (every price
on the 0.10 tick), in the layout of tests/data/binance.

The higher timeframes are a backdrop, kept below the 5m path so no swing high
caps a take-profit: 1d and 4h rise steadily (both trend votes +1), every 1h
candle spans exactly 500 (high - low = 500, the previous close inside it, so
Wilder's ATR(14) on 1h is exactly 500) and rises 100 (RSI 100: the momentum
vote is 0). The built-in model then says LONG (prob 0.75) exactly when the
5m close is above its 20-bar VWAP with the 5m RSI below 75, else FLAT.

The 5m path (open = the previous close, volume 10), each phase a list of
(candles, move per candle, wick):"""
import os

DAY = 1748822400000  # 2025-06-02T00:00:00Z
M5, H1, H4, D1 = 300000, 3600000, 4 * 3600000, 86400000

PHASES = [
    (73, -5, 5),    # 23:55 (the day before)-05:55 drift down: close below VWAP, FLAT
    (6, 20, 5),     # 06:00-06:25 turn up: the first LONG once close > VWAP
    (12, 100, 10),  # 06:30-07:25 rally: its take-profit fires
    (42, -15, 5),   # 07:30-10:55 drift down: FLAT (the 5m RSI cools)
    (6, 20, 5),     # 11:00-11:25 turn up: the second LONG
    (60, 5, 5),     # 11:30-16:25 creep up, holding through the 16:00 funding
    (8, -100, 10),  # 16:30-17:05 drop: its stop fires
    (82, -5, 5),    # 17:10-23:55 drift down: FLAT
]
START = 100500


def row(t, iv, o, h, l, c, v=10):
    return f"{t},{o:.1f},{h:.1f},{l:.1f},{c:.1f},{v},{t + iv - 1},,,,,0\n"


HEADER = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,"
          "taker_buy_volume,taker_buy_quote_volume,ignore\n")


def write(name, rows):
    with open(os.path.join(os.path.dirname(__file__) or ".", name), "w") as f:
        f.write(HEADER)
        f.writelines(rows)


def main():
    rows, t, p = [], DAY - M5, START
    for n, d, w in PHASES:
        for _ in range(n):
            c = p + d
            rows.append(row(t, M5, p, max(p, c) + w, min(p, c) - w, c))
            t, p = t + M5, c
    assert t == DAY + D1, "the 5m path covers the day"
    write("klines/BTCUSDT-5m.csv", rows)
    # 1h: 80 hours before the day and the day itself; open = previous close
    rows, p = [], 60000
    for i in range(-80, 24):
        rows.append(row(DAY + i * H1, H1, p, p + 300, p - 200, p + 100))
        p += 100
    write("klines/BTCUSDT-1h.csv", rows)
    rows, p = [], 55000
    for i in range(-80, 6):
        rows.append(row(DAY + i * H4, H4, p, p + 350, p - 50, p + 300))
        p += 300
    write("klines/BTCUSDT-4h.csv", rows)
    rows, p = [], 50000
    for i in range(-80, 1):
        rows.append(row(DAY + i * D1, D1, p, p + 450, p - 50, p + 400))
        p += 400
    write("klines/BTCUSDT-1d.csv", rows)
    with open(os.path.join(os.path.dirname(__file__) or ".", "funding/BTCUSDT-funding.csv"),
              "w") as f:
        f.write("funding_time,symbol,funding_rate\n")
        for i, rate in enumerate(["0.00010000", "0.00010000", "0.00010000", "0.00010000"]):
            f.write(f"{DAY - D1 // 3 + i * (D1 // 3)},BTCUSDT,{rate}\n")


main()

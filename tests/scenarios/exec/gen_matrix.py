#!/usr/bin/env python3
"""Writes the fault matrix of the bracket sequence (issue 9 item 16): each
request x each fault, one scenario file fm_<request>_<fault>.json beside this
script. Run it from anywhere after changing it; the files are committed.

Every case: run 1 decides LONG with the fault scripted (after the set-up steps
that make the run reach the request), run 2 decides FLAT (so it only
reconciles). Then, whatever happened: either no position and none of the
bot's legs, or a position with exactly one stop and one take-profit at the
plan's distances from the entry; at most one entry order; the journal agrees
(the fill record, the newest run record naming the position, trade records
of a closed position) and the newest run record's outcome is "ok"."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

UNKNOWN = {"code": -1000, "msg": "Unknown error, please check your request or try again later."}

# request name -> (what it is, set-up steps that make run 1 reach it, its match, an error code)
REQUESTS = {
    "entry": ("the entry POST /fapi/v1/order", [],
              {"path": "/fapi/v1/order", "method": "POST"},
              {"code": -2019, "msg": "Margin is insufficient."}),
    "entry_query": ("the entry's query GET /fapi/v1/order (the entry's answer was a landed 503)",
                    [{"match": {"path": "/fapi/v1/order", "method": "POST"},
                      "answer": {"apply": True, "status": 503, "json": UNKNOWN}}],
                    {"path": "/fapi/v1/order", "method": "GET"},
                    {"code": -2013, "msg": "Order does not exist."}),
    "stop": ("the stop leg POST /fapi/v1/algoOrder type=STOP_MARKET", [],
             {"path": "/fapi/v1/algoOrder", "method": "POST", "params": {"type": "STOP_MARKET"}},
             {"code": -2021, "msg": "Order would immediately trigger."}),
    "take_profit": ("the take-profit leg POST /fapi/v1/algoOrder type=TAKE_PROFIT_MARKET", [],
                    {"path": "/fapi/v1/algoOrder", "method": "POST",
                     "params": {"type": "TAKE_PROFIT_MARKET"}},
                    {"code": -1111, "msg": "Precision is over the maximum defined for this asset."}),
    "leg_query": ("the stop leg's query GET /fapi/v1/algoOrder (the stop's answer was a landed 503)",
                  [{"match": {"path": "/fapi/v1/algoOrder", "method": "POST",
                              "params": {"type": "STOP_MARKET"}},
                    "answer": {"apply": True, "status": 503, "json": UNKNOWN}}],
                  {"path": "/fapi/v1/algoOrder", "method": "GET"},
                  {"code": -2013, "msg": "Order does not exist."}),
    "close": ("the emergency close POST /fapi/v1/order reduceOnly=true (the stop got -2021)",
              [{"match": {"path": "/fapi/v1/algoOrder", "method": "POST",
                          "params": {"type": "STOP_MARKET"}},
                "answer": {"status": 400, "json": {"code": -2021, "msg": "Order would immediately trigger."}}}],
              {"path": "/fapi/v1/order", "method": "POST", "params": {"reduceOnly": "true"}},
              {"code": -2022, "msg": "ReduceOnly Order is rejected."}),
}

# fault name -> (what it is, the answer; None: the request's error code)
FAULTS = {
    "error": ("an error code", None),
    "timeout": ("a timeout that did not land", {"close": True, "delay_ms": 3000}),
    "timeout_landed": ("a timeout that landed", {"apply": True, "close": True, "delay_ms": 3000}),
    "503_landed": ("a 503 Unknown error that landed", {"apply": True, "status": 503, "json": UNKNOWN}),
    "503": ("a 503 Unknown error that did not land", {"status": 503, "json": UNKNOWN}),
    "killed": ("the process killed right after it landed",
               {"apply": True, "close": True, "delay_ms": 5000}),
}


def case(req, fault):
    what, pre, match, code = REQUESTS[req]
    fwhat, answer = FAULTS[fault]
    if answer is None:
        answer = {"status": 400, "json": code}
    seen = dict(match)
    seen["count"] = [1, 3]  # the fault was reached (a GET may be sent again by reconcile)
    run1 = {"predict": "LONG", "script": pre + [{"match": match, "answer": answer}],
            "expect": {"requests": [seen]}}
    if fault == "killed":
        run1["kill_after"] = match
    runs = [run1, {"predict": "FLAT"}]
    return {
        "name": f"fault matrix: {what} x {fwhat}: flat, or one stop and one take-profit after the next run; the journal agrees",
        "runs": runs,
        "expect": {
            "protected_or_flat": ["BTCUSDT"],
            "journal_agrees": ["BTCUSDT"],
            "orders": [{"symbol": "BTCUSDT", "client_suffix": "_E", "count": [0, 1]}],
            "journal": [{"prefix": "runs/", "count": 1 if fault == "killed" else 2,
                         "newest": True, "contains": ["\"outcome\":\"ok\",\"build\""]},
                        {"prefix": "claims/", "count": 1}],
        },
    }


def not_trading():
    """edge_03: the bundled exchangeInfo with BTCUSDT in SETTLING: no entry, the
    reason in the run, nothing sent that changes the account."""
    with open(os.path.join(HERE, "..", "..", "data", "binance", "exchangeInfo.json")) as f:
        info = json.load(f)
    for sym in info["symbols"]:
        if sym["symbol"] == "BTCUSDT":
            sym["status"] = "SETTLING"
    step = {"match": {"path": "/fapi/v1/exchangeInfo", "method": "GET"},
            "answer": {"status": 200, "json": info}}
    return {
        "name": "non-TRADING edge: BTCUSDT in SETTLING (exchangeInfo) gets no entry and no order, and the run says why",
        "description": "written by gen_matrix.py from tests/data/binance/exchangeInfo.json",
        "runs": [{"predict": "LONG", "script": [step, step],
                  "expect": {"contains": ["SETTLING"],
                             "json_path": {"run.symbols.0.step": "sizing_refused"}}}],
        "expect": {"positions": {"BTCUSDT": "none"},
                   "requests": [{"method": "POST", "path": "/fapi/v1/order", "count": 0},
                                {"method": "POST", "path": "/fapi/v1/algoOrder", "count": 0}],
                   "journal": [{"prefix": "claims/", "count": 0},
                               {"prefix": "runs/", "count": 1, "contains": ["SETTLING"]}]},
    }


def main():
    with open(os.path.join(HERE, "edge_03_not_trading.json"), "w") as f:
        json.dump(not_trading(), f, indent=2)
        f.write("\n")
    n = 0
    for req in REQUESTS:
        for fault in FAULTS:
            path = os.path.join(HERE, f"fm_{req}_{fault}.json")
            with open(path, "w") as f:
                json.dump(case(req, fault), f, indent=2)
                f.write("\n")
            n += 1
    print(f"{n} fault-matrix scenarios written")


if __name__ == "__main__":
    main()

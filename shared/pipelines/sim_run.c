/* sim_run: the trader's run stepped on the simulated exchange (see sim_run.h). */
#include "pipelines/sim_run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipelines/env.h"
#include "services/paper_exchange.h"

static size_t outcome_index(const char *o) {
    if (!o) return 3;
    if (strcmp(o, "ok") == 0) return 0;
    if (strcmp(o, "partial") == 0) return 1;
    if (strcmp(o, "alert") == 0) return 2;
    return 3;
}

trader_request sim_run_request(const sim_run_spec *spec, int64_t t, char slot[32],
                               char run_id[32]) {
    time_t secs = (time_t)(t / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(slot, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(run_id, 32, "sim-%lld", (long long)t);
    return (trader_request){.symbols = spec->symbols,
                            .n = spec->n,
                            .trigger = "schedule",
                            .trigger_id = slot,
                            .run_id = run_id};
}

void sim_run(const sim_run_spec *spec, sim_run_stats *out) {
    memset(out, 0, sizeof *out);
    cfg c = *spec->cfg; /* a shallow copy: only execute_trades differs, nothing is freed */
    c.execute_trades = 1;
    pl_env env = {.cfg = &c,
                  .exchange = spec->via ? spec->via : sim_exchange_table(spec->sim),
                  .predictor = predictor_builtin(),
                  .journal = spec->journal,
                  .clock = sim_clock(spec->sim),
                  .params = pl_decision_params(&c),
                  .sizing = pl_sizing_params(&c),
                  .risk = pl_risk_params(&c)};
    exchange *paper = NULL;
    if (spec->paper) {
        paper_config pc = {
            .market = env.exchange, .sim = pl_paper_sim_config(&c), .clock = sim_clock(spec->sim)};
        env.exchange = paper = paper_exchange_new(&pc);
        paper_exchange_bind(paper, spec->journal);
    }
    /* the journal's records are stated in simulated time: its readers start there */
    store_set_clock(spec->journal, sim_clock(spec->sim));
    int64_t step = spec->step_ms > 0 ? spec->step_ms : SIM_RUN_DEFAULT_STEP_MS;
    for (int64_t t = spec->from_ms; t <= spec->to_ms; t += step) {
        sim_advance(spec->sim, t);
        char slot[32], run_id[32];
        trader_request rq = sim_run_request(spec, t, slot, run_id);
        trader_result r;
        trader_run(&env, &rq, &r);
        out->steps++;
        out->outcomes[outcome_index(r.outcome)]++;
        for (size_t i = 0; i < r.n; i++) {
            const decision *d = &r.sym[i].sig.d;
            out->decisions += d->risk_ok && (d->dir == DIR_LONG || d->dir == DIR_SHORT);
            out->executed += (size_t)r.sym[i].executed;
        }
        if (spec->on_step) spec->on_step(spec->ctx, t, &r);
        trader_result_free(&r);
    }
    store_set_clock(spec->journal, NULL);
    ex_close(paper);
}

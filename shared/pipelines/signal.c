/* signal: the decision pipeline (see signal.h). */
#include "pipelines/signal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/log.h"
#include "pipelines/audit.h"
#include "services/journal.h"

static const ex_snapshot_spec snapshot_spec = {.bars = SIGNAL_TF_BARS, .depth = SIGNAL_DEPTH_LIMIT};

static int64_t env_now(void *env) { return clock_now(((const pl_env *)env)->clock); }

static void build_record(signal_result *r, const char *config_hash) {
    decision_to_json(&r->d, &r->record);
    const char *sep = dstr_json_reopen(&r->record); /* the audit fields */
    dstr_puts(&r->record, sep ? sep : "");
    dstr_puts(&r->record, "\"build\":");
    dstr_json_str(&r->record, pl_build_version());
    dstr_puts(&r->record, ",\"config_hash\":");
    dstr_json_str(&r->record, config_hash);
    dstr_putc(&r->record, ',');
    dstr_puts(&r->record, "\"rationale\":");
    dstr_json_str(&r->record, r->pred.rationale);
    if (r->fallback[0]) {
        dstr_puts(&r->record, ",\"fallback\":");
        dstr_json_str(&r->record, r->fallback);
    }
    dstr_putc(&r->record, '}');
}

static void log_decision(const decision *d, const char *fallback) {
    log_rec *lr = log_begin(LOG_INFO, "signal.decision");
    log_str(lr, "symbol", d->symbol);
    log_str(lr, "direction", direction_name(d->dir));
    log_num(lr, "prob", d->prob);
    log_num(lr, "entry", d->entry);
    log_num(lr, "tp", d->tp);
    log_num(lr, "sl", d->sl);
    log_num(lr, "rr", d->rr);
    log_bool(lr, "risk_ok", d->risk_ok);
    dstr reasons = {0};
    dstr_putc(&reasons, '[');
    for (size_t i = 0; i < d->n_reasons; i++) {
        if (i) dstr_putc(&reasons, ',');
        dstr_json_str(&reasons, d->reasons[i]);
    }
    dstr_putc(&reasons, ']');
    log_json(lr, "reasons", reasons.ptr);
    log_str(lr, "predictor", d->predictor);
    if (fallback[0]) log_str(lr, "fallback", fallback);
    log_end(lr);
    dstr_free(&reasons);
}

/* Decides the prepared items and moves the outcome into out. */
static void decide(const pl_env *env, decide_item *items, size_t n, signal_result *out) {
    decide_env de = {.params = env->params,
                     .primary = env->predictor,
                     .fallback = env->fallback,
                     .deadline_ms = env->deadline_ms,
                     .now_ms = env_now,
                     .clock_ctx = (void *)env};
    decide_symbols(&de, items, n);
    char hash[PL_CONFIG_HASH_LEN] = "";
    if (env->cfg) pl_config_hash(env->cfg, hash, sizeof hash);
    for (size_t i = 0; i < n; i++) {
        signal_result *r = &out[i];
        r->d = items[i].d;
        r->pred = items[i].pred;
        memcpy(r->fallback, items[i].fallback, sizeof r->fallback);
        r->request = items[i].request; /* moved */
        items[i].request = (dstr){0};
        build_record(r, hash);
        log_decision(&r->d, r->fallback);
    }
}

static decide_item *items_for(signal_result *out, size_t n) {
    decide_item *items = calloc(n, sizeof *items);
    if (!items) abort();
    for (size_t i = 0; i < n; i++) items[i].symbol = out[i].symbol;
    return items;
}

void signal_decide_read(const pl_env *env, const char *const *symbols, size_t n,
                        const ex_snapshot *snaps, signal_result *out) {
    memset(out, 0, n * sizeof *out);
    if (!n) return;
    decide_item *items = items_for(out, n);
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].symbol, sizeof out[i].symbol, "%s", symbols[i]);
        out[i].data_status = snaps[i].status;
        items[i].snap = snaps[i].status == EX_OK ? &snaps[i].snap : NULL;
        items[i].data_reason = dstr_cstr(&snaps[i].why);
    }
    decide(env, items, n, out);
    for (size_t i = 0; i < n; i++) decide_item_free(&items[i]);
    free(items);
}

/* What a run without an exchange has for every symbol. */
void signal_no_exchange(ex_snapshot *snaps, size_t n) {
    for (size_t i = 0; i < n; i++) {
        memset(&snaps[i], 0, sizeof snaps[i]);
        snaps[i].status = EX_UNAVAILABLE;
        dstr_puts(&snaps[i].why, "market data: the HTTP client could not start");
    }
}

void signal_decide(const pl_env *env, const char *const *symbols, size_t n, signal_result *out) {
    memset(out, 0, n * sizeof *out);
    if (!n) return;
    ex_snapshot *snaps = calloc(n, sizeof *snaps);
    if (!snaps) abort();
    if (env->exchange) {
        /* candles closing after this are still forming */
        ex_snapshots(env->exchange, symbols, n, &snapshot_spec, clock_now(env->clock),
                     env->deadline_ms, snaps);
    } else {
        signal_no_exchange(snaps, n);
    }
    signal_decide_read(env, symbols, n, snaps, out);
    for (size_t i = 0; i < n; i++) ex_snapshot_free(&snaps[i]);
    free(snaps);
}

void signal_decide_snapshots(const pl_env *env, const snapshot *snaps, size_t n,
                             signal_result *out) {
    memset(out, 0, n * sizeof *out);
    if (!n) return;
    decide_item *items = items_for(out, n);
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].symbol, sizeof out[i].symbol, "%s", snaps[i].symbol);
        items[i].snap = &snaps[i];
    }
    decide(env, items, n, out);
    for (size_t i = 0; i < n; i++) decide_item_free(&items[i]);
    free(items);
}

size_t signal_journal(store *journal, signal_result *out, size_t n, int64_t deadline_ms) {
    journal_record *recs = calloc(2 * n + 1, sizeof *recs);
    if (!recs) abort();
    for (size_t i = 0; i < n; i++) {
        signal_result *r = &out[i];
        recs[2 * i] = (journal_record){.kind = JOURNAL_REQUEST,
                                       .symbol = r->symbol,
                                       .at_ms = r->d.decided_at,
                                       .json = r->request.ptr,
                                       .len = r->request.len,
                                       .key = &r->request_key};
        recs[2 * i + 1] = (journal_record){.kind = JOURNAL_DECISION,
                                           .symbol = r->symbol,
                                           .at_ms = r->d.decided_at,
                                           .json = r->record.ptr,
                                           .len = r->record.len,
                                           .key = &r->decision_key};
    }
    size_t unwritten = journal_put_batch(journal, recs, 2 * n, deadline_ms);
    for (size_t i = 0; i < n; i++)
        out[i].unwritten = (recs[2 * i].rc != 0) + (recs[2 * i + 1].rc != 0);
    free(recs);
    return unwritten;
}

size_t signal_run(const pl_env *env, const char *const *symbols, size_t n, signal_result *out) {
    signal_decide(env, symbols, n, out);
    return signal_journal(env->journal, out, n, env->deadline_ms);
}

void signal_results_free(signal_result *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dstr_free(&out[i].request);
        dstr_free(&out[i].record);
        dstr_free(&out[i].request_key);
        dstr_free(&out[i].decision_key);
    }
}

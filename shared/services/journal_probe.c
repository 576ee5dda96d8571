/* journal_probe: probe records on a journal stream (see journal_probe.h). */
#include "services/journal_probe.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "services/journal_stream.h"

static int prefix_of(const char *hash, char *buf, size_t cap) {
    if (!hash || !journal_valid_tag(hash, JOURNAL_TAG_MAX)) return -1;
    int n = snprintf(buf, cap, "%s%s/", JOURNAL_PROBE_PREFIX, hash);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

journal_status journal_probe_put(store *s, const journal_probe *p, dstr *err) {
    char prefix[sizeof JOURNAL_PROBE_PREFIX + JOURNAL_TAG_MAX + 2];
    if (prefix_of(p->strategy_hash, prefix, sizeof prefix)) {
        dstr_error_line(err, "probe record not written: the strategy hash is not a tag");
        return JOURNAL_INVALID;
    }
    dstr j = {0};
    dstr_printf(&j, "{\"time\":%lld,\"strategy_hash\":", (long long)p->time_ms);
    dstr_json_str(&j, p->strategy_hash);
    dstr_puts(&j, ",\"config_hash\":");
    dstr_json_str(&j, p->config_hash);
    dstr_puts(&j, ",\"run_id\":");
    dstr_json_str(&j, p->run_id);
    dstr_printf(&j, ",\"ready\":%s,\"why\":", p->ready ? "true" : "false");
    dstr_json_str(&j, p->why);
    dstr_printf(&j, ",\"max_drawdown_pct\":%.4f,\"closed_trades\":%ld,\"net_pnl\":%.8f,\"from\":",
                p->max_drawdown_pct, p->closed_trades, p->net_pnl);
    dstr_json_str(&j, p->from);
    dstr_puts(&j, ",\"to\":");
    dstr_json_str(&j, p->to);
    dstr_puts(&j, ",\"symbols\":[");
    for (size_t i = 0; i < p->n_symbols; i++) {
        if (i) dstr_putc(&j, ',');
        dstr_json_str(&j, p->symbols[i]);
    }
    dstr_puts(&j, "]}\n");
    journal_status st =
        journal_stream_put(s, "probe", prefix, "probe", p->time_ms, j.ptr, j.len, err);
    dstr_free(&j);
    return st;
}

static int copy_str(const cJSON *o, const char *name, char *buf, size_t cap, dstr *why) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v)) {
        dstr_printf(why, "\"%s\" is not a string", name);
        return -1;
    }
    snprintf(buf, cap, "%s", v->valuestring);
    return 0;
}

static int get_num(const cJSON *o, const char *name, double *out, dstr *why) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
        dstr_printf(why, "\"%s\" is not a number", name);
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

int journal_probe_parse(const char *json, size_t len, journal_probe *out, dstr *why) {
    cJSON *o = cJSON_ParseWithLength(json, len);
    journal_probe p = {0};
    double time = 0, trades = 0;
    const cJSON *ready = cJSON_GetObjectItemCaseSensitive(o, "ready");
    int rc = -1;
    if (!cJSON_IsObject(o)) dstr_puts(why, "not a JSON object");
    else if (!cJSON_IsBool(ready)) dstr_puts(why, "\"ready\" is not a boolean");
    else if (get_num(o, "time", &time, why) ||
             get_num(o, "max_drawdown_pct", &p.max_drawdown_pct, why) ||
             get_num(o, "closed_trades", &trades, why) || get_num(o, "net_pnl", &p.net_pnl, why) ||
             copy_str(o, "strategy_hash", p.strategy_hash, sizeof p.strategy_hash, why) ||
             copy_str(o, "config_hash", p.config_hash, sizeof p.config_hash, why) ||
             copy_str(o, "run_id", p.run_id, sizeof p.run_id, why) ||
             copy_str(o, "why", p.why, sizeof p.why, why) ||
             copy_str(o, "from", p.from, sizeof p.from, why) ||
             copy_str(o, "to", p.to, sizeof p.to, why)) {
        /* why says which */
    } else if (time < 0 || trades < 0) {
        dstr_puts(why, "a negative time or trade count");
    } else {
        p.time_ms = (int64_t)time;
        p.closed_trades = (long)trades;
        p.ready = cJSON_IsTrue(ready);
        *out = p;
        rc = 0;
    }
    cJSON_Delete(o);
    return rc;
}

static int take(void *ctx, const char *file, const char *json, size_t len, dstr *why) {
    (void)file;
    return journal_probe_parse(json, len, ctx, why);
}

int journal_probe_newest(store *s, const char *strategy_hash, journal_probe *out, dstr *err) {
    char prefix[sizeof JOURNAL_PROBE_PREFIX + JOURNAL_TAG_MAX + 2];
    *out = (journal_probe){0};
    if (prefix_of(strategy_hash, prefix, sizeof prefix)) {
        dstr_error_line(err, "probe: the strategy hash is not a tag");
        return -1;
    }
    if (!s) {
        dstr_error_line(err, "probe: the journal is not open");
        return -1;
    }
    return journal_stream_newest(s, prefix, take, out, err);
}

/* alerts: the outbox delivered through Telegram (see alerts.h). */
#include "services/alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/log.h"
#include "services/recordkey.h"

#define TYPE_MAX 16

/* ---- the storm summary ------------------------------------------------------------ */

typedef struct key_parts {
    int64_t day;
    long ts; /* HHMMSSmmm */
    char type[TYPE_MAX];
    char event[JOURNAL_OUTBOX_EVENT_MAX + 1];
} key_parts;

static int key_split(const char *key, key_parts *kp) {
    memset(kp, 0, sizeof *kp);
    kp->day = recordkey_day_of(JOURNAL_OUTBOX_PREFIX, key);
    const char *slash = strchr(key + strlen(JOURNAL_OUTBOX_PREFIX), '/');
    recordkey_name nm;
    if (kp->day < 0 || !slash || recordkey_parse(slash + 1, ".json", &nm)) return -1;
    kp->ts = nm.ts;
    const char *us = memchr(nm.name, '_', nm.name_len);
    size_t tl = us ? (size_t)(us - nm.name) : 0;
    if (!us || tl == 0 || tl >= sizeof kp->type) return -1;
    size_t el = nm.name_len - tl - 1;
    memcpy(kp->type, nm.name, tl);
    snprintf(kp->event, sizeof kp->event, "%.*s", (int)el, us + 1);
    return 0;
}

/* "YYYY-MM-DD HH:MM:SS" (UTC) of a key's instant. */
static void key_time(const key_parts *kp, char *buf, size_t cap) {
    time_t t = (time_t)(kp->day * 86400 + (kp->ts / 10000000) * 3600 +
                        (kp->ts / 100000 % 100) * 60 + kp->ts / 1000 % 100);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

void alerts_storm_text(char *const *keys, size_t n, dstr *out) {
    dstr_clear(out);
    size_t count[CFG_ALERT_N + 1] = {0};
    key_parts first = {0}, last = {0};
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        key_parts kp;
        if (key_split(keys[i], &kp)) continue;
        int t = cfg_alert_type_parse(kp.type);
        count[t < 0 ? CFG_ALERT_N : t]++;
        if (!have) first = kp;
        last = kp;
        have = 1;
    }
    char from[32] = "?", to[32] = "?";
    if (have) key_time(&first, from, sizeof from), key_time(&last, to, sizeof to);
    dstr_printf(out, "ALERT STORM: %zu alerts pending, folded into this one message.\n", n);
    dstr_printf(out, "From %s to %s UTC.\nBy type:", from, to);
    int sep = 0;
    for (int t = 0; t <= CFG_ALERT_N; t++) {
        if (!count[t]) continue;
        dstr_printf(out, "%s %s %zu", sep ? "," : "",
                    t < CFG_ALERT_N ? cfg_alert_type_name(t) : "other", count[t]);
        sep = 1;
    }
    dstr_puts(out, "\nOldest first:");
    /* every line is ASCII: bytes are UTF-16 units; room kept for the last line */
    const size_t room = TELEGRAM_TEXT_MAX - 80;
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        key_parts kp;
        char when[32], line[JOURNAL_OUTBOX_EVENT_MAX + 64];
        if (key_split(keys[i], &kp)) continue;
        key_time(&kp, when, sizeof when);
        int len = snprintf(line, sizeof line, "\n%s %s %s", when + 11, kp.type, kp.event);
        if (len < 0 || out->len + (size_t)len > room) break;
        dstr_puts(out, line);
        shown++;
    }
    if (shown < n)
        dstr_printf(out, "\n... and %zu more (the journal's outbox/ has them all).", n - shown);
}

/* ---- delivery --------------------------------------------------------------------- */

typedef struct item {
    journal_outbox_info info;
    int state; /* 0 unread (stays pending), 1 loaded, 2 corrupt */
    size_t msg;
} item;

static void report_failure(alerts_report *rep, const telegram_result *r, size_t alerts) {
    if (r->status == TELEGRAM_REFUSED) rep->refused += alerts;
    else rep->later += alerts;
    if (r->retry_after_s > rep->retry_after_s) rep->retry_after_s = r->retry_after_s;
    if (!rep->why[0]) snprintf(rep->why, sizeof rep->why, "%s", r->description);
}

static void note_migration(alerts_report *rep, const telegram_result *r) {
    if (r->migrated_to[0])
        snprintf(rep->migrated_to, sizeof rep->migrated_to, "%s", r->migrated_to);
}

static void deliver_storm(store *s, http_client *h, telegram_client *t, const alerts_opts *o,
                          const journal_outbox_list *l, alerts_report *rep) {
    dstr text = {0};
    alerts_storm_text(l->keys, l->n, &text);
    telegram_msg m = {.text = text.ptr};
    rep->storm = 1;
    rep->messages = 1;
    telegram_send_batch(h, t, &m, 1, o->deadline_ms);
    note_migration(rep, &m.res);
    if (m.res.status == TELEGRAM_SENT)
        rep->delivered += journal_outbox_mark_sent(s, l->keys, l->n, o->now_ms, "storm",
                                                   m.res.message_id, 0, NULL);
    else report_failure(rep, &m.res, l->n);
    rep->later += l->n - rep->delivered - rep->later - rep->refused; /* markers unwritten */
    dstr_free(&text);
}

/* Packs the loaded alerts, oldest first, into messages; returns their count. */
static size_t pack(item *it, size_t n, dstr **texts_out) {
    dstr *texts = calloc(n ? n : 1, sizeof *texts);
    if (!texts) abort();
    size_t nm = 0, units = 0;
    for (size_t i = 0; i < n; i++) {
        if (it[i].state != 1) continue;
        size_t u = telegram_utf16_len(it[i].info.text.ptr, it[i].info.text.len);
        if (nm == 0 || units + 2 + u > TELEGRAM_TEXT_MAX) {
            nm++;
            units = 0;
        } else {
            dstr_puts(&texts[nm - 1], "\n\n");
            units += 2;
        }
        dstr_append(&texts[nm - 1], it[i].info.text.ptr, it[i].info.text.len);
        units += u;
        it[i].msg = nm - 1;
    }
    *texts_out = texts;
    return nm;
}

static void deliver_each(store *s, http_client *h, telegram_client *t, const alerts_opts *o,
                         const journal_outbox_list *l, alerts_report *rep) {
    item *it = calloc(l->n, sizeof *it);
    if (!it) abort();
    dstr buf = {0}, why = {0};
    char *corrupt[ALERTS_STORM_MAX + 64];
    size_t nc = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (journal_load(s, l->keys[i], &buf)) {
            rep->later++;
            continue;
        }
        dstr_clear(&why);
        if (journal_outbox_parse(buf.ptr, buf.len, &it[i].info, &why)) {
            journal_warn_corrupt(l->keys[i], buf.len, dstr_cstr(&why));
            it[i].state = 2;
            if (nc < sizeof corrupt / sizeof *corrupt) corrupt[nc++] = l->keys[i];
        } else it[i].state = 1;
    }
    rep->corrupt = journal_outbox_mark_sent(s, corrupt, nc, o->now_ms, "corrupt", 0, 0, NULL);

    dstr *texts = NULL;
    size_t nm = pack(it, l->n, &texts);
    telegram_msg *msgs = calloc(nm ? nm : 1, sizeof *msgs);
    char **keys = calloc(l->n ? l->n : 1, sizeof *keys);
    if (!msgs || !keys) abort();
    for (size_t m = 0; m < nm; m++) msgs[m].text = texts[m].ptr;
    rep->messages = nm;
    if (nm) telegram_send_batch(h, t, msgs, nm, o->deadline_ms);
    for (size_t m = 0; m < nm; m++) {
        size_t nk = 0;
        for (size_t i = 0; i < l->n; i++)
            if (it[i].state == 1 && it[i].msg == m) keys[nk++] = l->keys[i];
        note_migration(rep, &msgs[m].res);
        if (msgs[m].res.status != TELEGRAM_SENT) {
            report_failure(rep, &msgs[m].res, nk);
            continue;
        }
        size_t marked = journal_outbox_mark_sent(s, keys, nk, o->now_ms, "message",
                                                 msgs[m].res.message_id, 0, NULL);
        rep->delivered += marked;
        rep->later += nk - marked;
    }
    for (size_t m = 0; m < nm; m++) dstr_free(&texts[m]);
    for (size_t i = 0; i < l->n; i++) journal_outbox_info_free(&it[i].info);
    free(texts);
    free(msgs);
    free(keys);
    free(it);
    dstr_free(&buf);
    dstr_free(&why);
}

int alerts_deliver(store *s, http_client *h, telegram_client *t, const alerts_opts *o,
                   alerts_report *rep, dstr *err) {
    *rep = (alerts_report){.retry_after_s = -1};
    int64_t started = clock_mono_ms();
    int lookback = o->lookback_days > 0 ? o->lookback_days : ALERTS_LOOKBACK_DAYS;
    size_t storm_max = o->storm_max > 0 ? o->storm_max : ALERTS_STORM_MAX;
    journal_outbox_list l;
    if (journal_outbox_pending(s, o->now_ms, lookback, &l, err) != JOURNAL_OK) {
        log_msg(LOG_ERROR, "alerts.unavailable", "the outbox could not be listed: %s",
                err ? dstr_cstr(err) : "");
        return -1;
    }
    rep->pending = l.n;
    if (l.n > storm_max) deliver_storm(s, h, t, o, &l, rep);
    else if (l.n > 0) deliver_each(s, h, t, o, &l, rep);
    journal_outbox_list_free(&l);
    if (rep->pending == 0) return 0;
    log_rec *lr = log_begin(rep->later || rep->refused ? LOG_WARN : LOG_INFO, "alerts.delivered");
    log_int(lr, "pending", (long long)rep->pending);
    log_int(lr, "messages", (long long)rep->messages);
    log_int(lr, "delivered", (long long)rep->delivered);
    log_int(lr, "later", (long long)rep->later);
    log_int(lr, "refused", (long long)rep->refused);
    if (rep->corrupt) log_int(lr, "corrupt", (long long)rep->corrupt);
    log_bool(lr, "storm", rep->storm);
    if (rep->retry_after_s >= 0) log_int(lr, "retry_after_s", rep->retry_after_s);
    if (rep->migrated_to[0]) log_str(lr, "migrated_to", rep->migrated_to);
    if (rep->why[0]) log_str(lr, "why", rep->why);
    log_int(lr, "elapsed_ms", clock_mono_ms() - started);
    log_end(lr);
    return 0;
}

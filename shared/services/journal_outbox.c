/* journal_outbox: create-only alert records and their sent markers (see
 * journal_outbox.h). */
#include "services/journal_outbox.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/config.h"
#include "services/recordkey.h"

static int type_ok(const char *type, size_t max) {
    (void)max;
    return type && cfg_alert_type_parse(type) >= 0 && journal_valid_word(type, JOURNAL_WORD_MAX);
}

int journal_outbox_key(const char *type, const char *event, int64_t at_ms, char *buf, size_t cap) {
    char name[JOURNAL_WORD_MAX + JOURNAL_OUTBOX_EVENT_MAX + 2], stem[JOURNAL_OUTBOX_KEY_MAX];
    if (!type_ok(type, 0) || !journal_valid_id(event, JOURNAL_OUTBOX_EVENT_MAX)) return -1;
    snprintf(name, sizeof name, "%s_%s", type, event);
    if (recordkey_stem(JOURNAL_OUTBOX_PREFIX, at_ms, name, stem, sizeof stem)) return -1;
    int n = snprintf(buf, cap, "%s.json", stem);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int journal_outbox_sent_key(const char *outbox_key, char *buf, size_t cap) {
    size_t p = strlen(JOURNAL_OUTBOX_PREFIX);
    if (!outbox_key || strncmp(outbox_key, JOURNAL_OUTBOX_PREFIX, p) != 0) return -1;
    int n = snprintf(buf, cap, "%s%s", JOURNAL_OUTBOX_SENT_PREFIX, outbox_key + p);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static const char *alert_broken(const journal_outbox *a) {
    if (!a) return "no alert";
    if (!type_ok(a->type, 0)) return "type must be an alert type (config.h: entry, exit, ...)";
    if (!journal_valid_id(a->event, JOURNAL_OUTBOX_EVENT_MAX))
        return "event must be 1-64 of A-Z a-z 0-9 . _ : -";
    if (a->at_ms < 0 || a->at_ms > RECORDKEY_MAX_AT_MS)
        return "at_ms must be unix ms from 1970 to 9999";
    if (a->created_ms < 0 || a->created_ms > RECORDKEY_MAX_AT_MS)
        return "created_ms must be unix ms from 1970 to 9999";
    size_t n = a->text ? strlen(a->text) : 0;
    if (n == 0 || n > JOURNAL_OUTBOX_TEXT_MAX) return "text must be 1-16384 bytes";
    if (a->run_id && !journal_valid_id(a->run_id, JOURNAL_ID_MAX))
        return "run_id must be 1-128 of A-Z a-z 0-9 . _ : -";
    return NULL;
}

/* The alert's key and JSON (journal_render_fn). */
static const char *alert_record(const void *item, char *key, size_t cap, dstr *json) {
    const journal_outbox *a = item;
    const char *broken = alert_broken(a);
    if (broken) return broken;
    if (journal_outbox_key(a->type, a->event, a->at_ms, key, cap)) return "no key for this alert";
    dstr_puts(json, "{\"type\":");
    dstr_json_str(json, a->type);
    dstr_puts(json, ",\"event\":");
    dstr_json_str(json, a->event);
    dstr_printf(json, ",\"at_ms\":%lld,\"created_ms\":%lld,\"text\":", (long long)a->at_ms,
                (long long)a->created_ms);
    dstr_json_str(json, a->text);
    dstr_puts(json, ",\"run_id\":");
    dstr_json_str(json, a->run_id);
    dstr_putc(json, '}');
    return NULL;
}

static const char *no_symbol(const void *item) {
    (void)item;
    return NULL;
}

void journal_outbox_put_batch(store *s, const journal_outbox *a, size_t n, int64_t deadline_ms,
                              journal_status *st, dstr *err) {
    journal_put_rendered(s, "outbox", a, sizeof *a, no_symbol, alert_record, n, deadline_ms, st,
                         NULL, err);
}

journal_status journal_outbox_put(store *s, const journal_outbox *a, dstr *key_out, dstr *err) {
    char key[1][JOURNAL_KEY_MAX];
    journal_status st;
    if (key_out) dstr_clear(key_out);
    journal_put_rendered(s, "outbox", a, sizeof *a, no_symbol, alert_record, 1, 0, &st, key, err);
    if (st == JOURNAL_OK && key_out) dstr_puts(key_out, key[0]);
    return st;
}

int journal_outbox_parse(const char *json, size_t len, journal_outbox_info *out, dstr *why) {
    memset(out, 0, sizeof *out);
    cJSON *obj = json ? cJSON_ParseWithLength(json, len) : NULL;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(obj, "text");
    const char *broken = NULL;
    if (!cJSON_IsObject(obj)) broken = "not a JSON object";
    else if (journal_json_text(obj, "type", 0, type_ok, 0, out->type, sizeof out->type))
        broken = "type is not an alert type";
    else if (journal_json_text(obj, "event", 0, journal_valid_id, JOURNAL_OUTBOX_EVENT_MAX,
                               out->event, sizeof out->event))
        broken = "event is not an id";
    else if (journal_json_ms(obj, "at_ms", &out->at_ms) ||
             journal_json_ms(obj, "created_ms", &out->created_ms))
        broken = "at_ms or created_ms is not unix ms";
    else if (!cJSON_IsString(text) || !text->valuestring[0] ||
             strlen(text->valuestring) > JOURNAL_OUTBOX_TEXT_MAX)
        broken = "text is not a string of 1-16384 bytes";
    else if (journal_json_text(obj, "run_id", 1, journal_valid_id, JOURNAL_ID_MAX, out->run_id,
                               sizeof out->run_id))
        broken = "run_id is not an id";
    if (!broken) dstr_puts(&out->text, text->valuestring);
    cJSON_Delete(obj);
    if (!broken) return 0;
    journal_outbox_info_free(out);
    if (why) dstr_puts(why, broken);
    return -1;
}

void journal_outbox_info_free(journal_outbox_info *info) {
    dstr_free(&info->text);
    memset(info, 0, sizeof *info);
}

/* ---- pending ------------------------------------------------------------------------ */

typedef struct keylist {
    char **keys;
    size_t n, cap;
    int truncated;
} keylist;

static void keylist_push(keylist *l, const char *key) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->keys = realloc(l->keys, l->cap * sizeof *l->keys);
        if (!l->keys) abort();
    }
    l->keys[l->n++] = xstrdup(key);
}

static void keylist_free(keylist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->keys[i]);
    free(l->keys);
    memset(l, 0, sizeof *l);
}

/* Every record key under root from day first_day on, ascending. */
static int list_from(store *s, const char *root, int64_t first_day, keylist *out, dstr *err) {
    char start[JOURNAL_OUTBOX_KEY_MAX];
    if (recordkey_day(root, first_day, start, sizeof start)) return -1;
    start[strlen(start) - 1] = '\0'; /* "outbox/YYYYMMDD" sorts before that day's keys */
    store_page page = {0};
    dstr after = {0};
    dstr_puts(&after, start);
    int rc = 0;
    for (;;) {
        if (store_list(s, root, after.ptr, STORE_LIST_MAX, &page, err) != STORE_OK) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < page.n; i++) {
            const char *k = page.keys[i], *slash = strchr(k + strlen(root), '/');
            recordkey_name nm;
            if (out->n >= JOURNAL_OUTBOX_SCAN_MAX) break;
            if (slash && recordkey_day_of(root, k) >= 0 &&
                recordkey_parse(slash + 1, ".json", &nm) == 0)
                keylist_push(out, k);
        }
        if (out->n >= JOURNAL_OUTBOX_SCAN_MAX && page.truncated) out->truncated = 1;
        if (!page.truncated || !page.n || out->truncated) break;
        dstr_clear(&after);
        dstr_puts(&after, page.keys[page.n - 1]);
    }
    store_page_free(&page);
    dstr_free(&after);
    return rc;
}

journal_status journal_outbox_pending(store *s, int64_t now_ms, int lookback_days,
                                      journal_outbox_list *out, dstr *err) {
    memset(out, 0, sizeof *out);
    if (!s || lookback_days < 0 || lookback_days > 366 || now_ms < 0 ||
        now_ms > RECORDKEY_MAX_AT_MS) {
        dstr_error_line(err, "outbox: %s", s ? "bad window" : "journal store unavailable");
        return JOURNAL_UNAVAILABLE;
    }
    int64_t first = now_ms / RECORDKEY_DAY_MS - lookback_days;
    if (first < 0) first = 0;
    keylist box = {0}, sent = {0};
    if (list_from(s, JOURNAL_OUTBOX_PREFIX, first, &box, err) ||
        list_from(s, JOURNAL_OUTBOX_SENT_PREFIX, first, &sent, err)) {
        keylist_free(&box);
        keylist_free(&sent);
        dstr_error_line(err, "outbox: a listing failed");
        return JOURNAL_UNAVAILABLE;
    }
    /* both ascending with one suffix each: a merge finds the marked ones */
    keylist pending = {0};
    size_t j = 0, pb = strlen(JOURNAL_OUTBOX_PREFIX), ps = strlen(JOURNAL_OUTBOX_SENT_PREFIX);
    for (size_t i = 0; i < box.n; i++) {
        const char *tail = box.keys[i] + pb;
        int c = 1;
        while (j < sent.n && (c = strcmp(sent.keys[j] + ps, tail)) < 0) j++;
        if (j < sent.n && c == 0) continue;
        keylist_push(&pending, box.keys[i]);
    }
    out->keys = pending.keys;
    out->n = pending.n;
    out->truncated = box.truncated || sent.truncated;
    keylist_free(&box);
    keylist_free(&sent);
    return JOURNAL_OK;
}

void journal_outbox_list_free(journal_outbox_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->keys[i]);
    free(l->keys);
    memset(l, 0, sizeof *l);
}

/* ---- sent markers ------------------------------------------------------------------- */

size_t journal_outbox_mark_sent(store *s, char *const *keys, size_t n, int64_t sent_ms,
                                const char *via, long long message_id, int64_t deadline_ms,
                                int *ok) {
    if (n == 0) return 0;
    store_write *items = calloc(n, sizeof *items);
    dstr *bodies = calloc(n, sizeof *bodies);
    char(*mk)[JOURNAL_OUTBOX_KEY_MAX + 16] = calloc(n, sizeof *mk);
    if (!items || !bodies || !mk) abort();
    size_t ni = 0, marked = 0;
    size_t *idx = calloc(n, sizeof *idx);
    if (!idx) abort();
    for (size_t i = 0; i < n; i++) {
        if (ok) ok[i] = 0;
        if (journal_outbox_sent_key(keys[i], mk[i], sizeof mk[i])) continue;
        dstr_puts(&bodies[i], "{\"outbox_key\":");
        dstr_json_str(&bodies[i], keys[i]);
        dstr_printf(&bodies[i], ",\"sent_ms\":%lld,\"via\":", (long long)sent_ms);
        dstr_json_str(&bodies[i], via ? via : "message");
        dstr_printf(&bodies[i], ",\"message_id\":%lld}", message_id);
        items[ni] = (store_write){.key = mk[i], .data = bodies[i].ptr, .n = bodies[i].len};
        idx[ni++] = i;
    }
    if (s) store_put_new_batch(s, items, ni, deadline_ms, NULL);
    for (size_t k = 0; k < ni; k++) {
        size_t i = idx[k];
        int done = s && (items[k].status == STORE_OK || items[k].status == STORE_EXISTS);
        if (done) {
            marked++;
            if (ok) ok[i] = 1;
        } else {
            journal_log_unwritten("outbox_sent", NULL, mk[i],
                                  s ? dstr_cstr(&items[k].why) : "journal store unavailable",
                                  bodies[i].ptr, bodies[i].len);
        }
        dstr_free(&items[k].why);
    }
    for (size_t i = 0; i < n; i++) dstr_free(&bodies[i]);
    free(items);
    free(bodies);
    free(mk);
    free(idx);
    return marked;
}

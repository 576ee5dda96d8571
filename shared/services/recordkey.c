/* recordkey: record key layout and create-only writes (see recordkey.h). */
#include "services/recordkey.h"

#include "platform/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/secret.h"

static void utc_tm(int64_t ms, struct tm *tm) {
    time_t t = (time_t)(ms / 1000);
    gmtime_r(&t, tm);
}

static int fits(int n, size_t cap) { return n > 0 && (size_t)n < cap ? 0 : -1; }

int recordkey_day(const char *root, int64_t day, char *buf, size_t cap) {
    if (day < 0 || day > RECORDKEY_MAX_AT_MS / RECORDKEY_DAY_MS) return -1;
    struct tm tm;
    utc_tm(day * RECORDKEY_DAY_MS, &tm);
    return fits(
        snprintf(buf, cap, "%s%04d%02d%02d/", root, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday),
        cap);
}

int recordkey_stem(const char *root, int64_t at_ms, const char *name, char *buf, size_t cap) {
    if (at_ms < 0 || at_ms > RECORDKEY_MAX_AT_MS) return -1;
    struct tm tm;
    utc_tm(at_ms, &tm);
    return fits(snprintf(buf, cap, "%s%04d%02d%02d/%02d%02d%02d%03d_%s", root, tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         (int)(at_ms % 1000), name),
                cap);
}

int64_t recordkey_day_of(const char *root, const char *key) {
    size_t rlen = strlen(root);
    if (strncmp(key, root, rlen) != 0) return -1;
    const char *d = key + rlen;
    int v[3] = {0};
    static const int width[3] = {4, 2, 2};
    for (int f = 0, i = 0; f < 3; f++)
        for (int k = 0; k < width[f]; k++, i++) {
            if (d[i] < '0' || d[i] > '9') return -1;
            v[f] = v[f] * 10 + (d[i] - '0');
        }
    if (d[8] != '/') return -1;
    int64_t t = clock_utc_ms(v[0], v[1], v[2], 0, 0, 0);
    return t < 0 ? -1 : t / 86400000;
}

static void key_for(recordkey_write *w, int suffix) {
    dstr_clear(&w->key);
    if (suffix) dstr_printf(&w->key, "%s-%d%s", w->stem, suffix, w->ext);
    else dstr_printf(&w->key, "%s%s", w->stem, w->ext);
}

size_t recordkey_put_new_batch(store *s, recordkey_write *items, size_t n, int64_t deadline_ms) {
    int *suffix = calloc(n ? n : 1, sizeof *suffix);
    size_t *slot = calloc(n ? n : 1, sizeof *slot); /* item of each batch entry */
    store_write *batch = calloc(n ? n : 1, sizeof *batch);
    dstr *scrubbed = calloc(n ? n : 1, sizeof *scrubbed);
    if (!suffix || !slot || !batch || !scrubbed) abort();
    size_t pending = 0;
    for (size_t i = 0; i < n; i++) {
        recordkey_write *w = &items[i];
        w->rc = -1;
        /* every journal object passes here: the one place a record's bytes
         * are scrubbed, copied only when a secret is really in them */
        if (w->data && secret_present(w->data, w->n)) {
            dstr_append(&scrubbed[i], w->data, w->n);
            secret_scrub(&scrubbed[i]);
        }
        key_for(w, 0);
        if (!s) dstr_puts(&w->why, "journal store unavailable");
        else pending++;
    }
    /* round k tries suffix k of every item whose earlier key was taken */
    while (pending) {
        size_t nb = 0;
        for (size_t i = 0; i < n; i++) {
            recordkey_write *w = &items[i];
            if (w->rc == 0 || w->why.len) continue;
            int clash = 0; /* the same key twice in one batch: the later waits a round */
            for (size_t b = 0; b < nb && !clash; b++) clash = strcmp(batch[b].key, w->key.ptr) == 0;
            if (clash) continue;
            slot[nb] = i;
            batch[nb++] =
                scrubbed[i].ptr
                    ? (store_write){.key = w->key.ptr,
                                    .data = scrubbed[i].ptr,
                                    .n = scrubbed[i].len}
                    : (store_write){.key = w->key.ptr, .data = w->data, .n = w->data ? w->n : 0};
        }
        store_put_new_batch(s, batch, nb, deadline_ms, NULL);
        for (size_t b = 0; b < nb; b++) {
            recordkey_write *w = &items[slot[b]];
            store_status st = batch[b].status;
            if (st == STORE_OK) {
                w->rc = 0;
                pending--;
            } else if (st != STORE_EXISTS) {
                dstr_printf(&w->why, "%s: %s", store_status_name(st), dstr_cstr(&batch[b].why));
                pending--;
            } else if (++suffix[slot[b]] > RECORDKEY_MAX_SUFFIX) {
                dstr_printf(&w->why, "every suffix up to -%d is taken", RECORDKEY_MAX_SUFFIX);
                pending--;
            } else {
                key_for(w, suffix[slot[b]]);
            }
            dstr_free(&batch[b].why);
        }
    }
    size_t unwritten = 0;
    for (size_t i = 0; i < n; i++) unwritten += items[i].rc != 0;
    for (size_t i = 0; i < n; i++) dstr_free(&scrubbed[i]);
    free(suffix);
    free(slot);
    free(batch);
    free(scrubbed);
    return unwritten;
}

void recordkey_write_free(recordkey_write *w) {
    dstr_free(&w->key);
    dstr_free(&w->why);
}

int recordkey_put_new(store *s, const char *stem, const char *ext, const void *data, size_t n,
                      dstr *key_out, dstr *why) {
    recordkey_write w = {.stem = stem, .ext = ext, .data = data, .n = n};
    recordkey_put_new_batch(s, &w, 1, 0);
    if (w.rc) dstr_append(why, w.why.ptr, w.why.len);
    if (key_out) {
        dstr_clear(key_out);
        dstr_append(key_out, w.key.ptr, w.key.len);
    }
    int rc = w.rc;
    recordkey_write_free(&w);
    return rc;
}

/* Reads a trailing "-N" (1..RECORDKEY_MAX_SUFFIX, no leading zero) off
 * stem[0..*len): returns N and shortens *len, or 0. */
static int take_suffix(const char *stem, size_t *len) {
    size_t n = *len, digits = 0;
    while (digits < 3 && digits < n && stem[n - 1 - digits] >= '0' && stem[n - 1 - digits] <= '9')
        digits++;
    if (digits == 0 || digits > 2 || n < digits + 2 || stem[n - 1 - digits] != '-' ||
        stem[n - digits] == '0')
        return 0;
    int v = 0;
    for (size_t i = n - digits; i < n; i++) v = v * 10 + (stem[i] - '0');
    *len = n - digits - 1;
    return v;
}

int recordkey_parse(const char *file, const char *ext, recordkey_name *out) {
    size_t n = strlen(file), elen = strlen(ext);
    if (n < 10 + elen || strcmp(file + n - elen, ext) != 0 || file[9] != '_') return -1;
    long ts = 0;
    for (int i = 0; i < 9; i++) {
        if (file[i] < '0' || file[i] > '9') return -1;
        ts = ts * 10 + (file[i] - '0');
    }
    size_t len = n - elen - 10; /* NAME[-N] */
    int suffix = take_suffix(file + 10, &len);
    if (len == 0) return -1;
    *out = (recordkey_name){.ts = ts, .suffix = suffix, .name = file + 10, .name_len = len};
    return 0;
}

int recordkey_cmp_newest(const recordkey_name *a, const recordkey_name *b) {
    if (a->ts != b->ts) return a->ts < b->ts ? 1 : -1;
    if (a->suffix != b->suffix) return a->suffix < b->suffix ? 1 : -1;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    if (c) return c;
    return a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}

/* invlog: one object per invocation holding its log lines (see invlog.h). */
#include "services/invlog.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "platform/log.h"
#include "services/recordkey.h"
#include "platform/clock.h"

#define NOTE_RESERVE 1024 /* bytes kept back for the truncation note */

static size_t reserve_of(const invlog *l) {
    return l->cap / 2 < NOTE_RESERVE ? l->cap / 2 : NOTE_RESERVE;
}

/* The head of the invocation's lines is kept: once one line is left out,
 * every later one is too (no gaps), except the closing note. */
static void collect(void *ctx, const char *line, size_t len) {
    invlog *l = ctx;
    if (!l->active) return;
    size_t room = l->closing ? l->cap : l->cap - reserve_of(l);
    if ((l->dropped_lines && !l->closing) || l->lines.len + len + 1 > room) {
        if (!l->closing) {
            l->dropped_lines++;
            l->dropped_bytes += len + 1;
        }
        return;
    }
    dstr_append(&l->lines, line, len);
    dstr_putc(&l->lines, '\n');
    l->n_lines++;
    l->note_kept |= l->closing;
}

void invlog_begin(invlog *l, const char *function, const char *request_id, int64_t now,
                  size_t cap) {
    dstr_clear(&l->lines);
    l->cap = cap ? cap : INVLOG_MAX_BYTES;
    l->n_lines = l->dropped_lines = l->dropped_bytes = 0;
    l->closing = l->note_kept = 0;
    l->started_ms = now;
    snprintf(l->function, sizeof l->function, "%s", function ? function : "");
    snprintf(l->request_id, sizeof l->request_id, "%s", request_id ? request_id : "");
    l->active = 1;
    log_set_sink(collect, l);
}

static int valid_name(const char *s, size_t max, const char *punct) {
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (n == max || !(alnum || strchr(punct, c))) return 0;
    }
    return n > 0;
}

static int stem_of(const char *function, const char *request_id, int64_t at_ms, char *buf,
                   size_t cap) {
    if (!function || !request_id || !valid_name(function, 64, "_-") ||
        !valid_name(request_id, 128, "._:-"))
        return -1;
    char name[200];
    snprintf(name, sizeof name, "%s_%s", function, request_id);
    return recordkey_stem(INVLOG_PREFIX, at_ms, name, buf, cap);
}

int invlog_key(const char *function, const char *request_id, int64_t at_ms, char *buf, size_t cap) {
    char stem[INVLOG_KEY_MAX];
    if (stem_of(function, request_id, at_ms, stem, sizeof stem)) return -1;
    int n = snprintf(buf, cap, "%s" INVLOG_EXT, stem);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* The last line of a truncated record: through log.c when its level lets
 * it through (stdout gets it too), else written here. */
static void add_truncation_note(invlog *l) {
    size_t dropped = l->dropped_lines, bytes = l->dropped_bytes;
    l->closing = 1;
    log_rec *r = log_begin(LOG_WARN, "invlog.truncated");
    log_int(r, "dropped_lines", (long long)dropped);
    log_int(r, "dropped_bytes", (long long)bytes);
    log_int(r, "cap_bytes", (long long)l->cap);
    log_end(r);
    if (l->note_kept) return;
    dstr_puts(&l->lines, "{\"level\":\"WARN\",\"event\":\"invlog.truncated\",\"service\":");
    dstr_json_str(&l->lines, l->function);
    dstr_puts(&l->lines, ",\"function_request_id\":");
    dstr_json_str(&l->lines, l->request_id);
    dstr_printf(&l->lines, ",\"dropped_lines\":%zu,\"dropped_bytes\":%zu,\"cap_bytes\":%zu}\n",
                dropped, bytes, l->cap);
    l->n_lines++;
}

/* End (exclusive) of the part of lines starting at from: whole lines, at
 * most INVLOG_UNWRITTEN_PART bytes unless one line alone is longer. */
static size_t part_end(const dstr *lines, size_t from) {
    size_t end = from;
    while (end < lines->len) {
        const char *nl = memchr(lines->ptr + end, '\n', lines->len - end);
        size_t next = nl ? (size_t)(nl - lines->ptr) + 1 : lines->len;
        if (end > from && next - from > INVLOG_UNWRITTEN_PART) break;
        end = next;
    }
    return end;
}

/* lines[from..end) as a JSON array: each line as itself when it is JSON,
 * else as a string. */
static void part_array(const dstr *lines, size_t from, size_t end, dstr *out) {
    dstr_clear(out);
    dstr_putc(out, '[');
    for (size_t at = from; at < end;) {
        const char *p = lines->ptr + at, *nl = memchr(p, '\n', end - at);
        size_t len = nl ? (size_t)(nl - p) : end - at;
        cJSON *v = cJSON_ParseWithLength(p, len);
        if (at > from) dstr_putc(out, ',');
        if (v) dstr_append(out, p, len);
        else dstr_json_strn(out, p, len);
        cJSON_Delete(v);
        at += len + 1;
    }
    dstr_putc(out, ']');
}

static void print_unwritten(const invlog *l, const char *key, const char *error) {
    size_t parts = 0;
    for (size_t at = 0; at < l->lines.len; at = part_end(&l->lines, at)) parts++;
    dstr arr = {0};
    size_t part = 0;
    for (size_t at = 0; at < l->lines.len;) {
        size_t end = part_end(&l->lines, at);
        part_array(&l->lines, at, end, &arr);
        log_rec *r = log_begin(LOG_ERROR, "journal.unwritten");
        log_str(r, "kind", "log");
        log_str(r, "key", key);
        log_str(r, "error", error);
        log_int(r, "part", (long long)++part);
        log_int(r, "parts", (long long)parts);
        log_int(r, "unwritten_in_process", (long long)l->unwritten);
        log_json(r, "record", arr.ptr);
        log_end(r);
        at = end;
    }
    dstr_free(&arr);
}

static void reset(invlog *l) {
    l->active = l->closing = 0;
    if (l->lines.cap > 64 * 1024) dstr_free(&l->lines); /* a warm process lives for hours */
    else dstr_clear(&l->lines);
}

int invlog_end(invlog *l, store *s, int64_t deadline_ms, dstr *key_out) {
    if (!l->active) return -1;
    if (l->dropped_lines) add_truncation_note(l);
    log_set_sink(NULL, NULL);
    l->active = 0;
    if (key_out) dstr_clear(key_out);
    if (l->lines.len == 0) { /* nothing was printed: nothing to keep */
        reset(l);
        return 0;
    }
    char stem[INVLOG_KEY_MAX];
    dstr why = {0}, key = {0};
    int rc = -1;
    int64_t left = deadline_ms - clock_wall_ms();
    if (stem_of(l->function, l->request_id, l->started_ms, stem, sizeof stem)) {
        dstr_puts(&why, "no key: function or request id unusable in a key, or time out of range");
    } else if (left < INVLOG_MIN_WRITE_MS) {
        dstr_printf(&key, "%s" INVLOG_EXT, stem);
        dstr_printf(&why, "only %lld ms left before the deadline (%d needed)", (long long)left,
                    INVLOG_MIN_WRITE_MS);
    } else {
        /* the write ends early enough to print the record if it fails */
        recordkey_write w = {
            .stem = stem, .ext = INVLOG_EXT, .data = l->lines.ptr, .n = l->lines.len};
        recordkey_put_new_batch(s, &w, 1, deadline_ms - INVLOG_PRINT_MS);
        rc = w.rc;
        dstr_append(&key, w.key.ptr, w.key.len);
        if (rc) dstr_append(&why, w.why.ptr, w.why.len);
        recordkey_write_free(&w);
    }
    if (rc == 0 && key_out) dstr_append(key_out, key.ptr, key.len);
    if (rc) {
        l->unwritten++;
        print_unwritten(l, key.len ? key.ptr : NULL, why.ptr);
    }
    dstr_free(&why);
    dstr_free(&key);
    reset(l);
    return rc;
}

void invlog_discard(invlog *l) {
    if (!l->active) return;
    log_set_sink(NULL, NULL);
    reset(l);
}

void invlog_free(invlog *l) {
    if (l->active) log_set_sink(NULL, NULL);
    dstr_free(&l->lines);
    l->active = 0;
}

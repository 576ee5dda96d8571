/* journal_logs: tail of the invocation logs (see journal_logs.h). */
#include "services/journal_logs.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "services/invlog.h"
#include "services/journal.h"

typedef struct span {
    size_t at, len;
} span;

/* The lines taken so far, newest first, copied into one pool. */
typedef struct tail {
    size_t want, bytes;
    span *v;
    size_t n;
    dstr pool, buf;
} tail;

static int is_json_object(const char *p, size_t len) {
    if (len < 2 || p[0] != '{') return 0; /* cheap refusal before parsing */
    cJSON *v = cJSON_ParseWithLength(p, len);
    int ok = cJSON_IsObject(v);
    cJSON_Delete(v);
    return ok;
}

/* Takes line p[0..len) unless it would overrun the answer: 0, or -1 when full. */
static int take(tail *t, const char *p, size_t len) {
    if (t->bytes + len + 1 > JOURNAL_LOGS_MAX_BYTES) return -1;
    if (!t->v) {
        t->v = malloc(t->want * sizeof *t->v);
        if (!t->v) abort();
    }
    t->v[t->n++] = (span){t->pool.len, len};
    dstr_append(&t->pool, p, len);
    t->bytes += len + 1;
    return 0;
}

static journal_step visit_log(void *ctx, store *s, const char *key) {
    tail *t = ctx;
    if (journal_load(s, key, &t->buf)) return JOURNAL_WALK_MORE;
    size_t bad = 0, end = t->buf.len;
    int full = 0;
    while (end > 0 && t->n < t->want && !full) { /* lines from the last one back */
        size_t start = end;
        while (start > 0 && t->buf.ptr[start - 1] != '\n') start--;
        size_t len = end - start;
        if (len && t->buf.ptr[start + len - 1] == '\r') len--;
        if (len && !is_json_object(t->buf.ptr + start, len)) bad++;
        else if (len) full = take(t, t->buf.ptr + start, len) != 0;
        end = start ? start - 1 : 0;
    }
    if (bad) journal_warn_corrupt(key, t->buf.len, "lines that are not JSON objects skipped");
    return t->n == t->want || full ? JOURNAL_WALK_DONE : JOURNAL_WALK_MORE;
}

int journal_logs_tail(store *s, size_t n, dstr *out, size_t *returned, dstr *err) {
    if (returned) *returned = 0;
    if (journal_check_reader(s, n, err)) return -1;
    tail t = {.want = n};
    journal_walk w = {.root = INVLOG_PREFIX, .ext = INVLOG_EXT, .visit = visit_log, .ctx = &t};
    int rc = journal_walk_newest(s, &w, err);
    if (rc == 0) {
        for (size_t i = t.n; i-- > 0;) { /* oldest first */
            dstr_append(out, t.pool.ptr + t.v[i].at, t.v[i].len);
            dstr_putc(out, '\n');
        }
        if (returned) *returned = t.n;
    }
    free(t.v);
    dstr_free(&t.pool);
    dstr_free(&t.buf);
    return rc;
}

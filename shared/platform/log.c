/* log: structured JSON event lines on stdout (see log.h). */
#include "platform/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "platform/dstr.h"
#include "platform/clock.h"
#include "platform/secret.h"

struct log_rec {
    dstr line;
    int active;
};

static struct {
    char service[64];
    char request_id[128];
    char trace_id[256];
    int invocations; /* started so far */
    int answered;    /* an invocation has been answered: the cold start is over */
    log_level min_level;
    log_sink_fn sink;
    void *sink_ctx;
    int fd; /* where lines go: stdout unless log_set_fd() */
    struct log_rec rec;
    struct log_rec discard; /* handed out for filtered levels */
} L = {.service = "trader", .min_level = LOG_INFO, .fd = STDOUT_FILENO};

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

static void copy_str(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

void log_init(const char *service) {
    copy_str(L.service, sizeof L.service, service);
    tzset();
}

void log_set_level(log_level level) { L.min_level = level; }

int log_level_parse(const char *text, log_level *out) {
    for (int i = LOG_DEBUG; text && i <= LOG_ERROR; i++)
        if (strcasecmp(text, level_names[i]) == 0 ||
            (i == LOG_WARN && strcasecmp(text, "warning") == 0)) {
            *out = (log_level)i;
            return 0;
        }
    return -1;
}

void log_invocation_begin(const char *request_id, const char *trace_id) {
    copy_str(L.request_id, sizeof L.request_id, request_id);
    copy_str(L.trace_id, sizeof L.trace_id, trace_id);
    if (++L.invocations > 1) L.answered = 1; /* a second one is never the cold start */
}

void log_invocation_answered(void) { L.answered = 1; }

void log_invocation_end(void) {
    L.request_id[0] = '\0';
    L.trace_id[0] = '\0';
}

void log_set_fd(int fd) { L.fd = fd >= 0 ? fd : STDOUT_FILENO; }

void log_set_sink(log_sink_fn fn, void *ctx) {
    L.sink = fn;
    L.sink_ctx = ctx;
}

/* RFC 3339 local time with milliseconds and the numeric offset of TZ. */
static void put_timestamp(dstr *s) {
    struct timespec ts = clock_wall_ts();
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    snprintf(buf + n, sizeof buf - n, ".%03ld%c%02ld:%02ld", ts.tv_nsec / 1000000L, sign,
             off / 3600, (off % 3600) / 60);
    dstr_json_str(s, buf);
}

static log_rec *begin(log_level level, int filtered, const char *event);

log_rec *log_begin(log_level level, const char *event) {
    return begin(level, level < L.min_level, event);
}

log_rec *log_begin_always(log_level level, const char *event) { return begin(level, 0, event); }

static log_rec *begin(log_level level, int filtered, const char *event) {
    if (filtered || L.rec.active) {
        /* filtered, or a record is already open (a bug): fields go nowhere */
        L.discard.active = 1;
        dstr_clear(&L.discard.line);
        return &L.discard;
    }
    log_rec *r = &L.rec;
    r->active = 1;
    dstr *s = &r->line;
    dstr_clear(s);
    dstr_puts(s, "{\"timestamp\":");
    put_timestamp(s);
    dstr_printf(s, ",\"level\":\"%s\",\"event\":", level_names[level]);
    dstr_json_str(s, event);
    dstr_puts(s, ",\"service\":");
    dstr_json_str(s, L.service);
    dstr_puts(s, ",\"function_request_id\":");
    dstr_json_str(s, L.request_id[0] ? L.request_id : NULL);
    dstr_printf(s, ",\"cold_start\":%s", L.answered ? "false" : "true");
    dstr_puts(s, ",\"xray_trace_id\":");
    dstr_json_str(s, L.trace_id[0] ? L.trace_id : NULL);
    return r;
}

static void put_key(log_rec *r, const char *key) {
    dstr_putc(&r->line, ',');
    dstr_json_str(&r->line, key);
    dstr_putc(&r->line, ':');
}

void log_str(log_rec *r, const char *key, const char *val) {
    put_key(r, key);
    dstr_json_str(&r->line, val);
}

void log_strn(log_rec *r, const char *key, const char *val, size_t n) {
    put_key(r, key);
    dstr_json_strn(&r->line, val, n);
}

void log_int(log_rec *r, const char *key, long long v) {
    put_key(r, key);
    dstr_printf(&r->line, "%lld", v);
}

void log_num(log_rec *r, const char *key, double v) {
    put_key(r, key);
    dstr_json_num(&r->line, v);
}

void log_bool(log_rec *r, const char *key, int v) {
    put_key(r, key);
    dstr_puts(&r->line, v ? "true" : "false");
}

void log_json(log_rec *r, const char *key, const char *raw) {
    put_key(r, key);
    dstr_puts(&r->line, raw && *raw ? raw : "null");
}

void log_end(log_rec *r) {
    r->active = 0;
    if (r == &L.discard) return;
    dstr *s = &r->line;
    dstr_putc(s, '}');
    secret_scrub(s);
    if (L.sink) L.sink(L.sink_ctx, s->ptr, s->len);
    dstr_putc(s, '\n');
    /* one write per line: lines of concurrent processes never interleave.
     * A reader that went away (EPIPE; SIGPIPE is the runtime's to ignore) or a
     * full non-blocking pipe loses the line: logging never fails a caller. */
    size_t off = 0;
    while (off < s->len) {
        ssize_t w = write(L.fd, s->ptr + off, s->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    if (s->cap > 64 * 1024) dstr_free(s); /* don't keep a huge buffer for hours */
}

void log_msg(log_level level, const char *event, const char *fmt, ...) {
    log_rec *r = log_begin(level, event);
    dstr msg = {0};
    va_list ap;
    va_start(ap, fmt);
    dstr_vprintf(&msg, fmt, ap);
    va_end(ap);
    log_str(r, "message", dstr_cstr(&msg));
    dstr_free(&msg);
    log_end(r);
}

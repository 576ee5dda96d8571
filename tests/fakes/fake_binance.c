/* fake_binance: a local Binance USD-M REST server that replays the bundled
 * real market data time-shifted to now, plays scripted faults and, with
 * --account, keeps a futures account (lib/fake_account.h).
 *
 *   fake_binance [--port N] [--port-file FILE] [--data DIR] [--latency-ms N]
 *                [--account FILE]
 *
 * Serves GET /fapi/v1/{klines,depth,premiumIndex,exchangeInfo,time,ping} with
 * Binance's parameter rules, error bodies and X-MBX-USED-WEIGHT-1M, the
 * signed account endpoints when an account is loaded, plus the control API
 * of fake_http (/__fake/...) and POST /__fake/time (a pinned clock). Runs until SIGTERM, or SIGINT unless that came
 * ignored.
 * See tests/fakes/README.md. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/binance_replay.h"
#include "lib/fake_clock.h"
#include "lib/fake_account.h"
#include "gw_signals.h"
#include "lib/fake_http.h"

#define KLINES_MAX_LIMIT 1500
#define DEFAULT_LIMIT 500
#define FUNDING_MAX_LIMIT 1000
#define FUNDING_DEFAULT_LIMIT 100
#define MAX_LATENCY_MS 10000

typedef struct binance_fake {
    bnr_data data;
    pthread_mutex_t lock; /* guards the weight counter */
    int64_t weight_minute;
    long weight_used;
    long latency_ms;       /* added before every replayed answer (benchmarks) */
    fake_account *account; /* NULL without --account */
} binance_fake;

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Strict unsigned decimal of 1..20 digits that fits int64 (Binance's
 * '^[0-9]{1,20}$' plus the range of a Java long). */
static int parse_uint(const char *s, int64_t *out) {
    size_t n = strlen(s);
    if (n == 0 || n > 20) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[i] - '0', &v))
            return -1;
    }
    *out = v;
    return 0;
}

static void binance_error(fake_reply *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void binance_error(fake_reply *out, int code, const char *fmt, ...) {
    char head[48];
    snprintf(head, sizeof head, "{\"code\":%d,\"msg\":", code);
    va_list ap;
    va_start(ap, fmt);
    fake_reply_verror(out, 400, head, fmt, ap);
    va_end(ap);
}

static const char *mandatory(const fake_request *req, const char *name, fake_reply *out) {
    const char *v = fake_request_param(req, name);
    if (v && *v) return v;
    binance_error(out, -1102,
                  "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name);
    return NULL;
}

static const bnr_symbol *known_symbol(const binance_fake *b, const char *name, fake_reply *out) {
    const bnr_symbol *s = bnr_find_symbol(&b->data, name);
    if (!s) binance_error(out, -1121, "Invalid symbol.");
    return s;
}

/* An optional time parameter; returns -1 after writing Binance's error. */
static int time_param(const fake_request *req, const char *name, int *has, int64_t *v,
                      fake_reply *out) {
    const char *text = fake_request_param(req, name);
    *has = text != NULL;
    if (!text || parse_uint(text, v) == 0) return 0;
    binance_error(out, -1100,
                  "Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'.",
                  name);
    return -1;
}

/* limit (1..max), startTime, endTime into q; -1 after writing Binance's error. */
static int range_params(const fake_request *req, int64_t max, bnr_kline_query *q, fake_reply *out) {
    const char *limit = fake_request_param(req, "limit");
    int64_t n;
    if (limit && (parse_uint(limit, &n) || n < 1 || n > max)) {
        binance_error(out, -1130, "Data sent for parameter '%s' is not valid.", "limit");
        return -1;
    }
    if (limit) q->limit = (int)n;
    if (time_param(req, "startTime", &q->has_start, &q->start_ms, out) ||
        time_param(req, "endTime", &q->has_end, &q->end_ms, out))
        return -1;
    if (q->has_start && q->has_end && q->start_ms > q->end_ms) {
        binance_error(out, -1023, "Start time is greater than end time.");
        return -1;
    }
    return 0;
}

static void serve_klines(binance_fake *b, const fake_request *req, fake_reply *out) {
    const char *sym = mandatory(req, "symbol", out);
    const char *iv = sym ? mandatory(req, "interval", out) : NULL;
    const bnr_symbol *s = iv ? known_symbol(b, sym, out) : NULL;
    if (!s) return;
    bnr_kline_query q = {.interval = bnr_interval_index(iv), .limit = DEFAULT_LIMIT};
    if (q.interval < 0) {
        binance_error(out, -1120, "Invalid interval.");
        return;
    }
    if (range_params(req, KLINES_MAX_LIMIT, &q, out)) return;
    bnr_klines_json(&b->data, s, &q, fake_clock_now(), &out->body);
}

/* Binance: limit 1..1000, default 100. */
static void serve_funding(binance_fake *b, const fake_request *req, fake_reply *out) {
    const char *sym = mandatory(req, "symbol", out);
    const bnr_symbol *s = sym ? known_symbol(b, sym, out) : NULL;
    if (!s) return;
    bnr_kline_query q = {.limit = FUNDING_DEFAULT_LIMIT};
    if (range_params(req, FUNDING_MAX_LIMIT, &q, out)) return;
    bnr_funding_json(&b->data, s, &q, fake_clock_now(), &out->body);
}

static int depth_limit_valid(int64_t n) {
    static const int allowed[] = {5, 10, 20, 50, 100, 500, 1000};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (n == allowed[i]) return 1;
    return 0;
}

static void serve_depth(binance_fake *b, const fake_request *req, fake_reply *out) {
    const char *sym = mandatory(req, "symbol", out);
    const bnr_symbol *s = sym ? known_symbol(b, sym, out) : NULL;
    if (!s) return;
    const char *limit = fake_request_param(req, "limit");
    int64_t n = DEFAULT_LIMIT;
    if (limit && (parse_uint(limit, &n) || !depth_limit_valid(n))) {
        binance_error(out, -4021, "Invalid depth limit.");
        return;
    }
    bnr_depth_json(&b->data, s, (int)n, fake_clock_now(), &out->body);
}

/* One symbol's premiumIndex: the account's scripted mark price, if any. */
static void premium_of(binance_fake *b, const bnr_symbol *s, int64_t now, dstr *out) {
    fdec mark;
    int scripted = b->account && fa_scripted_mark(b->account, s->name, &mark) == 0;
    bnr_premium_json(&b->data, s, now, scripted ? &mark : NULL, out);
}

/* The exchange's clock: the account's may be skewed by the test. */
static int64_t server_ms(binance_fake *b) {
    return b->account ? fa_server_time(b->account) : fake_clock_now();
}

static void serve_premium(binance_fake *b, const fake_request *req, fake_reply *out) {
    const char *sym = fake_request_param(req, "symbol");
    int64_t now = fake_clock_now();
    if (sym) {
        const bnr_symbol *s = known_symbol(b, sym, out);
        if (s) premium_of(b, s, now, &out->body);
        return;
    }
    dstr_putc(&out->body, '[');
    for (size_t i = 0; i < b->data.n_symbols; i++) {
        if (i) dstr_putc(&out->body, ',');
        premium_of(b, &b->data.symbols[i], now, &out->body);
    }
    dstr_putc(&out->body, ']');
}

static void serve_exchange_info(binance_fake *b, const fake_request *req, fake_reply *out) {
    (void)req;
    bnr_exchange_info_json(&b->data, fake_clock_now(), &out->body);
}

static void serve_time(binance_fake *b, const fake_request *req, fake_reply *out) {
    (void)req;
    dstr_printf(&out->body, "{\"serverTime\":%lld}", (long long)server_ms(b));
}

static void serve_ping(binance_fake *b, const fake_request *req, fake_reply *out) {
    (void)b;
    (void)req;
    dstr_puts(&out->body, "{}");
}

/* Request weights from Binance's docs (trading-apis.md §1.5). */
static long weight_klines(const fake_request *req) {
    const char *limit = fake_request_param(req, "limit");
    int64_t n = DEFAULT_LIMIT;
    if (limit && parse_uint(limit, &n)) n = DEFAULT_LIMIT;
    return n < 100 ? 1 : n < 500 ? 2 : n <= 1000 ? 5 : 10;
}

static long weight_depth(const fake_request *req) {
    const char *limit = fake_request_param(req, "limit");
    int64_t n = DEFAULT_LIMIT;
    if (limit && parse_uint(limit, &n)) n = 5;
    return n <= 50 ? 2 : n <= 100 ? 5 : n <= 500 ? 10 : 20;
}

static long weight_premium(const fake_request *req) {
    return fake_request_param(req, "symbol") ? 1 : 10;
}

static long weight_one(const fake_request *req) {
    (void)req;
    return 1;
}

static const struct route {
    const char *path;
    void (*serve)(binance_fake *b, const fake_request *req, fake_reply *out);
    long (*weight)(const fake_request *req);
} routes[] = {
    {"/fapi/v1/klines", serve_klines, weight_klines},
    {"/fapi/v1/depth", serve_depth, weight_depth},
    {"/fapi/v1/premiumIndex", serve_premium, weight_premium},
    {"/fapi/v1/fundingRate", serve_funding, weight_one},
    {"/fapi/v1/exchangeInfo", serve_exchange_info, weight_one},
    {"/fapi/v1/time", serve_time, weight_one},
    {"/fapi/v1/ping", serve_ping, weight_one},
};

static const struct route *find_route(const fake_request *req) {
    if (strcmp(req->method, "GET") != 0) return NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(routes[i].path, req->path) == 0) return &routes[i];
    return NULL;
}

/* Only this connection's thread waits: other requests are served meanwhile. */
static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void on_serve(void *ctx, const fake_request *req, fake_reply *out) {
    binance_fake *b = ctx;
    if (b->latency_ms > 0) sleep_ms(b->latency_ms);
    if (b->account && fa_serve(b->account, req, out)) return;
    const struct route *r = find_route(req);
    if (r) {
        r->serve(ctx, req, out);
        return;
    }
    out->status = 404;
    dstr_puts(&out->body, "{\"code\":-1000,\"msg\":\"fake_binance: no such endpoint (");
    dstr_puts(&out->body, strcmp(req->method, "GET") == 0 ? "path" : "method");
    dstr_puts(&out->body, ")\"}");
}

static void on_decorate(void *ctx, const fake_request *req, fake_reply *out) {
    binance_fake *b = ctx;
    const struct route *r = find_route(req);
    long w = r ? r->weight(req) : 1;
    if (b->account && fa_is_route(req)) {
        w = fa_weight(req);
        fa_decorate(b->account, req, out);
    }
    int64_t minute = wall_ms() / 60000;
    pthread_mutex_lock(&b->lock);
    if (minute != b->weight_minute) {
        b->weight_minute = minute;
        b->weight_used = 0;
    }
    b->weight_used += w;
    long used = b->weight_used;
    pthread_mutex_unlock(&b->lock);
    char text[32];
    snprintf(text, sizeof text, "%ld", used);
    fake_reply_header(out, "X-MBX-USED-WEIGHT-1M", text, 0);
}

/* POST /__fake/time {"now_ms": T} pins the fake's clock at T (the market
 * and the account as of T, see lib/fake_clock.h); {"now_ms": null} unpins. */
static int ctl_time(const fake_request *req, fake_reply *out) {
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "now_ms");
    int ok =
        cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1e15 &&
                            v->valuedouble == (double)(int64_t)v->valuedouble);
    if (!ok) {
        out->status = 400;
        dstr_puts(&out->body, "{\"error\":\"now_ms must be an integer >= 0 or null\"}");
    } else {
        if (cJSON_IsNull(v)) fake_clock_unpin();
        else fake_clock_pin((int64_t)v->valuedouble);
        dstr_printf(&out->body, "{\"now_ms\":%lld,\"pinned\":%s}", (long long)fake_clock_now(),
                    fake_clock_pinned() ? "true" : "false");
    }
    cJSON_Delete(body);
    return 1;
}

static int on_control(void *ctx, const fake_request *req, fake_reply *out) {
    binance_fake *b = ctx;
    if (strcmp(req->path, "/__fake/time") == 0 && strcmp(req->method, "POST") == 0)
        return ctl_time(req, out);
    return b->account ? fa_control(b->account, req, out) : 0;
}

static void on_reset(void *ctx) {
    binance_fake *b = ctx;
    fake_clock_unpin();
    if (b->account) fa_reset(b->account);
}

/* The account's view of the replay: the current price in 1e-8 units. */
static int replay_price(void *ctx, const char *symbol, int64_t now_ms, int64_t *units) {
    const binance_fake *b = ctx;
    const bnr_symbol *s = bnr_find_symbol(&b->data, symbol);
    fdec price, p8;
    if (!s || bnr_current_price(&b->data, s, now_ms, &price) || fdec_rescale(price, 8, &p8))
        return -1;
    *units = p8.m;
    return 0;
}

/* ---- command line ------------------------------------------------------------ */

typedef struct options {
    long port;
    const char *port_file;
    const char *data_dir;
    long latency_ms;
    const char *account_file;
} options;

static void usage(FILE *to) {
    fprintf(to, "usage: fake_binance [--port N] [--port-file FILE] [--data DIR] [--latency-ms N]\n"
                "                    [--account FILE]\n"
                "  --port N        listen on 127.0.0.1:N (default 0: any free port)\n"
                "  --port-file F   write the chosen port to F once listening\n"
                "  --data DIR      bundled data (default tests/data/binance)\n"
                "  --latency-ms N  delay every replayed answer by N ms (0..10000, default 0)\n"
                "  --account FILE  serve a futures account (signed endpoints) from this JSON\n");
}

static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.port = 0, .data_dir = "tests/data/binance"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (!v || (strcmp(a, "--port") && strcmp(a, "--port-file") && strcmp(a, "--data") &&
                   strcmp(a, "--latency-ms") && strcmp(a, "--account"))) {
            fprintf(stderr, "fake_binance: %s: %s\n", a, v ? "unknown option" : "missing value");
            usage(stderr);
            return -1;
        }
        i++;
        if (strcmp(a, "--port") == 0) {
            int64_t p;
            if (parse_uint(v, &p) || p > 65535) {
                fprintf(stderr, "fake_binance: --port %s: want 0..65535\n", v);
                return -1;
            }
            o->port = (long)p;
        } else if (strcmp(a, "--latency-ms") == 0) {
            int64_t ms;
            if (parse_uint(v, &ms) || ms > MAX_LATENCY_MS) {
                fprintf(stderr, "fake_binance: --latency-ms %s: want 0..%d\n", v, MAX_LATENCY_MS);
                return -1;
            }
            o->latency_ms = (long)ms;
        } else if (strcmp(a, "--port-file") == 0) {
            o->port_file = v;
        } else if (strcmp(a, "--account") == 0) {
            o->account_file = v;
        } else {
            o->data_dir = v;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    options opt;
    if (parse_options(argc, argv, &opt)) return 2;

    /* signals are taken by sigwait below (gw_signals.h says which) */
    sigset_t stop_signals;
    gw_block_stop_signals(&stop_signals);
    signal(SIGPIPE, SIG_IGN);

    binance_fake b = {.latency_ms = opt.latency_ms};
    pthread_mutex_init(&b.lock, NULL);
    dstr err = {0};
    int rc = 1;
    fake_http *srv = NULL;
    if (bnr_load(&b.data, opt.data_dir, &err)) {
        fprintf(stderr, "fake_binance: %s\n", err.ptr);
        goto out;
    }
    if (opt.account_file &&
        !(b.account = fa_load(opt.account_file, b.data.exchange_info, replay_price, &b, &err))) {
        fprintf(stderr, "fake_binance: --account %s\n", err.ptr);
        goto out;
    }
    fake_http_hooks hooks = {.serve = on_serve,
                             .decorate = on_decorate,
                             .control = on_control,
                             .reset = on_reset,
                             .ctx = &b};
    srv = fake_http_start((uint16_t)opt.port, &hooks, &err);
    if (!srv) {
        fprintf(stderr, "fake_binance: %s\n", err.ptr);
        goto out;
    }
    unsigned port = fake_http_port(srv);
    if (opt.port_file && fake_write_port_file("fake_binance", opt.port_file, port)) goto out;
    int64_t now = fake_clock_now();
    fprintf(stderr,
            "fake_binance: listening on http://127.0.0.1:%u (data %s, %zu symbols, "
            "replay shift %lld days, latency %ld ms%s%s)\n",
            port, opt.data_dir, b.data.n_symbols,
            (long long)(bnr_shift_ms(&b.data, now) / BNR_DAY_MS), b.latency_ms,
            b.account ? ", account " : "", b.account ? opt.account_file : "");
    int sig;
    sigwait(&stop_signals, &sig);
    rc = 0;
out:
    fake_http_stop(srv);
    fa_free(b.account);
    bnr_free(&b.data);
    pthread_mutex_destroy(&b.lock);
    dstr_free(&err);
    return rc;
}

/* run_fake_binance: starts build/<v>/bin/fake_binance on an ephemeral port and
 * checks it over HTTP: replay shapes and values against the bundled CSVs,
 * Binance's error bodies and weights, the synthesized order book, and the
 * control API (script consumption, truncate, close, hang, request records).
 *
 *   run_fake_binance [path/to/fake_binance]   (run from the repository root)
 *
 * Default binary: $FAKE_BINANCE, else <dir of this program>/../bin/fake_binance.
 * Data: $FAKE_BINANCE_DATA, else tests/data/binance. The fake must exit 0 on
 * SIGTERM (under ASan that also means: no leaks). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>
#include <curl/curl.h>

#include "fake_server.h"
#include "platform/dstr.h"

#define DAY_MS 86400000LL

static char fake_bin[4096];
static const char *data_dir = "tests/data/binance";
static fake_server fake;
static char base_url[64];

/* ---- helpers -------------------------------------------------------------- */

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

typedef struct resp {
    CURLcode rc;
    long status;
    dstr body;
    dstr headers;
    long connects;
    int64_t elapsed_ms;
    int64_t t_before, t_after; /* wall clock around the request */
} resp;

static void resp_free(resp *r) {
    dstr_free(&r->body);
    dstr_free(&r->headers);
}

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    dstr_append(ud, p, size * n);
    return size * n;
}

/* One request. reuse: a handle kept by the caller (keep-alive), or NULL. */
static void http_do(CURL *reuse, const char *method, const char *path, const char *body,
                    const char *header, resp *out) {
    memset(out, 0, sizeof *out);
    CURL *c = reuse ? reuse : curl_easy_init();
    assert_non_null(c);
    dstr url = {0};
    dstr_printf(&url, "%s%s", base_url, path);
    struct curl_slist *hl = header ? curl_slist_append(NULL, header) : NULL;
    curl_easy_setopt(c, CURLOPT_URL, url.ptr);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (!body) curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    out->t_before = wall_ms();
    int64_t t0 = mono_ms();
    out->rc = curl_easy_perform(c);
    out->elapsed_ms = mono_ms() - t0;
    out->t_after = wall_ms();
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &out->connects);
    dstr_append(&out->body, "", 0);    /* allocates and NUL-terminates */
    dstr_append(&out->headers, "", 0); /* allocates and NUL-terminates */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    if (!reuse) curl_easy_cleanup(c);
    dstr_free(&url);
}

static void get(const char *path, resp *out) { http_do(NULL, "GET", path, NULL, NULL, out); }

static void post(const char *path, const char *body, resp *out) {
    http_do(NULL, "POST", path, body, NULL, out);
}

/* Value of a response header (first occurrence), copied into buf. */
static const char *header_value(const resp *r, const char *name, char *buf, size_t cap) {
    size_t n = strlen(name);
    for (const char *line = r->headers.ptr; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ') v++;
            size_t vl = len - (size_t)(v - line);
            if (vl >= cap) vl = cap - 1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            return buf;
        }
        line = eol ? eol + 2 : line + len;
    }
    return NULL;
}

static cJSON *json_of(const resp *r) {
    cJSON *j = cJSON_ParseWithLength(r->body.ptr ? r->body.ptr : "", r->body.len);
    if (!j) fail_msg("not JSON (status %ld): %.200s", r->status, r->body.ptr ? r->body.ptr : "");
    return j;
}

/* GETs path, expects 200 and JSON; the caller deletes the result. */
static cJSON *get_json(const char *path, resp *out) {
    get(path, out);
    assert_int_equal(out->rc, CURLE_OK);
    if (out->status != 200) fail_msg("%s: status %ld: %.200s", path, out->status, out->body.ptr);
    return json_of(out);
}

static void reset_fake(void) {
    resp r;
    post("/__fake/reset", "", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

static void load_script(const char *script) {
    resp r;
    post("/__fake/script", script, &r);
    if (r.status != 200) fail_msg("script refused: %s", r.body.ptr);
    resp_free(&r);
}

static cJSON *recorded(void) {
    resp r;
    cJSON *j = get_json("/__fake/requests", &r);
    resp_free(&r);
    assert_true(cJSON_IsArray(j));
    return j;
}

/* Exact decimal string with up to 8 decimals to an integer of 1e-8 units. */
static int64_t units(const char *s) {
    int neg = *s == '-';
    if (neg) s++;
    int64_t v = 0;
    int frac = -1;
    for (; *s; s++) {
        if (*s == '.') {
            frac = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || frac >= 8) fail_msg("bad decimal text");
        v = v * 10 + (*s - '0');
        if (frac >= 0) frac++;
    }
    for (int k = frac < 0 ? 0 : frac; k < 8; k++) v *= 10;
    return neg ? -v : v;
}

static const char *str_at(const cJSON *arr, int i) {
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    if (!cJSON_IsString(v)) fail_msg("field %d is not a string", i);
    return v->valuestring;
}

static int64_t int_at(const cJSON *arr, int i) {
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
        fail_msg("field %d is not an integer", i);
    return (int64_t)v->valuedouble;
}

/* ---- the bundled CSVs (ground truth) ------------------------------------------ */

typedef struct csv_row {
    int64_t open_time;
    char f[5][32]; /* open high low close volume, as written */
} csv_row;

typedef struct csv_rows {
    csv_row *rows;
    size_t n;
} csv_rows;

static void csv_load(const char *symbol, const char *interval, csv_rows *out) {
    char path[512];
    snprintf(path, sizeof path, "%s/klines/%s-%s.csv", data_dir, symbol, interval);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("%s: %s", path, strerror(errno));
    char line[512];
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        csv_row r;
        memset(&r, 0, sizeof r);
        char *save = NULL, *tok = strtok_r(line, ",", &save);
        r.open_time = strtoll(tok, NULL, 10);
        for (int k = 0; k < 5 && (tok = strtok_r(NULL, ",", &save)); k++)
            snprintf(r.f[k], sizeof r.f[k], "%s", tok);
        if (out->n == cap) {
            cap = cap ? cap * 2 : 1024;
            out->rows = realloc(out->rows, cap * sizeof *out->rows);
            assert_non_null(out->rows);
        }
        out->rows[out->n++] = r;
    }
    fclose(f);
}

static const csv_row *csv_find(const csv_rows *c, int64_t open_time) {
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].open_time == open_time) return &c->rows[i];
    return NULL;
}

/* ---- kline shape checks --------------------------------------------------------- */

static const struct bundled {
    const char *interval;
    int64_t ms;
    int min_rows; /* a 1500 page holds at least this many (4h and 1d files are shorter) */
} bundled[] = {
    {"5m", 300000LL, 1500}, {"1h", 3600000LL, 1500}, {"4h", 14400000LL, 1000}, {"1d", DAY_MS, 150}};

static const char *const symbols[] = {"BTCUSDT", "ETHUSDT"};

/* 12 fields with Binance's types; OHLC consistent; close_time = open + iv - 1. */
static void check_row(const cJSON *row, int64_t iv_ms) {
    assert_true(cJSON_IsArray(row));
    assert_int_equal(cJSON_GetArraySize(row), 12);
    int64_t open_time = int_at(row, 0), close_time = int_at(row, 6);
    assert_int_equal(close_time, open_time + iv_ms - 1);
    assert_int_equal(open_time % iv_ms, 0);
    int64_t o = units(str_at(row, 1)), h = units(str_at(row, 2)), l = units(str_at(row, 3)),
            c = units(str_at(row, 4)), v = units(str_at(row, 5));
    assert_true(l <= o && o <= h && l <= c && c <= h && l > 0 && v >= 0);
    /* quote volume ~ volume * close (exact product of the strings) */
    double qv = strtod(str_at(row, 7), NULL);
    double expect = (double)v / 1e8 * ((double)c / 1e8);
    assert_true(qv >= expect * 0.999999 && qv <= expect * 1.000001 + 1e-9);
    assert_int_equal(int_at(row, 8), 0);
    assert_string_equal(str_at(row, 9), "0");
    assert_string_equal(str_at(row, 10), "0");
    assert_string_equal(str_at(row, 11), "0");
}

static cJSON *klines(const char *symbol, const char *interval, const char *extra, resp *r) {
    char path[256];
    snprintf(path, sizeof path, "/fapi/v1/klines?symbol=%s&interval=%s%s", symbol, interval, extra);
    return get_json(path, r);
}

static void test_klines_shape_and_forming(void **state) {
    (void)state;
    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; i < sizeof bundled / sizeof bundled[0]; i++) {
            resp r;
            cJSON *rows = klines(symbols[s], bundled[i].interval, "&limit=1500", &r);
            int n = cJSON_GetArraySize(rows);
            assert_true(n >= bundled[i].min_rows && n <= 1500);
            int64_t prev = 0;
            const cJSON *row;
            cJSON_ArrayForEach(row, rows) {
                check_row(row, bundled[i].ms);
                int64_t t = int_at(row, 0);
                if (prev) assert_int_equal(t, prev + bundled[i].ms); /* no gaps */
                prev = t;
            }
            const cJSON *last = cJSON_GetArrayItem(rows, n - 1);
            /* the newest row is the one forming now */
            assert_true(int_at(last, 0) <= r.t_after);
            assert_true(int_at(last, 6) >= r.t_before);
            cJSON_Delete(rows);
            resp_free(&r);
        }
    }
}

/* Closed rows are the CSV rows shifted by a whole number of days, text for
 * text; the forming row aggregates the 5m CSV rows of its bucket so far. */
static void test_klines_values_match_csv(void **state) {
    (void)state;
    csv_rows m5;
    csv_load("BTCUSDT", "5m", &m5);
    for (size_t i = 0; i < sizeof bundled / sizeof bundled[0]; i++) {
        csv_rows csv;
        csv_load("BTCUSDT", bundled[i].interval, &csv);
        resp r;
        cJSON *rows = klines("BTCUSDT", bundled[i].interval, "&limit=50", &r);
        int n = cJSON_GetArraySize(rows);
        assert_int_equal(n, 50);
        /* the one whole-day shift that puts "now" in the last day of the 5m
         * data (BTCUSDT's 5m file ends first, so it sets the end) */
        int64_t end = m5.rows[m5.n - 1].open_time + 300000;
        int64_t d = r.t_after - end;
        int64_t shift = ((d >= 0 ? d / DAY_MS : -((-d + DAY_MS - 1) / DAY_MS)) + 1) * DAY_MS;
        for (int k = 0; k < n - 1; k++) {
            const cJSON *row = cJSON_GetArrayItem(rows, k);
            const csv_row *c = csv_find(&csv, int_at(row, 0) - shift);
            if (!c) fail_msg("%s row %d: no CSV row at data time", bundled[i].interval, k);
            for (int f = 0; f < 5; f++) assert_string_equal(str_at(row, 1 + f), c->f[f]);
        }
        const cJSON *forming = cJSON_GetArrayItem(rows, n - 1);
        int64_t bucket = int_at(forming, 0) - shift;
        int64_t hi = 0, lo = INT64_MAX;
        const csv_row *first = NULL, *lastc = NULL;
        for (size_t k = 0; k < m5.n; k++) {
            const csv_row *c = &m5.rows[k];
            if (c->open_time < bucket || c->open_time > r.t_after - shift) continue;
            if (!first) first = c;
            lastc = c;
            if (units(c->f[1]) > hi) hi = units(c->f[1]);
            if (units(c->f[2]) < lo) lo = units(c->f[2]);
        }
        assert_non_null(first);
        assert_string_equal(str_at(forming, 1), first->f[0]);
        assert_int_equal(units(str_at(forming, 2)), hi);
        assert_int_equal(units(str_at(forming, 3)), lo);
        assert_string_equal(str_at(forming, 4), lastc->f[3]);
        cJSON_Delete(rows);
        resp_free(&r);
        free(csv.rows);
    }
    free(m5.rows);
}

/* Newest close of every interval, mark price and the book agree. */
static void test_current_price_consistent(void **state) {
    (void)state;
    for (int attempt = 0; attempt < 3; attempt++) {
        int64_t closes[4];
        int64_t t0 = wall_ms() / 300000;
        for (size_t i = 0; i < 4; i++) {
            resp r;
            cJSON *rows = klines("BTCUSDT", bundled[i].interval, "&limit=1", &r);
            assert_int_equal(cJSON_GetArraySize(rows), 1);
            closes[i] = units(str_at(cJSON_GetArrayItem(rows, 0), 4));
            cJSON_Delete(rows);
            resp_free(&r);
        }
        resp r;
        cJSON *pi = get_json("/fapi/v1/premiumIndex?symbol=BTCUSDT", &r);
        int64_t mark = units(cJSON_GetObjectItem(pi, "markPrice")->valuestring);
        cJSON_Delete(pi);
        resp_free(&r);
        cJSON *book = get_json("/fapi/v1/depth?symbol=BTCUSDT&limit=5", &r);
        int64_t bid = units(str_at(cJSON_GetArrayItem(cJSON_GetObjectItem(book, "bids"), 0), 0));
        int64_t ask = units(str_at(cJSON_GetArrayItem(cJSON_GetObjectItem(book, "asks"), 0), 0));
        cJSON_Delete(book);
        resp_free(&r);
        if (wall_ms() / 300000 != t0) continue; /* a new 5m candle began: retry */
        for (size_t i = 1; i < 4; i++) assert_int_equal(closes[i], closes[0]);
        assert_int_equal(mark, closes[0]);
        assert_true(bid <= closes[0] && closes[0] < ask);
        return;
    }
    fail_msg("could not read a consistent snapshot in 3 tries");
}

/* startTime / endTime / limit selection, compared with one full page. */
/* Compares each case with a slice of one full page; the first mismatch is
 * described in why (256 bytes), left empty when all match. */
static void klines_time_filters(char *why) {
    resp r;
    why[0] = '\0';
    cJSON *all = klines("ETHUSDT", "1h", "&limit=1500", &r);
    resp_free(&r);
    int n = cJSON_GetArraySize(all);
    int64_t t100 = int_at(cJSON_GetArrayItem(all, 100), 0);
    int64_t t200 = int_at(cJSON_GetArrayItem(all, 200), 0);
    char q[160];
    struct {
        int64_t start, end; /* -1: not sent */
        int limit;          /* 0: not sent */
        int first, count;   /* expected slice of `all` */
    } cases[] = {
        {t100, -1, 5, 100, 5},
        {t100 + 1, -1, 3, 101, 3}, /* start inside a candle: the next one */
        {-1, t200, 4, 197, 4},     /* endTime only: the last rows up to it */
        {-1, t200 + 1, 4, 197, 4},
        {t100, t200, 1000, 100, 101}, /* both: inclusive range */
        {t100, t200, 10, 100, 10},
        {-1, -1, 7, n - 7, 7},                  /* neither: the newest */
        {-1, -1, 0, n - 500, 500},              /* default limit 500 */
        {r.t_after + 10 * DAY_MS, -1, 5, 0, 0}, /* in the future: nothing */
        {-1, 1000, 5, 0, 0},                    /* before the data: nothing */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int len = 0;
        q[0] = '\0';
        if (cases[i].start >= 0)
            len += snprintf(q + len, sizeof q - (size_t)len, "&startTime=%lld",
                            (long long)cases[i].start);
        if (cases[i].end >= 0)
            len +=
                snprintf(q + len, sizeof q - (size_t)len, "&endTime=%lld", (long long)cases[i].end);
        if (cases[i].limit) snprintf(q + len, sizeof q - (size_t)len, "&limit=%d", cases[i].limit);
        cJSON *rows = klines("ETHUSDT", "1h", q, &r);
        int bad = cJSON_GetArraySize(rows) != cases[i].count;
        for (int k = 0; !bad && k < cases[i].count; k++)
            bad = int_at(cJSON_GetArrayItem(rows, k), 0) !=
                  int_at(cJSON_GetArrayItem(all, cases[i].first + k), 0);
        if (bad && !*why)
            snprintf(why, 256, "case %zu (%s): %d rows, want %d from index %d", i, q,
                     cJSON_GetArraySize(rows), cases[i].count, cases[i].first);
        cJSON_Delete(rows);
        resp_free(&r);
    }
    cJSON_Delete(all);
}

static void test_klines_time_filters(void **state) {
    (void)state;
    char why[256];
    int64_t hour = wall_ms() / 3600000;
    klines_time_filters(why);
    /* the expectations come from one page read at the start; an hour that
     * began meanwhile shifts the newest rows, so a run across it is redone */
    if (*why && wall_ms() / 3600000 != hour) klines_time_filters(why);
    if (*why) fail_msg("%s", why);
}

/* ---- errors and headers ------------------------------------------------------------ */

static void test_error_bodies(void **state) {
    (void)state;
    static const struct {
        const char *path;
        long status;
        int code; /* 0: not a Binance error body */
        const char *msg;
    } cases[] = {
        {"/fapi/v1/klines?interval=1h", 400, -1102,
         "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."},
        {"/fapi/v1/klines?symbol=&interval=1h", 400, -1102,
         "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."},
        {"/fapi/v1/klines?symbol=BTCUSDT", 400, -1102,
         "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."},
        {"/fapi/v1/klines?symbol=XYZUSDT&interval=1h", 400, -1121, "Invalid symbol."},
        {"/fapi/v1/klines?symbol=btcusdt&interval=1h", 400, -1121, "Invalid symbol."},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=7m", 400, -1120, "Invalid interval."},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1H", 400, -1120, "Invalid interval."},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=0", 400, -1130,
         "Data sent for parameter 'limit' is not valid."},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=1501", 400, -1130,
         "Data sent for parameter 'limit' is not valid."},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=abc", 400, -1130,
         "Data sent for parameter 'limit' is not valid."},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=-5", 400, -1130,
         "Data sent for parameter 'limit' is not valid."},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&startTime=12x", 400, -1100,
         "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&startTime=2000&endTime=1000", 400, -1023,
         "Start time is greater than end time."},
        {"/fapi/v1/depth?symbol=BTCUSDT&limit=7", 400, -4021, "Invalid depth limit."},
        {"/fapi/v1/depth?symbol=BTCUSDT&limit=x", 400, -4021, "Invalid depth limit."},
        {"/fapi/v1/depth", 400, -1102,
         "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."},
        {"/fapi/v1/depth?symbol=XYZUSDT", 400, -1121, "Invalid symbol."},
        {"/fapi/v1/premiumIndex?symbol=XYZUSDT", 400, -1121, "Invalid symbol."},
        {"/fapi/v1/nothing", 404, -1000, NULL},
        {"/__fake/nothing", 404, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp r;
        get(cases[i].path, &r);
        if (r.status != cases[i].status)
            fail_msg("%s: status %ld, want %ld", cases[i].path, r.status, cases[i].status);
        char ct[64];
        assert_non_null(header_value(&r, "Content-Type", ct, sizeof ct));
        assert_string_equal(ct, "application/json");
        cJSON *j = json_of(&r);
        if (cases[i].code) {
            assert_int_equal(cJSON_GetObjectItem(j, "code")->valueint, cases[i].code);
            if (cases[i].msg)
                assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring, cases[i].msg);
        }
        cJSON_Delete(j);
        resp_free(&r);
    }
}

static void test_unbundled_interval_is_empty(void **state) {
    (void)state;
    static const char *const valid[] = {"1m", "3m",  "15m", "30m", "2h", "6h",
                                        "8h", "12h", "3d",  "1w",  "1M"};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        resp r;
        cJSON *rows = klines("BTCUSDT", valid[i], "", &r);
        assert_true(cJSON_IsArray(rows));
        assert_int_equal(cJSON_GetArraySize(rows), 0);
        cJSON_Delete(rows);
        resp_free(&r);
    }
}

static long used_weight(const resp *r) {
    char v[32];
    if (!header_value(r, "X-MBX-USED-WEIGHT-1M", v, sizeof v)) fail_msg("no X-MBX-USED-WEIGHT-1M");
    return strtol(v, NULL, 10);
}

static void test_used_weight(void **state) {
    (void)state;
    static const struct {
        const char *path;
        long weight;
    } cases[] = {
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=99", 1},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=100", 2},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h", 5},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=1000", 5},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=1001", 10},
        {"/fapi/v1/depth?symbol=BTCUSDT&limit=50", 2},
        {"/fapi/v1/depth?symbol=BTCUSDT&limit=100", 5},
        {"/fapi/v1/depth?symbol=BTCUSDT", 10},
        {"/fapi/v1/depth?symbol=BTCUSDT&limit=1000", 20},
        {"/fapi/v1/premiumIndex?symbol=BTCUSDT", 1},
        {"/fapi/v1/premiumIndex", 10},
        {"/fapi/v1/exchangeInfo", 1},
        {"/fapi/v1/time", 1},
        {"/fapi/v1/ping", 1},
    };
    resp r;
    get("/fapi/v1/ping", &r);
    long before = used_weight(&r);
    int64_t minute = r.t_after / 60000;
    resp_free(&r);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        get(cases[i].path, &r);
        long now = used_weight(&r);
        int same_minute = r.t_before / 60000 == minute && r.t_after / 60000 == minute;
        if (same_minute && now != before + cases[i].weight)
            fail_msg("%s: weight %ld -> %ld, want +%ld", cases[i].path, before, now,
                     cases[i].weight);
        if (!same_minute) assert_true(now == before + cases[i].weight || now == cases[i].weight);
        before = now;
        minute = r.t_after / 60000;
        resp_free(&r);
    }
}

/* ---- depth, premium index, exchange info ------------------------------------------- */

static void test_depth_book(void **state) {
    (void)state;
    static const struct {
        const char *query;
        int levels;
        int64_t tick; /* in 1e-8 units */
    } cases[] = {
        {"symbol=BTCUSDT&limit=5", 5, 10000000},     {"symbol=BTCUSDT&limit=10", 10, 10000000},
        {"symbol=BTCUSDT&limit=20", 20, 10000000},   {"symbol=BTCUSDT&limit=50", 50, 10000000},
        {"symbol=BTCUSDT&limit=100", 100, 10000000}, {"symbol=BTCUSDT&limit=1000", 100, 10000000},
        {"symbol=BTCUSDT", 100, 10000000},           {"symbol=ETHUSDT&limit=100", 100, 1000000},
        {"symbol=ETHUSDT&limit=500", 100, 1000000},
    };
    char path[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "/fapi/v1/depth?%s", cases[i].query);
        resp r;
        cJSON *book = get_json(path, &r);
        const cJSON *bids = cJSON_GetObjectItem(book, "bids"),
                    *asks = cJSON_GetObjectItem(book, "asks");
        assert_int_equal(cJSON_GetArraySize(bids), cases[i].levels);
        assert_int_equal(cJSON_GetArraySize(asks), cases[i].levels);
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(book, "lastUpdateId")));
        int64_t e = (int64_t)cJSON_GetObjectItem(book, "E")->valuedouble;
        assert_true(e >= r.t_before && e <= r.t_after);
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(book, "T")));
        int64_t tick = cases[i].tick;
        int64_t b0 = units(str_at(cJSON_GetArrayItem(bids, 0), 0));
        int64_t a0 = units(str_at(cJSON_GetArrayItem(asks, 0), 0));
        assert_int_equal(a0 - b0, tick);
        for (int k = 0; k < cases[i].levels; k++) {
            const cJSON *b = cJSON_GetArrayItem(bids, k), *a = cJSON_GetArrayItem(asks, k);
            int64_t bp = units(str_at(b, 0)), ap = units(str_at(a, 0));
            assert_int_equal(bp % tick, 0);
            assert_int_equal(ap % tick, 0);
            assert_int_equal(ap - a0, b0 - bp); /* asks mirror bids */
            assert_string_equal(str_at(a, 1), str_at(b, 1));
            assert_true(units(str_at(b, 1)) > 0);
            if (k) assert_true(bp < units(str_at(cJSON_GetArrayItem(bids, k - 1), 0)));
        }
        cJSON_Delete(book);
        resp_free(&r);
    }
}

/* BTC: the snapshot's offsets scaled to the price, so the book is about as
 * deep in relative terms as the real one (~0.054 % over 100 levels). */
static void test_depth_keeps_relative_offsets(void **state) {
    (void)state;
    resp r;
    cJSON *book = get_json("/fapi/v1/depth?symbol=BTCUSDT&limit=100", &r);
    const cJSON *bids = cJSON_GetObjectItem(book, "bids");
    double top = (double)units(str_at(cJSON_GetArrayItem(bids, 0), 0));
    double bottom = (double)units(str_at(cJSON_GetArrayItem(bids, 99), 0));
    double rel = (top - bottom) / top;
    double snapshot_rel = (20377.00 - 20365.90) / 20377.00;
    assert_true(rel > snapshot_rel * 0.95 && rel < snapshot_rel * 1.05);
    assert_string_equal(str_at(cJSON_GetArrayItem(bids, 0), 1), "1.770"); /* first snapshot qty */
    cJSON_Delete(book);
    resp_free(&r);
}

static void test_premium_index(void **state) {
    (void)state;
    resp r;
    cJSON *all = get_json("/fapi/v1/premiumIndex", &r);
    assert_true(cJSON_IsArray(all));
    assert_int_equal(cJSON_GetArraySize(all), 2);
    const cJSON *p;
    cJSON_ArrayForEach(p, all) {
        static const char *const fields[] = {"markPrice", "indexPrice", "estimatedSettlePrice",
                                             "lastFundingRate", "interestRate"};
        for (size_t i = 0; i < 5; i++)
            assert_true(cJSON_IsString(cJSON_GetObjectItem(p, fields[i])));
        /* both funding files end with 0.00010000, the newest rate before data time */
        assert_string_equal(cJSON_GetObjectItem(p, "lastFundingRate")->valuestring, "0.00010000");
        assert_string_equal(cJSON_GetObjectItem(p, "interestRate")->valuestring, "0.00010000");
        int64_t next = (int64_t)cJSON_GetObjectItem(p, "nextFundingTime")->valuedouble;
        assert_int_equal(next % (8 * 3600000LL), 0);
        assert_true(next > r.t_before && next <= r.t_after + 8 * 3600000LL);
        int64_t t = (int64_t)cJSON_GetObjectItem(p, "time")->valuedouble;
        assert_true(t >= r.t_before && t <= r.t_after);
    }
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0), "symbol")->valuestring,
                        "BTCUSDT");
    cJSON_Delete(all);
    resp_free(&r);
    cJSON *one = get_json("/fapi/v1/premiumIndex?symbol=ETHUSDT", &r);
    assert_true(cJSON_IsObject(one));
    assert_string_equal(cJSON_GetObjectItem(one, "symbol")->valuestring, "ETHUSDT");
    cJSON_Delete(one);
    resp_free(&r);
}

static void test_exchange_info_time_ping(void **state) {
    (void)state;
    resp r;
    cJSON *info = get_json("/fapi/v1/exchangeInfo", &r);
    int64_t st = (int64_t)cJSON_GetObjectItem(info, "serverTime")->valuedouble;
    assert_true(st >= r.t_before && st <= r.t_after);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(info, "symbols")), 3);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(info, "rateLimits")));
    cJSON_Delete(info);
    resp_free(&r);
    cJSON *t = get_json("/fapi/v1/time", &r);
    st = (int64_t)cJSON_GetObjectItem(t, "serverTime")->valuedouble;
    assert_true(st >= r.t_before && st <= r.t_after);
    cJSON_Delete(t);
    resp_free(&r);
    get("/fapi/v1/ping", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.ptr, "{}");
    resp_free(&r);
}

/* ---- control API ----------------------------------------------------------------- */

static void test_script_consumed_in_order(void **state) {
    (void)state;
    reset_fake();
    load_script("["
                "{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"status\":429,"
                "\"headers\":{\"Retry-After\":\"1\"},\"json\":{\"code\":-1003,\"msg\":\"Too many "
                "requests.\"}}},"
                "{\"match\":{\"path\":\"/fapi/v1/"
                "depth\"},\"answer\":{\"status\":503,\"body\":\"Service Unavailable.\","
                "\"headers\":{\"Content-Type\":\"text/plain\"}}},"
                "{\"match\":{\"method\":\"POST\",\"path\":\"/fapi/v1/"
                "klines\"},\"answer\":{\"status\":418}},"
                "{\"match\":{\"path\":\"/fapi/v1/"
                "klines\",\"params\":{\"symbol\":\"ETHUSDT\"}},\"answer\":{\"status\":500}},"
                "{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"replay\":true}},"
                "{\"match\":{\"path\":\"/fapi/v1/"
                "klines\"},\"answer\":{\"status\":502,\"body\":\"bad gateway\"}}"
                "]");
    static const struct {
        const char *path;
        long status;
        const char *body_prefix;
        long step; /* -1: replay */
    } seq[] = {
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=2", 429, "{\"code\":-1003", 0},
        {"/fapi/v1/time", 200, "{\"serverTime\":", -1}, /* no step for /time */
        {"/fapi/v1/depth?symbol=BTCUSDT&limit=5", 503, "Service Unavailable.", 1},
        {"/fapi/v1/klines?symbol=ETHUSDT&interval=1h&limit=2", 500, "", 3},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=2", 200, "[[", 4},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=2", 502, "bad gateway", 5},
        {"/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=2", 200, "[[", -1}, /* script used up */
        {"/fapi/v1/depth?symbol=BTCUSDT&limit=5", 200, "{\"lastUpdateId\"", -1},
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        resp r;
        get(seq[i].path, &r);
        if (r.status != seq[i].status || strncmp(r.body.ptr ? r.body.ptr : "", seq[i].body_prefix,
                                                 strlen(seq[i].body_prefix)) != 0)
            fail_msg("request %zu %s: %ld %.80s", i, seq[i].path, r.status, r.body.ptr);
        char v[64];
        used_weight(&r); /* scripted answers carry it too */
        if (i == 0) assert_string_equal(header_value(&r, "Retry-After", v, sizeof v), "1");
        if (i == 2)
            assert_string_equal(header_value(&r, "Content-Type", v, sizeof v), "text/plain");
        resp_free(&r);
    }
    resp r;
    cJSON *st = get_json("/__fake/script", &r);
    assert_int_equal(cJSON_GetObjectItem(st, "pending")->valueint, 1); /* the POST step */
    cJSON_Delete(st);
    resp_free(&r);
    cJSON *recs = recorded();
    assert_int_equal(cJSON_GetArraySize(recs), sizeof seq / sizeof seq[0]);
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        const cJSON *step = cJSON_GetObjectItem(cJSON_GetArrayItem(recs, (int)i), "step");
        if (seq[i].step < 0) assert_true(cJSON_IsNull(step));
        else assert_int_equal(step->valueint, seq[i].step);
    }
    cJSON_Delete(recs);
    reset_fake();
}

static void test_truncate_and_close(void **state) {
    (void)state;
    reset_fake();
    load_script("[{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"truncate\":true}},"
                "{\"match\":{\"path\":\"/fapi/v1/klines\"},\"answer\":{\"close\":true}},"
                "{\"match\":{\"path\":\"/fapi/v1/"
                "time\"},\"answer\":{\"status\":200,\"body\":\"0123456789\",\"truncate\":true}}]");
    resp r;
    get("/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=10", &r);
    assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
    char v[32];
    long declared = strtol(header_value(&r, "Content-Length", v, sizeof v), NULL, 10);
    assert_true(declared > 100);
    assert_int_equal((long)r.body.len, declared / 2);
    resp_free(&r);
    get("/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=10", &r);
    assert_int_equal(r.rc, CURLE_GOT_NOTHING);
    resp_free(&r);
    get("/fapi/v1/time", &r);
    assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
    assert_string_equal(r.body.ptr, "01234");
    resp_free(&r);
    get("/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=10", &r); /* served again */
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    reset_fake();
}

static void *slow_request(void *arg) {
    get("/fapi/v1/klines?symbol=BTCUSDT&interval=5m&limit=2", arg);
    return NULL;
}

/* A hang delays only its own connection. */
static void test_hang_does_not_block_others(void **state) {
    (void)state;
    reset_fake();
    load_script("[{\"match\":{\"path\":\"/fapi/v1/"
                "klines\"},\"answer\":{\"replay\":true,\"delay_ms\":1200}}]");
    resp slow, fast;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, slow_request, &slow), 0);
    sleep_ms(200); /* let the slow one arrive first */
    get("/fapi/v1/klines?symbol=BTCUSDT&interval=5m&limit=2", &fast);
    pthread_join(th, NULL);
    assert_int_equal(fast.status, 200);
    assert_true(fast.elapsed_ms < 800);
    assert_int_equal(slow.status, 200);
    assert_true(slow.elapsed_ms >= 1200 && slow.elapsed_ms < 5000);
    cJSON *rows = json_of(&slow);
    assert_int_equal(cJSON_GetArraySize(rows), 2); /* the replay, computed after the delay */
    cJSON_Delete(rows);
    resp_free(&slow);
    resp_free(&fast);
    reset_fake();
}

static void test_requests_recorded(void **state) {
    (void)state;
    reset_fake();
    load_script("[]");
    resp r;
    http_do(NULL, "GET", "/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=3&x=%41+b%2", NULL,
            "X-MBX-APIKEY: abc", &r);
    resp_free(&r);
    sleep_ms(250);
    http_do(NULL, "POST", "/fapi/v1/order?symbol=BTCUSDT", "side=BUY&quantity=1", NULL, &r);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    cJSON *recs = recorded();
    assert_int_equal(cJSON_GetArraySize(recs), 2);
    const cJSON *a = cJSON_GetArrayItem(recs, 0), *b = cJSON_GetArrayItem(recs, 1);
    assert_string_equal(cJSON_GetObjectItem(a, "method")->valuestring, "GET");
    assert_string_equal(cJSON_GetObjectItem(a, "path")->valuestring, "/fapi/v1/klines");
    assert_string_equal(cJSON_GetObjectItem(a, "query")->valuestring,
                        "symbol=BTCUSDT&interval=1h&limit=3&x=%41+b%2");
    const cJSON *params = cJSON_GetObjectItem(a, "params");
    assert_string_equal(cJSON_GetObjectItem(params, "limit")->valuestring, "3");
    assert_string_equal(cJSON_GetObjectItem(params, "x")->valuestring, "A b%2");
    const cJSON *hdrs = cJSON_GetObjectItem(a, "headers");
    assert_string_equal(cJSON_GetObjectItem(hdrs, "x-mbx-apikey")->valuestring, "abc");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "headers"), "x-mbx-apikey"));
    assert_string_equal(cJSON_GetObjectItem(b, "method")->valuestring, "POST");
    assert_string_equal(cJSON_GetObjectItem(b, "body")->valuestring, "side=BUY&quantity=1");
    int64_t ta = (int64_t)cJSON_GetObjectItem(a, "t_ms")->valuedouble;
    int64_t tb = (int64_t)cJSON_GetObjectItem(b, "t_ms")->valuedouble;
    assert_true(ta >= 0 && ta < 1000);
    assert_true(tb - ta >= 250 && tb - ta < 2000);
    cJSON_Delete(recs);
    reset_fake();
    recs = recorded();
    assert_int_equal(cJSON_GetArraySize(recs), 0);
    cJSON_Delete(recs);
}

static void test_reset_drops_script(void **state) {
    (void)state;
    load_script("[{\"match\":{\"path\":\"/fapi/v1/ping\"},\"answer\":{\"status\":500}}]");
    reset_fake();
    resp r;
    get("/fapi/v1/ping", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    reset_fake();
}

/* POST /__fake/time pins the clock at an instant the data covers: answers are
 * as of then, unshifted, the price the forming 5m candle's open; a reset
 * unpins it. */
static void test_pinned_clock(void **state) {
    (void)state;
    const int64_t t = 1766232000000LL; /* 2025-12-20T12:00:00Z, inside the 5m data */
    resp r;
    post("/__fake/time", "{\"now_ms\":1766232000000}", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cJSON *time = get_json("/fapi/v1/time", &r);
    assert_true(cJSON_GetObjectItem(time, "serverTime")->valuedouble == (double)t);
    cJSON_Delete(time);
    resp_free(&r);
    cJSON *k = get_json("/fapi/v1/klines?symbol=BTCUSDT&interval=5m&limit=2", &r);
    assert_int_equal(cJSON_GetArraySize(k), 2);
    const cJSON *closed = cJSON_GetArrayItem(k, 0), *forming = cJSON_GetArrayItem(k, 1);
    assert_true(cJSON_GetArrayItem(closed, 0)->valuedouble == (double)(t - 300000));
    assert_true(cJSON_GetArrayItem(forming, 0)->valuedouble == (double)t);
    double open = strtod(cJSON_GetArrayItem(forming, 1)->valuestring, NULL);
    resp_free(&r);
    cJSON *p = get_json("/fapi/v1/premiumIndex?symbol=BTCUSDT", &r);
    assert_true(strtod(cJSON_GetObjectItem(p, "markPrice")->valuestring, NULL) == open);
    cJSON_Delete(p);
    cJSON_Delete(k);
    resp_free(&r);
    post("/__fake/time", "{\"now_ms\":\"soon\"}", &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    reset_fake(); /* unpins */
    time = get_json("/fapi/v1/time", &r);
    assert_true(cJSON_GetObjectItem(time, "serverTime")->valuedouble > (double)t + 86400000.0);
    cJSON_Delete(time);
    resp_free(&r);
}

static void test_bad_scripts_refused(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",
        "{}",
        "[1]",
        "[{\"answer\":{\"status\":200}}]",
        "[{\"match\":{\"path\":\"x\"},\"answer\":{\"status\":200}}]",
        "[{\"match\":{\"path\":\"/x\",\"verb\":\"GET\"},\"answer\":{\"status\":200}}]",
        "[{\"match\":{\"path\":\"/x\"}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"status\":99}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"status\":200.5}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"status\":200,\"replay\":true}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"status\":200,\"body\":\"a\",\"json\":{}}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"status\":200,\"body\":{}}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"replay\":true,\"delay_ms\":60001}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"replay\":true,\"delay_ms\":-1}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"close\":true,\"status\":200}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"replay\":\"yes\"}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"status\":200,\"headers\":{\"A\":1}}}]",
        "[{\"match\":{\"path\":\"/x\"},\"answer\":{\"status\":200,\"statsu\":1}}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        resp r;
        post("/__fake/script", bad[i], &r);
        if (r.status != 400) fail_msg("script %zu accepted: %s", i, bad[i]);
        cJSON *j = json_of(&r);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "error")));
        cJSON_Delete(j);
        resp_free(&r);
    }
}

static void test_keep_alive(void **state) {
    (void)state;
    CURL *c = curl_easy_init();
    resp r1, r2;
    http_do(c, "GET", "/fapi/v1/ping", NULL, NULL, &r1);
    http_do(c, "GET", "/fapi/v1/time", NULL, NULL, &r2);
    assert_int_equal(r1.connects, 1);
    assert_int_equal(r2.connects, 0); /* reused */
    assert_int_equal(r2.status, 200);
    resp_free(&r1);
    resp_free(&r2);
    curl_easy_cleanup(c);
}

/* ---- fixture: the fake as a child process ----------------------------------------- */

static int start_fake(void **state) {
    (void)state;
    const char *argv[] = {fake_bin, "--data", data_dir, NULL};
    if (fake_server_start(&fake, argv)) return -1;
    snprintf(base_url, sizeof base_url, "%s", fake.base_url);
    return 0;
}

static int stop_fake(void **state) {
    (void)state;
    return fake_server_stop(&fake);
}

int main(int argc, char **argv) {
    const char *env_bin = getenv("FAKE_BINANCE"), *env_data = getenv("FAKE_BINANCE_DATA");
    struct stat st;
    if (argc > 1 && stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode)) /* a build dir */
        snprintf(fake_bin, sizeof fake_bin, "%s/bin/fake_binance", argv[1]);
    else if (argc > 1) snprintf(fake_bin, sizeof fake_bin, "%s", argv[1]);
    else if (env_bin) snprintf(fake_bin, sizeof fake_bin, "%s", env_bin);
    else {
        const char *slash = strrchr(argv[0], '/');
        int dir_len = slash ? (int)(slash - argv[0]) : 1;
        snprintf(fake_bin, sizeof fake_bin, "%.*s/../bin/fake_binance", dir_len,
                 slash ? argv[0] : ".");
    }
    if (env_data) data_dir = env_data;
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_klines_shape_and_forming),
        cmocka_unit_test(test_klines_values_match_csv),
        cmocka_unit_test(test_current_price_consistent),
        cmocka_unit_test(test_klines_time_filters),
        cmocka_unit_test(test_error_bodies),
        cmocka_unit_test(test_unbundled_interval_is_empty),
        cmocka_unit_test(test_used_weight),
        cmocka_unit_test(test_depth_book),
        cmocka_unit_test(test_depth_keeps_relative_offsets),
        cmocka_unit_test(test_premium_index),
        cmocka_unit_test(test_exchange_info_time_ping),
        cmocka_unit_test(test_script_consumed_in_order),
        cmocka_unit_test(test_truncate_and_close),
        cmocka_unit_test(test_hang_does_not_block_others),
        cmocka_unit_test(test_requests_recorded),
        cmocka_unit_test(test_reset_drops_script),
        cmocka_unit_test(test_pinned_clock),
        cmocka_unit_test(test_bad_scripts_refused),
        cmocka_unit_test(test_keep_alive),
    };
    int failed = cmocka_run_group_tests_name("fake_binance", tests, start_fake, stop_fake);
    curl_global_cleanup();
    return failed ? 1 : 0;
}

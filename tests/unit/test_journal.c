/* journal: key layout, create-only writes with suffixes, unwritten records
 * logged in full, and reading decisions back newest first across days, in a
 * fresh temporary file store per test. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cJSON.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "capture.h"
#include "platform/clock.h"
#include "services/journal.h"
#include "platform/log.h"
#include "platform/secret.h"

#define DAY 86400000LL

typedef struct fixture {
    char base[512];
    char url[600];
    store *s;
    dstr log;
} fixture;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A fresh store under dir (TMPDIR, or /tmp). */
static int setup_in(void **state, const char *dir) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->base, sizeof f->base, "%s/test_journal.XXXXXX", dir);
    if (!mkdtemp(f->base)) {
        free(f);
        return -1;
    }
    snprintf(f->url, sizeof f->url, "file://%s/root", f->base);
    dstr err = {0};
    f->s = store_open(f->url, &err);
    dstr_free(&err);
    log_init("test");
    capture_start(&f->log);
    *state = f;
    return f->s ? 0 : -1;
}

static int setup(void **state) {
    const char *tmp = getenv("TMPDIR");
    return setup_in(state, tmp && *tmp ? tmp : "/tmp");
}

/* tmpfs when there is one: the paging test writes over a thousand objects,
 * and the file backend fsyncs each. */
static int setup_fast(void **state) {
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) return setup_in(state, "/dev/shm");
    return setup(state);
}

static int teardown(void **state) {
    fixture *f = *state;
    capture_stop();
    store_close(f->s);
    nftw(f->base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    dstr_free(&f->log);
    free(f);
    return 0;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put_ok(fixture *f, journal_kind kind, const char *symbol, int64_t at, const char *json,
                   const char *want_key) {
    dstr key = {0};
    int rc = journal_put(f->s, kind, symbol, at, json, strlen(json), &key);
    if (rc) fail_msg("journal_put %s at %lld failed: %s", symbol, (long long)at, f->log.ptr);
    if (want_key) assert_string_equal(key.ptr, want_key);
    dstr_free(&key);
}

/* The "id" fields of the array, in order, as "a,b,c". */
static void ids_of(const char *array, dstr *out) {
    cJSON *root = cJSON_Parse(array);
    assert_true(cJSON_IsArray(root));
    const cJSON *o;
    cJSON_ArrayForEach(o, root) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        assert_true(cJSON_IsString(id));
        dstr_printf(out, "%s%s", out->len ? "," : "", id->valuestring);
    }
    cJSON_Delete(root);
}

static void expect_recent(fixture *f, size_t limit, const char *want_ids) {
    dstr arr = {0}, ids = {0};
    assert_int_equal(journal_recent_decisions(f->s, limit, &arr, NULL), 0);
    ids_of(arr.ptr, &ids);
    assert_string_equal(dstr_cstr(&ids), want_ids);
    dstr_free(&arr);
    dstr_free(&ids);
}

/* ---- keys ----------------------------------------------------------------------- */

typedef struct key_case {
    journal_kind kind;
    const char *symbol;
    int64_t at;
    int suffix;
    const char *want; /* NULL: refused */
} key_case;

/* clang-format off */
static const key_case key_cases[] = {
    /* 2025-12-31T11:35:07.042Z */
    {JOURNAL_DECISION, "BTCUSDT", 1767180907042LL, 0, "payloads/20251231/113507042_BTCUSDT_decision.json"},
    {JOURNAL_REQUEST, "BTCUSDT", 1767180907042LL, 0, "payloads/20251231/113507042_BTCUSDT_request.json"},
    {JOURNAL_DECISION, "ETHUSDT", 1767180907042LL, 3, "payloads/20251231/113507042_ETHUSDT_decision-3.json"},
    /* midnight, one millisecond before it, the epoch */
    {JOURNAL_DECISION, "BTCUSDT", 1767225600000LL, 0, "payloads/20260101/000000000_BTCUSDT_decision.json"},
    {JOURNAL_DECISION, "BTCUSDT", 1767225599999LL, 0, "payloads/20251231/235959999_BTCUSDT_decision.json"},
    {JOURNAL_REQUEST, "1000PEPEUSDT", 0, 0, "payloads/19700101/000000000_1000PEPEUSDT_request.json"},
    {JOURNAL_DECISION, "btcusdt", 1767180907042LL, 0, NULL},
    {JOURNAL_DECISION, "BTC_USDT", 1767180907042LL, 0, NULL},
    {JOURNAL_DECISION, "BTC/USDT", 1767180907042LL, 0, NULL},
    {JOURNAL_DECISION, "", 1767180907042LL, 0, NULL},
    {JOURNAL_DECISION, "BTCUSDT", -1, 0, NULL},
    {JOURNAL_DECISION, "BTCUSDT", 1767180907042LL, -1, NULL},
    {JOURNAL_DECISION, "BTCUSDT", 1767180907042LL, JOURNAL_MAX_SUFFIX + 1, NULL},
};
/* clang-format on */

static void test_key_layout(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof key_cases / sizeof *key_cases; i++) {
        const key_case *c = &key_cases[i];
        char key[JOURNAL_KEY_MAX];
        int rc = journal_key(c->kind, c->symbol, c->at, c->suffix, key, sizeof key);
        if (!c->want) {
            if (rc == 0) fail_msg("case %zu: %s accepted as %s", i, c->symbol, key);
            continue;
        }
        if (rc) fail_msg("case %zu: refused", i);
        assert_string_equal(key, c->want);
        assert_true(store_key_valid(key, NULL));
    }
}

/* ---- writing ---------------------------------------------------------------------- */

static void test_put_round_trip(void **state) {
    fixture *f = *state;
    const char *rec = "{\"symbol\":\"BTCUSDT\",\"direction\":\"FLAT\"}";
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", 1767180907042LL, rec,
           "payloads/20251231/113507042_BTCUSDT_decision.json");
    dstr got = {0};
    assert_int_equal(
        store_get(f->s, "payloads/20251231/113507042_BTCUSDT_decision.json", &got, NULL), STORE_OK);
    assert_string_equal(got.ptr, rec);
    dstr_free(&got);
}

static void test_collisions_get_suffixes(void **state) {
    fixture *f = *state;
    const int64_t at = 1767180907042LL;
    static const char *const want[] = {
        "payloads/20251231/113507042_BTCUSDT_decision.json",
        "payloads/20251231/113507042_BTCUSDT_decision-1.json",
        "payloads/20251231/113507042_BTCUSDT_decision-2.json",
    };
    for (int i = 0; i < 3; i++) {
        char rec[32];
        snprintf(rec, sizeof rec, "{\"n\":%d}", i);
        put_ok(f, JOURNAL_DECISION, "BTCUSDT", at, rec, want[i]);
    }
    /* nothing was overwritten: each key still holds its own record */
    for (int i = 0; i < 3; i++) {
        dstr got = {0};
        char rec[32];
        snprintf(rec, sizeof rec, "{\"n\":%d}", i);
        assert_int_equal(store_get(f->s, want[i], &got, NULL), STORE_OK);
        assert_string_equal(got.ptr, rec);
        dstr_free(&got);
    }
    /* a request at the same instant does not collide with the decisions */
    put_ok(f, JOURNAL_REQUEST, "BTCUSDT", at, "{}",
           "payloads/20251231/113507042_BTCUSDT_request.json");
}

static void test_suffixes_exhausted_is_unwritten(void **state) {
    fixture *f = *state;
    const int64_t at = 1767180907042LL;
    for (int i = 0; i <= JOURNAL_MAX_SUFFIX; i++) {
        char key[JOURNAL_KEY_MAX];
        assert_int_equal(journal_key(JOURNAL_DECISION, "BTCUSDT", at, i, key, sizeof key), 0);
        assert_int_equal(store_put_new(f->s, key, "{}", 2, NULL), STORE_OK);
    }
    dstr key = {0};
    assert_int_equal(journal_put(f->s, JOURNAL_DECISION, "BTCUSDT", at, "{\"x\":1}", 7, &key), -1);
    assert_int_equal(key.len, 0);
    assert_non_null(strstr(f->log.ptr, "\"event\":\"journal.unwritten\""));
    assert_non_null(strstr(f->log.ptr, "\"record\":{\"x\":1}"));
    dstr_free(&key);
}

/* The record an unwritten event carries, parsed from the captured log. */
static cJSON *unwritten_event(const char *log) {
    const char *line = strstr(log, "{\"timestamp\"");
    for (; line; line = strstr(line + 1, "{\"timestamp\"")) {
        const char *end = strchr(line, '\n');
        cJSON *ev = cJSON_ParseWithLength(line, end ? (size_t)(end - line) : strlen(line));
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(ev, "event");
        if (cJSON_IsString(name) && strcmp(name->valuestring, "journal.unwritten") == 0) return ev;
        cJSON_Delete(ev);
    }
    return NULL;
}

static void test_unwritten_without_store(void **state) {
    fixture *f = *state;
    const char *rec = "{\"symbol\":\"ETHUSDT\",\"direction\":\"LONG\",\"prob\":0.75}";
    dstr key = {0};
    dstr_puts(&key, "stale");
    assert_int_equal(
        journal_put(NULL, JOURNAL_DECISION, "ETHUSDT", 1767180907042LL, rec, strlen(rec), &key),
        -1);
    assert_int_equal(key.len, 0);
    cJSON *ev = unwritten_event(f->log.ptr);
    assert_non_null(ev);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ev, "level")->valuestring, "ERROR");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ev, "kind")->valuestring, "decision");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ev, "symbol")->valuestring, "ETHUSDT");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ev, "key")->valuestring,
                        "payloads/20251231/113507042_ETHUSDT_decision.json");
    const cJSON *record = cJSON_GetObjectItemCaseSensitive(ev, "record");
    assert_true(cJSON_IsObject(record));
    assert_true(cJSON_GetObjectItemCaseSensitive(record, "prob")->valuedouble == 0.75);
    cJSON_Delete(ev);
    dstr_free(&key);
}

static void test_unwritten_on_store_failure(void **state) {
    fixture *f = *state;
    /* an object where the day's "directory" must go: the backend cannot
     * create the record (STORE_IO), whatever the suffix */
    assert_int_equal(store_put(f->s, "payloads/20251231", "x", 1, NULL), STORE_OK);
    const char *rec = "not json, still kept in the log";
    assert_int_equal(
        journal_put(f->s, JOURNAL_REQUEST, "BTCUSDT", 1767180907042LL, rec, strlen(rec), NULL), -1);
    cJSON *ev = unwritten_event(f->log.ptr);
    assert_non_null(ev);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(ev, "error");
    assert_true(cJSON_IsString(error));
    assert_non_null(strstr(error->valuestring, "io"));
    /* a record that is not JSON is kept as a string */
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ev, "record")->valuestring, rec);
    cJSON_Delete(ev);
}

static void test_unwritten_bad_symbol(void **state) {
    fixture *f = *state;
    assert_int_equal(journal_put(f->s, JOURNAL_DECISION, "../etc", 1767180907042LL, "{}", 2, NULL),
                     -1);
    assert_non_null(strstr(f->log.ptr, "journal.unwritten"));
    store_page page = {0};
    assert_int_equal(store_list(f->s, "", NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 0);
    store_page_free(&page);
}

/* ---- reading back ------------------------------------------------------------------- */

static void test_recent_empty_journal(void **state) {
    fixture *f = *state;
    dstr arr = {0};
    assert_int_equal(journal_recent_decisions(f->s, 50, &arr, NULL), 0);
    assert_string_equal(arr.ptr, "[]");
    dstr_free(&arr);
}

static void test_recent_across_days_newest_first(void **state) {
    fixture *f = *state;
    int64_t now = now_ms(), today = now - now % DAY;
    /* written out of order; requests and other keys must be ignored */
    struct {
        int64_t at;
        const char *symbol, *id;
    } recs[] = {
        {today - 2 * DAY + 3600000, "BTCUSDT", "d-2 01h"},
        {today + 60000, "ETHUSDT", "d0 00:01"},
        {today - DAY + 7200000, "BTCUSDT", "d-1 02h"},
        {today - 2 * DAY + 7200000, "ETHUSDT", "d-2 02h"},
        {today + 1000, "BTCUSDT", "d0 00:00:01"},
        {today - DAY + 3600000, "ETHUSDT", "d-1 01h"},
    };
    for (size_t i = 0; i < sizeof recs / sizeof *recs; i++) {
        char json[96];
        snprintf(json, sizeof json, "{\"id\":\"%s\"}", recs[i].id);
        put_ok(f, JOURNAL_DECISION, recs[i].symbol, recs[i].at, json, NULL);
        put_ok(f, JOURNAL_REQUEST, recs[i].symbol, recs[i].at, "{\"id\":\"request\"}", NULL);
    }
    expect_recent(f, 50, "d0 00:01,d0 00:00:01,d-1 02h,d-1 01h,d-2 02h,d-2 01h");
    expect_recent(f, 3, "d0 00:01,d0 00:00:01,d-1 02h");
    expect_recent(f, 1, "d0 00:01");
}

static void test_recent_same_millisecond_and_suffixes(void **state) {
    fixture *f = *state;
    int64_t at = now_ms() - 5000;
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", at, "{\"id\":\"first\"}", NULL);
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", at, "{\"id\":\"second\"}", NULL);
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", at, "{\"id\":\"third\"}", NULL);
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", at - 1, "{\"id\":\"older\"}", NULL);
    /* "-1" sorts before "." in bytes, yet was written later */
    expect_recent(f, 10, "third,second,first,older");
}

static void test_recent_skips_gaps_and_corrupt_objects(void **state) {
    fixture *f = *state;
    int64_t now = now_ms();
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", now - 30 * DAY, "{\"id\":\"a month ago\"}", NULL);
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", now - 10 * DAY, "not json at all", NULL);
    put_ok(f, JOURNAL_DECISION, "ETHUSDT", now - 10 * DAY + 1, "[\"an array\"]", NULL);
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", now - 1000, "{\"id\":\"just now\"}", NULL);
    /* a stray key of another shape in a day prefix is not a decision */
    char key[JOURNAL_KEY_MAX];
    assert_int_equal(journal_key(JOURNAL_DECISION, "BTCUSDT", now, 0, key, sizeof key), 0);
    strcpy(strrchr(key, '/') + 1, "notes.json");
    assert_int_equal(store_put_new(f->s, key, "{\"id\":\"stray\"}", 14, NULL), STORE_OK);

    expect_recent(f, 10, "just now,a month ago");
    /* the corrupt ones were not counted against the limit either */
    expect_recent(f, 2, "just now,a month ago");
    assert_non_null(strstr(f->log.ptr, "\"event\":\"journal.corrupt\""));
    assert_non_null(strstr(f->log.ptr, "\"level\":\"WARN\""));
}

static void test_recent_tomorrow_is_included(void **state) {
    fixture *f = *state;
    int64_t now = now_ms();
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", now - DAY, "{\"id\":\"yesterday\"}", NULL);
    /* written by a host whose clock runs ahead */
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", now + DAY - now % DAY + 10, "{\"id\":\"tomorrow\"}",
           NULL);
    expect_recent(f, 5, "tomorrow,yesterday");
}

static void test_recent_limit_range(void **state) {
    fixture *f = *state;
    dstr arr = {0};
    dstr_puts(&arr, "keep");
    dstr err = {0};
    assert_int_equal(journal_recent_decisions(f->s, 0, &arr, &err), -1);
    assert_int_equal(journal_recent_decisions(f->s, JOURNAL_LIMIT_MAX + 1, &arr, NULL), -1);
    assert_int_equal(journal_recent_decisions(NULL, 10, &arr, &err), -1);
    assert_string_equal(err.ptr, "limit 0 is not in 1..1000\njournal store unavailable");
    assert_string_equal(arr.ptr, "keep");
    dstr_free(&err);
    dstr_free(&arr);
}

/* A day with more keys than one listing page: the newest come from the
 * last page, which only a full walk of the day reaches. */
static void test_recent_day_over_one_page(void **state) {
    fixture *f = *state;
    int64_t now = now_ms(), base = now - now % DAY;
    const int n = 520; /* 1040 keys with the requests */
    for (int i = 0; i < n; i++) {
        char json[32];
        snprintf(json, sizeof json, "{\"id\":\"%d\"}", i);
        put_ok(f, JOURNAL_DECISION, "BTCUSDT", base + i * 10, json, NULL);
        put_ok(f, JOURNAL_REQUEST, "BTCUSDT", base + i * 10, "{}", NULL);
    }
    expect_recent(f, 3, "519,518,517");
    dstr arr = {0};
    assert_int_equal(journal_recent_decisions(f->s, JOURNAL_LIMIT_MAX, &arr, NULL), 0);
    cJSON *root = cJSON_Parse(arr.ptr);
    assert_int_equal(cJSON_GetArraySize(root), n);
    cJSON_Delete(root);
    dstr_free(&arr);
}

/* ---- record keys and the shared walk ---------------------------------------------- */

typedef struct name_case {
    const char *file, *ext;
    long ts;
    int suffix;
    const char *name; /* NULL: refused */
} name_case;

/* clang-format off */
static const name_case name_cases[] = {
    {"113507042_BTCUSDT_decision.json", ".json", 113507042, 0, "BTCUSDT_decision"},
    {"113507042_BTCUSDT_decision-3.json", ".json", 113507042, 3, "BTCUSDT_decision"},
    {"000000000_BTCUSDT_x-99.json", ".json", 0, 99, "BTCUSDT_x"},
    {"235959999_candles_1b4e28ba-2fa1-41d2-883f-0016d3cca427.jsonl", ".jsonl", 235959999, 0,
     "candles_1b4e28ba-2fa1-41d2-883f-0016d3cca427"},
    {"235959999_candles_1b4e28ba-2fa1-41d2-883f-0016d3cca427-2.jsonl", ".jsonl", 235959999, 2,
     "candles_1b4e28ba-2fa1-41d2-883f-0016d3cca427"},
    {"113507042_BTCUSDT_x-100.json", ".json", 113507042, 0, "BTCUSDT_x-100"}, /* not a suffix */
    {"113507042_BTCUSDT_x-07.json", ".json", 113507042, 0, "BTCUSDT_x-07"},
    {"113507042_BTCUSDT_x-0.json", ".json", 113507042, 0, "BTCUSDT_x-0"},
    {"113507042_-1.json", ".json", 113507042, 0, "-1"}, /* a name, as a suffix needs one before it */
    {"113507042_A-1.json", ".json", 113507042, 1, "A"},
    {"113507042_.json", ".json", 0, 0, NULL},
    {"113507042BTCUSDT.json", ".json", 0, 0, NULL},
    {"11350704x_BTCUSDT.json", ".json", 0, 0, NULL},
    {"113507042_BTCUSDT.jsonl", ".json", 0, 0, NULL},
    {"113507042_BTCUSDT.json", ".jsonl", 0, 0, NULL},
    {"notes.json", ".json", 0, 0, NULL},
};
/* clang-format on */

static void test_record_names(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof name_cases / sizeof *name_cases; i++) {
        const name_case *c = &name_cases[i];
        recordkey_name n;
        int rc = recordkey_parse(c->file, c->ext, &n);
        if (!c->name) {
            if (rc == 0) fail_msg("case %zu: %s accepted", i, c->file);
            continue;
        }
        if (rc) fail_msg("case %zu: %s refused", i, c->file);
        assert_int_equal(n.ts, c->ts);
        assert_int_equal(n.suffix, c->suffix);
        assert_int_equal(n.name_len, strlen(c->name));
        assert_memory_equal(n.name, c->name, n.name_len);
    }
    char buf[64];
    assert_int_equal(recordkey_day("x/", 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "x/19700101/");
    assert_int_equal(recordkey_day_of("x/", "x/20251231/1"), 1767139200LL / 86400);
    assert_int_equal(recordkey_day_of("x/", "x/2025123/1"), -1);
    assert_int_equal(recordkey_day_of("x/", "x/20251331/1"), -1);
    assert_int_equal(recordkey_day_of("x/", "y/20251231/1"), -1);
    assert_int_equal(recordkey_stem("x/", -1, "a", buf, sizeof buf), -1);
    assert_int_equal(recordkey_stem("x/", RECORDKEY_MAX_AT_MS + 1, "a", buf, sizeof buf), -1);
    assert_int_equal(recordkey_stem("x/", RECORDKEY_MAX_AT_MS, "a", buf, sizeof buf), 0);
    assert_string_equal(buf, "x/99991231/235959999_a");
}

/* A visitor that records the keys it is handed and stops after `stop`. */
typedef struct seen {
    dstr keys;
    size_t n, stop;
} seen;

static journal_step see(void *ctx, store *s, const char *key) {
    (void)s;
    seen *v = ctx;
    dstr_printf(&v->keys, "%s%s", v->keys.len ? " " : "", strchr(key, '/') + 1);
    return ++v->n == v->stop ? JOURNAL_WALK_DONE : JOURNAL_WALK_MORE;
}

static void put_raw(fixture *f, const char *key) {
    assert_int_equal(store_put_new(f->s, key, "{}", 2, NULL), STORE_OK);
}

static void expect_walk(fixture *f, const char *root, const char *ext, const char *tag, size_t stop,
                        const char *want) {
    seen v = {.stop = stop};
    journal_walk w = {.root = root, .ext = ext, .tag = tag, .visit = see, .ctx = &v};
    assert_int_equal(journal_walk_newest(f->s, &w, NULL), 0);
    assert_string_equal(dstr_cstr(&v.keys), want);
    dstr_free(&v.keys);
}

/* The one walk behind every reader: days newest first, records newest
 * first within a day (time, then the later suffix, then name), only the
 * root, extension and tag asked for, and it stops when the visitor is done. */
static void test_walk_shared_by_every_record_type(void **state) {
    fixture *f = *state;
    int64_t now = now_ms();
    char today[32], yesterday[32], old[32], key[256];
    recordkey_day("", now / DAY, today, sizeof today);
    recordkey_day("", now / DAY - 1, yesterday, sizeof yesterday);
    recordkey_day("", now / DAY - 40, old, sizeof old);
    static const char *const files[] = {"000000001_A_x.json",  "000000001_A_x-1.json",
                                        "000000001_B_x.json",  "120000000_A_y.json",
                                        "120000000_A_y.jsonl", "zz.json"};
    const char *days[] = {old, yesterday, today};
    for (size_t d = 0; d < 3; d++)
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
            snprintf(key, sizeof key, "trades/%s%s", days[d], files[i]);
            put_raw(f, key);
        }
    snprintf(key, sizeof key, "trades/%sdeeper/000000002_A_x.json", today);
    put_raw(f, key);                                    /* not a record of the day */
    put_raw(f, "payloads/19700101/000000003_A_x.json"); /* another root */

    dstr want = {0};
    for (size_t d = 3; d-- > 0;)
        dstr_printf(&want,
                    "%s%s120000000_A_y.json %s000000001_A_x-1.json %s000000001_A_x.json "
                    "%s000000001_B_x.json",
                    want.len ? " " : "", days[d], days[d], days[d], days[d]);
    expect_walk(f, "trades/", ".json", NULL, 0, want.ptr);
    dstr_clear(&want);
    dstr_printf(&want, "%s120000000_A_y.json %s000000001_A_x-1.json", today, today);
    expect_walk(f, "trades/", ".json", NULL, 2, want.ptr); /* the visitor decides when to stop */
    dstr_clear(&want);
    dstr_printf(&want, "%s120000000_A_y.jsonl %s120000000_A_y.jsonl %s120000000_A_y.jsonl", today,
                yesterday, old);
    expect_walk(f, "trades/", ".jsonl", NULL, 0, want.ptr);
    dstr_clear(&want);
    dstr_printf(&want, "%s120000000_A_y.json %s120000000_A_y.json", today, yesterday);
    expect_walk(f, "trades/", ".json", "y", 2, want.ptr); /* NAME ends in "_y" */
    expect_walk(f, "logs/", ".jsonl", NULL, 0, "");       /* nothing under that root */
    dstr_free(&want);
}

/* A day of more records than the walk holds at once: every record is still
 * handed once, newest first, across the batches (the day listed again for
 * the older ones), also where a batch ends inside one millisecond. */
static void test_walk_day_over_one_batch(void **state) {
    fixture *f = *state;
    int64_t now = now_ms();
    char day[32], key[256];
    recordkey_day("", now / DAY, day, sizeof day);
    enum { GROUPS = JOURNAL_WALK_BATCH * 2 / 3 + 5 };           /* 3 records a millisecond */
    static const char *const names[] = {"A_x-1", "A_x", "B_x"}; /* newest first */
    for (int g = 0; g < GROUPS; g++)
        for (int i = 0; i < 3; i++) {
            snprintf(key, sizeof key, "trades/%s%09d_%s.json", day, g, names[i]);
            put_raw(f, key);
        }
    dstr want = {0};
    for (int g = GROUPS; g-- > 0;)
        for (int i = 0; i < 3; i++)
            dstr_printf(&want, "%s%s%09d_%s.json", want.len ? " " : "", day, g, names[i]);
    expect_walk(f, "trades/", ".json", NULL, 0, want.ptr);
    /* a visitor done one record into the second batch */
    size_t cut = 0;
    for (size_t n = 0; n < JOURNAL_WALK_BATCH + 1; n++)
        cut = strchr(want.ptr + cut, ' ') - want.ptr + 1;
    want.ptr[cut - 1] = '\0';
    expect_walk(f, "trades/", ".json", NULL, JOURNAL_WALK_BATCH + 1, want.ptr);
    dstr_free(&want);
}

/* A listing that fails ends the walk with -1 (here: a root so long that its
 * day prefixes are over the store's key limit, though a key fits under it). */
static void test_walk_listing_failure(void **state) {
    fixture *f = *state;
    dstr root = {0}, key = {0};
    for (int i = 0; i < 4; i++) {
        for (int k = 0; k < 254; k++) dstr_putc(&root, 'r');
        dstr_putc(&root, '/');
    }
    dstr_printf(&key, "%sx", root.ptr);
    put_raw(f, key.ptr);
    seen v = {0};
    journal_walk w = {.root = root.ptr, .ext = ".json", .visit = see, .ctx = &v};
    dstr err = {0};
    assert_int_equal(journal_walk_newest(f->s, &w, &err), -1);
    assert_non_null(strstr(dstr_cstr(&err), "prefix longer than"));
    assert_null(strchr(err.ptr, '\n')); /* one line */
    assert_int_equal(v.n, 0);
    assert_int_equal(journal_walk_newest(f->s, &w, NULL), -1);
    dstr_clear(&err);
    assert_int_equal(journal_walk_newest(NULL, &w, &err), -1);
    assert_string_equal(dstr_cstr(&err), "journal store unavailable");
    journal_walk no_visitor = {.root = "trades/", .ext = ".json"};
    assert_int_equal(journal_walk_newest(f->s, &no_visitor, NULL), -1);
    dstr_free(&err);
    dstr_free(&root);
    dstr_free(&key);
}

/* One batch: a key taken before, and two records wanting the same key in
 * the batch itself, each end under their first free suffix; a deadline that
 * has passed writes nothing and prints every record. */
static void test_put_batch_suffixes_and_deadline(void **state) {
    fixture *f = *state;
    const int64_t at = 1767180907042LL;
    const char *rec = "{\"symbol\":\"BTCUSDT\"}";
    assert_int_equal(journal_put(f->s, JOURNAL_DECISION, "BTCUSDT", at, rec, strlen(rec), NULL), 0);
    dstr k[3] = {{0}, {0}, {0}};
    journal_record r[3] = {{.kind = JOURNAL_DECISION,
                            .symbol = "BTCUSDT",
                            .at_ms = at,
                            .json = rec,
                            .len = strlen(rec),
                            .key = &k[0]},
                           {.kind = JOURNAL_DECISION,
                            .symbol = "BTCUSDT",
                            .at_ms = at,
                            .json = rec,
                            .len = strlen(rec),
                            .key = &k[1]},
                           {.kind = JOURNAL_REQUEST,
                            .symbol = "BTCUSDT",
                            .at_ms = at,
                            .json = rec,
                            .len = strlen(rec),
                            .key = &k[2]}};
    assert_int_equal(journal_put_batch(f->s, r, 3, clock_wall_ms() + 5000), 0);
    assert_string_equal(k[0].ptr, "payloads/20251231/113507042_BTCUSDT_decision-1.json");
    assert_string_equal(k[1].ptr, "payloads/20251231/113507042_BTCUSDT_decision-2.json");
    assert_string_equal(k[2].ptr, "payloads/20251231/113507042_BTCUSDT_request.json");
    for (size_t i = 0; i < 3; i++) assert_int_equal(r[i].rc, 0);

    assert_int_equal(journal_put_batch(f->s, r, 3, clock_wall_ms() - 1), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(r[i].rc, -1);
        assert_int_equal(k[i].len, 0);
        dstr_free(&k[i]);
    }
    size_t events = 0;
    for (const char *p = f->log.ptr; (p = strstr(p, "\"event\":\"journal.unwritten\"")); p++)
        events++;
    assert_int_equal(events, 3);
    assert_non_null(strstr(f->log.ptr, "timeout: the deadline passed"));
}

/* ---- identity records and the latest decision per symbol -------------------------------- */

static void test_put_exact(void **state) {
    fixture *f = *state;
    dstr err = {0}, got = {0};
    const char *key = "claims/20251231/113500000_BTCUSDT.json";
    secret_register("SENTINEL-journal-exact-secret");
    const char *json = "{\"note\":\"SENTINEL-journal-exact-secret\"}";
    assert_int_equal(journal_put_exact(f->s, "claim", "BTCUSDT", key, json, strlen(json), &err),
                     JOURNAL_OK);
    assert_int_equal(err.len, 0);
    assert_int_equal(store_get(f->s, key, &got, NULL), STORE_OK);
    assert_null(strstr(got.ptr, "SENTINEL-journal")); /* scrubbed on the way out */
    /* the same key again: exists, no suffix, nothing logged, the first one intact */
    assert_int_equal(journal_put_exact(f->s, "claim", "BTCUSDT", key, "{}", 2, &err),
                     JOURNAL_EXISTS);
    assert_non_null(strstr(err.ptr, "already journaled"));
    assert_null(strstr(dstr_cstr(&f->log), "journal.unwritten"));
    store_page page = {0};
    assert_int_equal(store_list(f->s, "claims/", NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 1);
    store_page_free(&page);
    /* a bad key, no store: logged in full */
    dstr_clear(&err);
    assert_int_equal(journal_put_exact(f->s, "claim", NULL, "a//b", "{}", 2, &err),
                     JOURNAL_INVALID);
    assert_int_equal(journal_put_exact(f->s, "claim", NULL, NULL, "{}", 2, &err), JOURNAL_INVALID);
    assert_int_equal(journal_put_exact(NULL, "claim", NULL, key, "{}", 2, &err), JOURNAL_UNWRITTEN);
    assert_non_null(strstr(dstr_cstr(&f->log), "journal.unwritten"));
    assert_string_equal(journal_status_name(JOURNAL_EXISTS), "exists");
    assert_string_equal(journal_status_name(JOURNAL_UNAVAILABLE), "unavailable");
    assert_string_equal(journal_status_name((journal_status)42), "unknown");
    secret_clear();
    dstr_free(&err);
    dstr_free(&got);
}

/* Records that do not depend on each other in one batch: each gets its own
 * status (written, already there, bad key), a secret is scrubbed, and only
 * the failures are logged. */
static void test_put_exact_batch(void **state) {
    fixture *f = *state;
    secret_register("SENTINEL-journal-batch-secret");
    const char *taken = "fills/20251231/113500000_ETHUSDT.json";
    assert_int_equal(journal_put_exact(f->s, "fill", "ETHUSDT", taken, "{}", 2, NULL), JOURNAL_OK);
    const char *secret_json = "{\"x\":\"SENTINEL-journal-batch-secret\"}";
    dstr err = {0}, got = {0};
    journal_exact recs[3] = {
        {.kind = "fill",
         .symbol = "BTCUSDT",
         .key = "fills/20251231/113500000_BTCUSDT.json",
         .json = secret_json,
         .len = strlen(secret_json),
         .err = &err},
        {.kind = "fill", .symbol = "ETHUSDT", .key = taken, .json = "{}", .len = 2, .err = &err},
        {.kind = "fill",
         .symbol = "XRPUSDT",
         .key = "fills//bad",
         .json = "{}",
         .len = 2,
         .err = &err}};
    assert_int_equal(journal_put_exact_batch(f->s, recs, 3, 0), 1);
    assert_int_equal(recs[0].status, JOURNAL_OK);
    assert_int_equal(recs[1].status, JOURNAL_EXISTS);
    assert_int_equal(recs[2].status, JOURNAL_INVALID);
    assert_int_equal(store_get(f->s, recs[0].key, &got, NULL), STORE_OK);
    assert_null(strstr(got.ptr, "SENTINEL-journal"));
    assert_non_null(strstr(err.ptr, "already journaled"));
    assert_non_null(strstr(err.ptr, "fills//bad"));
    assert_non_null(strstr(dstr_cstr(&f->log), "journal.unwritten"));
    assert_null(strstr(dstr_cstr(&f->log), "ETHUSDT\",\"key\""));
    assert_int_equal(journal_put_exact_batch(f->s, recs, 0, 0), 0);
    secret_clear();
    dstr_free(&err);
    dstr_free(&got);
}

static void test_validators(void **state) {
    (void)state;
    assert_true(journal_valid_id("req-1:a.b_c", 128));
    assert_false(journal_valid_id("a b", 128));
    assert_false(journal_valid_id("a+b", 128));
    assert_false(journal_valid_id("", 128));
    assert_false(journal_valid_id(NULL, 128));
    assert_false(journal_valid_id("abc", 2));
    assert_true(journal_valid_tag("1.4.0+g1a2b", 64));
    assert_false(journal_valid_tag("1.4/0", 64));
    assert_true(journal_valid_word("dry_run", 32));
    assert_false(journal_valid_word("Dry", 32));
    assert_true(journal_valid_decimal("-12.50", 1));
    assert_false(journal_valid_decimal("-12.50", 0));
    assert_false(journal_valid_decimal("1.", 1));
    assert_false(journal_valid_decimal(".5", 1));
    assert_false(journal_valid_decimal("1e5", 1));
    assert_false(journal_valid_decimal(NULL, 1));
}

static void test_latest_decisions(void **state) {
    fixture *f = *state;
    int64_t now = now_ms(), today = now - now % DAY;
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", today - 2 * DAY, "{\"id\":\"btc old\"}", NULL);
    put_ok(f, JOURNAL_DECISION, "ETHUSDT", today - DAY, "{\"id\":\"eth\"}", NULL);
    put_ok(f, JOURNAL_DECISION, "BTCUSDT", today + 1000, "{\"id\":\"btc new\"}", NULL);
    put_ok(f, JOURNAL_REQUEST, "BTCUSDT", today + 2000, "{\"id\":\"request\"}", NULL);
    put_ok(f, JOURNAL_DECISION, "BTCUSDTX", today + 3000, "{\"id\":\"other\"}", NULL);
    put_ok(f, JOURNAL_DECISION, "ETHUSDT", today + 4000, "not json", NULL);
    static const char *const symbols[] = {"BTCUSDT", "ETHUSDT", "XRPUSDT"};
    dstr out[3] = {{0}};
    dstr err = {0};
    assert_int_equal(journal_latest_decisions(f->s, symbols, 3, out, &err), 0);
    assert_string_equal(dstr_cstr(&out[0]), "{\"id\":\"btc new\"}");
    assert_string_equal(dstr_cstr(&out[1]), "{\"id\":\"eth\"}"); /* the corrupt one skipped */
    assert_int_equal(out[2].len, 0);
    assert_non_null(strstr(dstr_cstr(&f->log), "journal.corrupt"));
    static const char *const bad[] = {"btc"};
    assert_int_equal(journal_latest_decisions(f->s, bad, 1, out, &err), -1);
    assert_int_equal(journal_latest_decisions(NULL, symbols, 1, out, &err), -1);
    assert_int_equal(journal_latest_decisions(f->s, symbols, 0, out, &err), -1);
    for (int i = 0; i < 3; i++) dstr_free(&out[i]);
    dstr_free(&err);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_layout),
        cmocka_unit_test_setup_teardown(test_put_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_exact_batch, setup, teardown),
        cmocka_unit_test(test_validators),
        cmocka_unit_test_setup_teardown(test_latest_decisions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collisions_get_suffixes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suffixes_exhausted_is_unwritten, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_unwritten_without_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_batch_suffixes_and_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritten_on_store_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritten_bad_symbol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recent_empty_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recent_across_days_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recent_same_millisecond_and_suffixes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recent_skips_gaps_and_corrupt_objects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recent_tomorrow_is_included, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recent_limit_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recent_day_over_one_page, setup_fast, teardown),
        cmocka_unit_test(test_record_names),
        cmocka_unit_test_setup_teardown(test_walk_shared_by_every_record_type, setup_fast,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_walk_day_over_one_batch, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_walk_listing_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

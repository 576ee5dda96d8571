/* store: the interface's rules and the file backend, in a fresh temporary
 * directory per test: round trips, create-only, key rules, listing order and
 * paging, containment (symlinks), concurrent writer processes, URLs. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

typedef struct fixture {
    char base[512]; /* mkdtemp dir; the store's root is base/root */
    char root[600];
    store *s;
    dstr err;           /* what the last call given fresh(f) appended */
    pid_t children[32]; /* forked by the test; killed at teardown if it failed early */
} fixture;

/* ---- helpers ------------------------------------------------------------------ */

/* f's error text, emptied, to pass to one call and read after it. */
static dstr *fresh(fixture *f) {
    dstr_clear(&f->err);
    return &f->err;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static store *open_root_or_fail(const char *root) {
    dstr url = {0}, err = {0};
    dstr_printf(&url, "file://%s", root);
    store *s = store_open(url.ptr, &err);
    if (!s) fail_msg("store_open(%s): %s", url.ptr, err.ptr);
    dstr_free(&url);
    dstr_free(&err);
    return s;
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->base, sizeof f->base, "%s/test_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->base)) return -1;
    snprintf(f->root, sizeof f->root, "%s/root", f->base);
    f->s = open_root_or_fail(f->root);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    for (size_t i = 0; i < sizeof f->children / sizeof *f->children; i++) {
        if (f->children[i] <= 0) continue;
        kill(f->children[i], SIGKILL);
        waitpid(f->children[i], NULL, 0);
    }
    store_close(f->s);
    dstr_free(&f->err);
    nftw(f->base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void put_ok(store *s, const char *key, const char *text) {
    dstr err = {0};
    store_status st = store_put(s, key, text, strlen(text), &err);
    if (st != STORE_OK) fail_msg("put %s: %s (%s)", key, store_status_name(st), err.ptr);
    dstr_free(&err);
}

static void expect_content(store *s, const char *key, const char *text) {
    dstr out = {0}, err = {0};
    store_status st = store_get(s, key, &out, &err);
    if (st != STORE_OK) fail_msg("get %s: %s (%s)", key, store_status_name(st), err.ptr);
    dstr_free(&err);
    assert_int_equal(out.len, strlen(text));
    assert_memory_equal(out.ptr, text, out.len);
    dstr_free(&out);
}

/* One listing call, keys joined by '\n'. */
static void list_once(store *s, const char *prefix, const char *after, size_t max, dstr *joined,
                      int *truncated) {
    store_page page = {0};
    dstr err = {0};
    store_status st = store_list(s, prefix, after, max, &page, &err);
    if (st != STORE_OK) fail_msg("list %s: %s (%s)", prefix, store_status_name(st), err.ptr);
    dstr_free(&err);
    dstr_clear(joined);
    for (size_t i = 0; i < page.n; i++) {
        if (i) dstr_putc(joined, '\n');
        dstr_puts(joined, page.keys[i]);
    }
    *truncated = page.truncated;
    store_page_free(&page);
}

static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- round trips ----------------------------------------------------------------- */

static void test_round_trip(void **state) {
    fixture *f = *state;
    static const char binary[] = {'a', '\0', 'b', '\n', (char)0xff, '\0'};
    put_ok(f->s, "decisions/20261121/BTCUSDT.json", "{\"side\":\"LONG\"}");
    expect_content(f->s, "decisions/20261121/BTCUSDT.json", "{\"side\":\"LONG\"}");

    assert_int_equal(store_put_new(f->s, "raw/bin", binary, sizeof binary, NULL), STORE_OK);
    dstr out = {0};
    assert_int_equal(store_get(f->s, "raw/bin", &out, NULL), STORE_OK);
    assert_int_equal(out.len, sizeof binary);
    assert_memory_equal(out.ptr, binary, sizeof binary);
    assert_int_equal(out.ptr[out.len], '\0');

    assert_int_equal(store_put(f->s, "empty", NULL, 0, NULL), STORE_OK);
    assert_int_equal(store_get(f->s, "empty", &out, NULL), STORE_OK);
    assert_int_equal(out.len, 0);
    assert_string_equal(dstr_cstr(&out), "");
    dstr_free(&out);

    dstr keys = {0};
    int truncated;
    list_once(f->s, "", NULL, 10, &keys, &truncated);
    assert_string_equal(keys.ptr, "decisions/20261121/BTCUSDT.json\nempty\nraw/bin");
    assert_false(truncated);
    dstr_free(&keys);

    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/decisions/20261121/BTCUSDT.json", f->root);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
}

static void test_put_replaces(void **state) {
    fixture *f = *state;
    put_ok(f->s, "trades/t.csv", "first");
    put_ok(f->s, "trades/t.csv", "second, longer");
    expect_content(f->s, "trades/t.csv", "second, longer");
    put_ok(f->s, "trades/t.csv", "3rd"); /* shorter: nothing of the old one remains */
    expect_content(f->s, "trades/t.csv", "3rd");
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/trades", f->root);
    assert_int_equal(count_entries(dir), 1); /* no temporary left behind */
}

static void test_put_new_keeps_existing(void **state) {
    fixture *f = *state;
    assert_int_equal(store_put_new(f->s, "p/a.json", "original", 8, NULL), STORE_OK);
    assert_int_equal(store_put_new(f->s, "p/a.json", "intruder", 8, fresh(f)), STORE_EXISTS);
    assert_non_null(strstr(dstr_cstr(&f->err), "p/a.json"));
    expect_content(f->s, "p/a.json", "original");
    put_ok(f->s, "p/b.json", "by put");
    assert_int_equal(store_put_new(f->s, "p/b.json", "x", 1, NULL), STORE_EXISTS);
    expect_content(f->s, "p/b.json", "by put");
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/p", f->root);
    assert_int_equal(count_entries(dir), 2);
}

static void test_get_missing(void **state) {
    fixture *f = *state;
    put_ok(f->s, "file.txt", "x");
    put_ok(f->s, "dir/inner", "y");
    static const char *const missing[] = {
        "nope", "a/b/c", "file.txt/x", "dir", "dir/inner/deeper", "dir/inne"};
    for (size_t i = 0; i < sizeof missing / sizeof *missing; i++) {
        dstr out = {0};
        dstr_puts(&out, "stale");
        assert_int_equal(store_get(f->s, missing[i], &out, fresh(f)), STORE_NOT_FOUND);
        assert_int_equal(out.len, 0);
        assert_non_null(strstr(dstr_cstr(&f->err), missing[i]));
        dstr_free(&out);
    }
}

/* ---- key rules ------------------------------------------------------------------- */

static char long_key[STORE_KEY_MAX + 2], long_segment[STORE_SEGMENT_MAX + 2];
static char max_key[STORE_KEY_MAX + 1], max_segment[STORE_SEGMENT_MAX + 1];

static void make_long_keys(void) {
    memset(long_key, 'k', STORE_KEY_MAX + 1);
    memset(long_segment, 's', STORE_SEGMENT_MAX + 1);
    memset(max_segment, 's', STORE_SEGMENT_MAX);
    /* 1024 bytes in six segments */
    for (size_t i = 0; i < STORE_KEY_MAX; i++) max_key[i] = (i % 200 == 199) ? '/' : 'm';
}

static const struct {
    const char *key;
    const char *why;
} invalid_keys[] = {
    {"", "empty key"},
    {"/etc/passwd", "leading '/'"},
    {"a/", "trailing '/'"},
    {"a//b", "empty segment"},
    {".", "\".\" or \"..\""},
    {"..", "\".\" or \"..\""},
    {"../escape", "\".\" or \"..\""},
    {"a/../../escape", "\".\" or \"..\""},
    {"a/./b", "\".\" or \"..\""},
    {"a/..", "\".\" or \"..\""},
    {"a\\b", "backslash"},
    {"..\\escape", "backslash"},
    {"a\x01"
     "b",
     "control character"},
    {"a\nb", "control character"},
    {"tab\there", "control character"},
    {"del\x7f", "control character"},
    {"\xff", "UTF-8"},
    {"\xc0\xaf", "UTF-8"},         /* overlong '/' */
    {"\xe0\x80\xaf", "UTF-8"},     /* overlong '/' */
    {"\xed\xa0\x80", "UTF-8"},     /* surrogate */
    {"\xf4\x90\x80\x80", "UTF-8"}, /* beyond U+10FFFF */
    {"cut\xe2\x82", "UTF-8"},      /* truncated sequence */
    {".tmp-123", ".tmp-"},
    {"payloads/.tmp-1-2-3", ".tmp-"},
    {long_key, "more than 1024"},
    {long_segment, "longer than 255"},
};

static const char *const valid_keys[] = {
    "single",           "a/b/c.json",   "..a",       "a..",       ".hidden",
    "x/.tmp",           "x/tmp-1",      "x/.tmpx-1", "가격/값",   "sp ace/+%=&~!$'()*,;@",
    "\xf0\x9f\x98\x80", "\xef\xbf\xbf", max_key,     max_segment,
};

static void test_key_rules(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof invalid_keys / sizeof *invalid_keys; i++) {
        dstr why = {0};
        assert_int_equal(store_key_valid(invalid_keys[i].key, &why), 0);
        if (!strstr(why.ptr, invalid_keys[i].why))
            fail_msg("key #%zu: reason '%s' lacks '%s'", i, why.ptr, invalid_keys[i].why);
        dstr_free(&why);
    }
    assert_int_equal(store_key_valid(NULL, NULL), 0);
    for (size_t i = 0; i < sizeof valid_keys / sizeof *valid_keys; i++) {
        dstr why = {0};
        if (!store_key_valid(valid_keys[i], &why))
            fail_msg("valid key #%zu refused: %s", i, why.ptr);
        dstr_free(&why);
    }
    assert_int_equal(strlen(max_key), STORE_KEY_MAX);
}

static void test_invalid_keys_touch_nothing(void **state) {
    fixture *f = *state;
    dstr out = {0};
    for (size_t i = 0; i < sizeof invalid_keys / sizeof *invalid_keys; i++) {
        const char *key = invalid_keys[i].key;
        assert_int_equal(store_put(f->s, key, "x", 1, fresh(f)), STORE_INVALID_KEY);
        assert_non_null(strstr(dstr_cstr(&f->err), invalid_keys[i].why));
        assert_int_equal(store_put_new(f->s, key, "x", 1, NULL), STORE_INVALID_KEY);
        assert_int_equal(store_get(f->s, key, &out, NULL), STORE_INVALID_KEY);
    }
    assert_int_equal(store_put(f->s, NULL, "x", 1, NULL), STORE_INVALID_KEY);
    assert_int_equal(store_get(f->s, NULL, &out, NULL), STORE_INVALID_KEY);
    dstr_free(&out);
    assert_int_equal(count_entries(f->base), 1); /* only root/ */
    assert_int_equal(count_entries(f->root), 0);
    /* and the valid ones all work, including the longest */
    for (size_t i = 0; i < sizeof valid_keys / sizeof *valid_keys; i++)
        put_ok(f->s, valid_keys[i], valid_keys[i]);
    for (size_t i = 0; i < sizeof valid_keys / sizeof *valid_keys; i++)
        expect_content(f->s, valid_keys[i], valid_keys[i]);
    assert_int_equal(count_entries(f->base), 1);
}

static void test_odd_characters(void **state) {
    fixture *f = *state;
    static const char *const keys[] = {
        "payloads/20261121/가격 +1%=x.json",
        "payloads/20261121/a b.json",
        "payloads/20261121/p+q.json",
        "payloads/20261121/100%.json",
        "payloads/20261121/k=v&w.json",
        "payloads/20261121/\xc3\xbc.json",
        "payloads/20261121/\xf0\x9f\x98\x80.json",
        "payloads/20261121/%2F.json",
    };
    enum { N = sizeof keys / sizeof *keys };
    const char *sorted[N];
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(store_put_new(f->s, keys[i], keys[i], strlen(keys[i]), NULL), STORE_OK);
        sorted[i] = keys[i];
    }
    qsort(sorted, N, sizeof *sorted, cmp_str);
    dstr want = {0}, got = {0};
    for (size_t i = 0; i < N; i++) dstr_printf(&want, "%s%s", i ? "\n" : "", sorted[i]);
    int truncated;
    list_once(f->s, "payloads/20261121/", NULL, 100, &got, &truncated);
    assert_string_equal(got.ptr, want.ptr);
    list_once(f->s, "payloads/20261121/가", NULL, 100, &got, &truncated);
    assert_string_equal(got.ptr, "payloads/20261121/가격 +1%=x.json");
    for (size_t i = 0; i < N; i++) expect_content(f->s, keys[i], keys[i]);
    dstr_free(&want);
    dstr_free(&got);
}

/* ---- listing ----------------------------------------------------------------------- */

static const char *const listing_keys[] = {
    "payloads/20261120/a.json",
    "payloads/20261121/a.json",
    "payloads/20261121/b.json",
    "payloads/20261122/a.json",
    "payloads/2026112.json",
    "payloads-x/y",
    "payloads0",
    "trades/2026/x.csv",
    "o/a-c",
    "o/a/b",
    "o/a0",
    "o/a.x",
    "o/a/b0",
    "top",
};

static void put_listing_keys(store *s) {
    for (size_t i = 0; i < sizeof listing_keys / sizeof *listing_keys; i++)
        put_ok(s, listing_keys[i], "v");
}

/* '/' (0x2f) sorts after '-' and '.' and before '0': o/a-c < o/a.x < o/a/... < o/a0 */
static const struct {
    const char *prefix;
    const char *want;
} prefix_cases[] = {
    {"", "o/a-c\no/a.x\no/a/b\no/a/b0\no/a0\npayloads-x/y\npayloads/2026112.json\npayloads/"
         "20261120/a.json\n"
         "payloads/20261121/a.json\npayloads/20261121/b.json\npayloads/20261122/"
         "a.json\npayloads0\ntop\ntrades/2026/x.csv"},
    {"payloads/2026112",
     "payloads/2026112.json\npayloads/20261120/a.json\npayloads/20261121/a.json\n"
     "payloads/20261121/b.json\npayloads/20261122/a.json"},
    {"payloads/20261121/", "payloads/20261121/a.json\npayloads/20261121/b.json"},
    {"payloads/20261121", "payloads/20261121/a.json\npayloads/20261121/b.json"},
    {"payloads/20261121/a", "payloads/20261121/a.json"},
    {"payloads/20261121/a.json", "payloads/20261121/a.json"},
    {"payloads",
     "payloads-x/y\npayloads/2026112.json\npayloads/20261120/a.json\npayloads/20261121/a.json\n"
     "payloads/20261121/b.json\npayloads/20261122/a.json\npayloads0"},
    {"o/a", "o/a-c\no/a.x\no/a/b\no/a/b0\no/a0"},
    {"o/a/", "o/a/b\no/a/b0"},
    {"t", "top\ntrades/2026/x.csv"},
    {"top", "top"},
    {"top/", ""}, /* an object is in the way: no keys below it */
    {"nothing", ""},
    {"payloads/2099/", ""},
    {"payloads/20261121/a.json/", ""},
    {"../", ""},
    {"payloads//", ""},
    {"./payloads/", ""},
    {"/payloads", ""},
    {".tmp-", ""},
};

static void test_list_prefixes(void **state) {
    fixture *f = *state;
    put_listing_keys(f->s);
    dstr got = {0};
    for (size_t i = 0; i < sizeof prefix_cases / sizeof *prefix_cases; i++) {
        int truncated = -1;
        list_once(f->s, prefix_cases[i].prefix, NULL, 1000, &got, &truncated);
        if (strcmp(dstr_cstr(&got), prefix_cases[i].want) != 0)
            fail_msg("prefix '%s': got\n%s\nwant\n%s", prefix_cases[i].prefix, dstr_cstr(&got),
                     prefix_cases[i].want);
        assert_false(truncated);
    }
    list_once(f->s, NULL, NULL, 1000, &got, &(int){0});
    assert_string_equal(dstr_cstr(&got), prefix_cases[0].want);
    dstr_free(&got);
}

static const struct {
    const char *prefix, *after;
    size_t max;
    const char *want;
    int truncated;
} after_cases[] = {
    {"o/", "o/a-c", 10, "o/a.x\no/a/b\no/a/b0\no/a0", 0},
    {"o/", "o/a/", 10, "o/a/b\no/a/b0\no/a0", 0},
    {"o/", "o/a/b", 10, "o/a/b0\no/a0", 0},
    {"o/", "o/a/b0", 10, "o/a0", 0},
    {"o/", "o/a/a", 1, "o/a/b", 1},
    {"o/", "o/a", 2, "o/a-c\no/a.x", 1},
    {"o/", "o/a0", 10, "", 0},
    {"o/", "", 5, "o/a-c\no/a.x\no/a/b\no/a/b0\no/a0", 0}, /* exactly max: not truncated */
    {"o/", "", 4, "o/a-c\no/a.x\no/a/b\no/a/b0", 1},
    {"", "payloads0", 10, "top\ntrades/2026/x.csv", 0},
    {"", "payloads/20261121/a.json", 2, "payloads/20261121/b.json\npayloads/20261122/a.json", 1},
    {"", "payloads/20261121/a.jsoo", 1, "payloads/20261121/b.json", 1}, /* not itself a key */
    {"", "payloads/20261121/zzz/deep", 1, "payloads/20261122/a.json", 1},
    {"", "a", 1, "o/a-c", 1},
    {"", "zzz", 10, "", 0},
    {"payloads/2026112", "payloads/2026112.json", 10,
     "payloads/20261120/a.json\npayloads/20261121/a.json\npayloads/20261121/b.json\npayloads/"
     "20261122/a.json",
     0},
    {"payloads/2026112", "payloads/20261122/a.json", 10, "", 0},
    {"trades/", "a", 10, "trades/2026/x.csv", 0}, /* start_after before the prefix */
    {"o/", "p", 10, "", 0},                       /* start_after past the prefix */
};

static void test_list_start_after(void **state) {
    fixture *f = *state;
    put_listing_keys(f->s);
    dstr got = {0};
    for (size_t i = 0; i < sizeof after_cases / sizeof *after_cases; i++) {
        int truncated = -1;
        list_once(f->s, after_cases[i].prefix, after_cases[i].after, after_cases[i].max, &got,
                  &truncated);
        if (strcmp(dstr_cstr(&got), after_cases[i].want) != 0 ||
            truncated != after_cases[i].truncated)
            fail_msg("case %zu (prefix '%s', after '%s'): got\n%s\n(truncated %d) "
                     "want\n%s\n(truncated %d)",
                     i, after_cases[i].prefix, after_cases[i].after, dstr_cstr(&got), truncated,
                     after_cases[i].want, after_cases[i].truncated);
    }
    dstr_free(&got);
}

static void test_list_empty_and_bad_args(void **state) {
    fixture *f = *state;
    store_page page = {0};
    assert_int_equal(store_list(f->s, "", NULL, 1000, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 0);
    assert_false(page.truncated);
    put_ok(f->s, "k", "v");
    assert_int_equal(store_list(f->s, "", NULL, 1, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 1);
    /* a failing call still releases the previous page */
    assert_int_equal(store_list(f->s, "", NULL, 0, &page, fresh(f)), STORE_INVALID_ARG);
    assert_non_null(strstr(dstr_cstr(&f->err), "max_keys"));
    assert_int_equal(page.n, 0);
    assert_null(page.keys);
    assert_int_equal(store_list(f->s, "", NULL, STORE_LIST_MAX + 1, &page, NULL),
                     STORE_INVALID_ARG);
    assert_int_equal(store_list(f->s, long_key, NULL, 10, &page, NULL), STORE_INVALID_ARG);
    assert_int_equal(store_list(f->s, "", long_key, 10, &page, NULL), STORE_INVALID_ARG);
    assert_int_equal(store_list(f->s, "", NULL, 10, NULL, NULL), STORE_INVALID_ARG);
    assert_int_equal(store_list(NULL, "", NULL, 10, &page, NULL), STORE_INVALID_ARG);
    assert_int_equal(store_get(f->s, "k", NULL, NULL), STORE_INVALID_ARG);
    assert_int_equal(store_put(f->s, "k", NULL, 3, NULL), STORE_INVALID_ARG);
    assert_int_equal(store_put(NULL, "k", "v", 1, NULL), STORE_INVALID_ARG);
    store_page_free(&page);
}

enum { PAGING_KEYS = 2500 };

static void test_list_paging(void **state) {
    fixture *f = *state;
    char *want[PAGING_KEYS];
    for (size_t i = 0; i < PAGING_KEYS; i++) {
        char key[64];
        /* spread over directories and file names that interleave with them */
        if (i % 5 == 0) snprintf(key, sizeof key, "pg/d%zu.json", i % 13);
        else snprintf(key, sizeof key, "pg/d%zu/r%04zu", i % 13, i);
        if (i % 5 == 0 && i >= 13 * 5) snprintf(key, sizeof key, "pg/d%zu-%04zu", i % 13, i);
        assert_int_equal(store_put_new(f->s, key, key, strlen(key), NULL), STORE_OK);
        want[i] = strdup(key);
    }
    qsort(want, PAGING_KEYS, sizeof *want, cmp_str);
    static const size_t page_sizes[] = {1000, 333, 7};
    for (size_t ps = 0; ps < sizeof page_sizes / sizeof *page_sizes; ps++) {
        size_t max = page_sizes[ps], seen = 0, calls = 0;
        store_page page = {0};
        do {
            const char *after =
                page.n ? page.keys[page.n - 1] : NULL; /* points into the page being replaced */
            assert_int_equal(store_list(f->s, "pg/", after, max, &page, NULL), STORE_OK);
            calls++;
            assert_true(page.n <= max);
            if (page.truncated) assert_int_equal(page.n, max);
            for (size_t i = 0; i < page.n; i++, seen++) {
                assert_true(seen < PAGING_KEYS);
                assert_string_equal(page.keys[i], want[seen]);
            }
        } while (page.truncated);
        store_page_free(&page);
        assert_int_equal(seen, PAGING_KEYS);
        assert_int_equal(calls, (PAGING_KEYS + max - 1) / max);
    }
    for (size_t i = 0; i < PAGING_KEYS; i++) free(want[i]);
}

/* A page reads only a page's worth of a directory's entries at a time: more
 * empty directories than a page before the keys still lead to the keys, and
 * a directory far larger than a page lists in order. */
static void test_list_large_directory(void **state) {
    fixture *f = *state;
    char path[700], key[64];
    snprintf(path, sizeof path, "%s/big", f->root);
    assert_int_equal(mkdir(path, 0755), 0);
    for (int i = 0; i < 1100; i++) { /* "e0000/".."e1099/": no keys below them */
        snprintf(path, sizeof path, "%s/big/e%04d", f->root, i);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    for (int i = 4; i-- > 0;) {
        snprintf(key, sizeof key, "big/f%d", i);
        put_ok(f->s, key, "x");
    }
    dstr joined = {0};
    int truncated;
    list_once(f->s, "big/", NULL, 1000, &joined, &truncated);
    assert_string_equal(joined.ptr, "big/f0\nbig/f1\nbig/f2\nbig/f3");
    assert_false(truncated);
    list_once(f->s, "big/", NULL, 3, &joined, &truncated);
    assert_string_equal(joined.ptr, "big/f0\nbig/f1\nbig/f2");
    assert_true(truncated);
    list_once(f->s, "big/e", NULL, 1000, &joined, &truncated);
    assert_string_equal(joined.ptr, "");
    assert_false(truncated);
    dstr_free(&joined);
}

/* ---- containment and foreign files --------------------------------------------------- */

static void test_foreign_entries_hidden(void **state) {
    fixture *f = *state;
    put_ok(f->s, "h/ok.json", "ok");
    char path[PATH_MAX + 64];
    static const char *const strays[] = {"h/.tmp-99-1-deadbeef", "h/.tmp-crashed", "h/bad\x01name",
                                         "h/back\\slash"};
    for (size_t i = 0; i < sizeof strays / sizeof *strays; i++) {
        snprintf(path, sizeof path, "%s/%s", f->root, strays[i]);
        int fd = open(path, O_WRONLY | O_CREAT, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "partial", 7), 7);
        close(fd);
    }
    snprintf(path, sizeof path, "%s/h/link", f->root);
    assert_int_equal(symlink("/etc/hostname", path), 0);
    snprintf(path, sizeof path, "%s/h/fifo", f->root);
    assert_int_equal(mkfifo(path, 0644), 0);

    dstr got = {0};
    int truncated;
    list_once(f->s, "h/", NULL, 1000, &got, &truncated);
    assert_string_equal(got.ptr, "h/ok.json");
    list_once(f->s, "", NULL, 1000, &got, &truncated);
    assert_string_equal(got.ptr, "h/ok.json");
    assert_int_equal(store_get(f->s, "h/link", &got, fresh(f)), STORE_IO);
    assert_non_null(strstr(dstr_cstr(&f->err), "symlink"));
    assert_int_equal(store_get(f->s, "h/fifo", &got, fresh(f)), STORE_IO); /* and does not hang */
    assert_non_null(strstr(dstr_cstr(&f->err), "regular"));
    dstr_free(&got);
}

static void test_symlinks_not_followed(void **state) {
    fixture *f = *state;
    char outside[PATH_MAX + 16], path[PATH_MAX + 64];
    snprintf(outside, sizeof outside, "%s/outside", f->base);
    assert_int_equal(mkdir(outside, 0755), 0);
    snprintf(path, sizeof path, "%s/secret", outside);
    FILE *fp = fopen(path, "w");
    fputs("secret", fp);
    fclose(fp);

    snprintf(path, sizeof path, "%s/evil", f->root); /* a directory link pointing out of the root */
    assert_int_equal(symlink(outside, path), 0);
    assert_int_equal(store_put(f->s, "evil/x", "x", 1, fresh(f)), STORE_IO);
    assert_non_null(strstr(dstr_cstr(&f->err), "symlink"));
    assert_int_equal(store_put_new(f->s, "evil/sub/x", "x", 1, NULL), STORE_IO);
    dstr got = {0};
    assert_int_equal(store_get(f->s, "evil/secret", &got, NULL), STORE_IO);
    assert_int_equal(got.len, 0);
    int truncated;
    list_once(f->s, "evil/", NULL, 1000, &got, &truncated);
    assert_string_equal(dstr_cstr(&got), "");
    list_once(f->s, "", NULL, 1000, &got, &truncated);
    assert_string_equal(dstr_cstr(&got), "");

    snprintf(path, sizeof path, "%s/leaf", f->root); /* a file link pointing out of the root */
    char target[PATH_MAX + 32];
    snprintf(target, sizeof target, "%s/secret", outside);
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(store_put_new(f->s, "leaf", "x", 1, NULL), STORE_EXISTS);
    put_ok(f->s, "leaf", "replaced"); /* replaces the link itself, not its target */
    expect_content(f->s, "leaf", "replaced");
    assert_int_equal(count_entries(outside), 1);
    fp = fopen(target, "r");
    char buf[16] = {0};
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "secret");
    dstr_free(&got);
}

static void test_object_directory_conflicts(void **state) {
    fixture *f = *state;
    put_ok(f->s, "a", "object");
    assert_int_equal(store_put(f->s, "a/b", "x", 1, fresh(f)), STORE_IO);
    assert_non_null(strstr(dstr_cstr(&f->err), "'a' is an object"));
    put_ok(f->s, "d/e", "below");
    assert_int_equal(store_put(f->s, "d", "x", 1, fresh(f)), STORE_IO);
    assert_non_null(strstr(dstr_cstr(&f->err), "keys below 'd/'"));
    assert_int_equal(store_put_new(f->s, "d", "x", 1, NULL),
                     STORE_IO); /* not EXISTS: no object is there */
    dstr got = {0};
    assert_int_equal(store_get(f->s, "d", &got, NULL), STORE_NOT_FOUND);
    dstr_free(&got);
    expect_content(f->s, "a", "object");
    expect_content(f->s, "d/e", "below");
}

static void test_permissions_follow_umask(void **state) {
    fixture *f = *state;
    static const struct {
        mode_t umask;
        mode_t file, dir;
    } cases[] = {
        {022, 0644, 0755},
        {077, 0600, 0700},
        {002, 0644, 0755},
    };
    mode_t old = umask(0);
    umask(old);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char key[32], path[PATH_MAX + 64];
        struct stat st;
        umask(cases[i].umask);
        snprintf(key, sizeof key, "m%zu/obj", i);
        put_ok(f->s, key, "x");
        snprintf(path, sizeof path, "%s/%s", f->root, key);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, cases[i].file);
        snprintf(path, sizeof path, "%s/m%zu", f->root, i);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, cases[i].dir);
    }
    umask(old);
}

/* ---- concurrency --------------------------------------------------------------------- */

enum { WRITERS = 20, RECORDS = 50 };
_Static_assert(WRITERS <= sizeof((fixture *)0)->children / sizeof(pid_t),
               "fixture holds every writer");

static uint32_t fnv1a(const char *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* "writer=W record=R\n" + filler + "\nsum=XXXXXXXX\n" (sum of all before it) */
static void make_record(dstr *out, int w, int r) {
    dstr_clear(out);
    dstr_printf(out, "writer=%d record=%d\n", w, r);
    size_t fill = (size_t)((w * 7919 + r * 104729) % 48000) + 1;
    dstr_reserve(out, fill);
    for (size_t i = 0; i < fill; i++) out->ptr[out->len + i] = (char)('a' + (i + (size_t)w) % 26);
    out->len += fill;
    dstr_printf(out, "\nsum=%08x\n", fnv1a(out->ptr, out->len));
}

/* Checks a record is whole; returns writer * RECORDS + record or -1. */
static int check_record(const dstr *rec) {
    int w, r;
    if (rec->len < 14 || sscanf(rec->ptr, "writer=%d record=%d", &w, &r) != 2) return -1;
    if (w < 0 || w >= WRITERS || r < 0 || r >= RECORDS) return -1;
    unsigned sum;
    const char *tail = rec->ptr + rec->len - 14;
    if (sscanf(tail, "\nsum=%08x\n", &sum) != 1 || sum != fnv1a(rec->ptr, rec->len - 14)) return -1;
    dstr want = {0};
    make_record(&want, w, r);
    int same = want.len == rec->len && memcmp(want.ptr, rec->ptr, rec->len) == 0;
    dstr_free(&want);
    return same ? w * RECORDS + r : -1;
}

/* Even records all writers share (they collide), odd ones are per writer. */
static void base_key(char *key, size_t cap, int w, int r) {
    if (r % 2 == 0) snprintf(key, cap, "c/shared-%02d", r);
    else snprintf(key, cap, "c/w%02d-%02d", w, r);
}

static void writer_process(const char *root, int w) {
    dstr url = {0}, err = {0}, rec = {0};
    dstr_printf(&url, "file://%s", root);
    store *s = store_open(url.ptr, &err);
    int rc = s ? 0 : 2;
    for (int r = 0; r < RECORDS && rc == 0; r++) {
        char base[32], key[48];
        base_key(base, sizeof base, w, r);
        make_record(&rec, w, r);
        store_status st = STORE_EXISTS;
        for (int attempt = 0; attempt <= WRITERS && st == STORE_EXISTS; attempt++) {
            if (attempt) snprintf(key, sizeof key, "%s-%d", base, attempt);
            else snprintf(key, sizeof key, "%s", base);
            dstr_clear(&err);
            st = store_put_new(s, key, rec.ptr, rec.len, &err);
        }
        if (st != STORE_OK) {
            fprintf(stderr, "writer %d record %d: %s %s\n", w, r, store_status_name(st), err.ptr);
            rc = 3;
        }
    }
    store_close(s);
    dstr_free(&url);
    dstr_free(&err);
    dstr_free(&rec);
    _exit(rc);
}

/* Lists everything under c/ and checks each object; returns how many were listed. */
static size_t verify_all(store *s, unsigned char seen[WRITERS * RECORDS], int require_unique) {
    store_page page = {0};
    dstr rec = {0};
    size_t n = 0;
    do {
        const char *after = page.n ? page.keys[page.n - 1] : NULL;
        assert_int_equal(store_list(s, "c/", after, 1000, &page, NULL), STORE_OK);
        for (size_t i = 0; i < page.n; i++, n++) {
            assert_null(strstr(page.keys[i], ".tmp-"));
            dstr err = {0};
            store_status st = store_get(s, page.keys[i], &rec, &err);
            if (st != STORE_OK) fail_msg("listed %s but get: %s", page.keys[i], err.ptr);
            dstr_free(&err);
            int id = check_record(&rec);
            if (id < 0)
                fail_msg("%s: partial or corrupt record (%zu bytes)", page.keys[i], rec.len);
            if (require_unique && seen[id]) fail_msg("record %d stored twice", id);
            seen[id] = 1;
        }
    } while (page.truncated);
    store_page_free(&page);
    dstr_free(&rec);
    return n;
}

static void test_concurrent_writers(void **state) {
    fixture *f = *state;
    pid_t *pids = f->children;
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) writer_process(f->root, w);
    }
    /* read while they write: whatever is listed is whole and readable */
    unsigned char seen[WRITERS * RECORDS];
    int running = WRITERS, rounds = 0;
    while (running > 0 && rounds++ < 10000) {
        memset(seen, 0, sizeof seen);
        verify_all(f->s, seen, 0);
        for (int w = 0; w < WRITERS; w++) {
            int status;
            if (pids[w] > 0 && waitpid(pids[w], &status, WNOHANG) == pids[w]) {
                assert_true(WIFEXITED(status));
                assert_int_equal(WEXITSTATUS(status), 0);
                pids[w] = 0;
                running--;
            }
        }
    }
    assert_int_equal(running, 0);

    memset(seen, 0, sizeof seen);
    assert_int_equal(verify_all(f->s, seen, 1), WRITERS * RECORDS);
    for (int i = 0; i < WRITERS * RECORDS; i++) assert_int_equal(seen[i], 1);
    /* each shared key was won once per suffix, with no gap: base, -1 .. -19 */
    dstr got = {0}, want = {0};
    int truncated;
    list_once(f->s, "c/shared-04", NULL, 1000, &got, &truncated);
    const char *sorted[WRITERS];
    char names[WRITERS][32];
    for (int a = 0; a < WRITERS; a++) {
        if (a) snprintf(names[a], sizeof names[a], "c/shared-04-%d", a);
        else snprintf(names[a], sizeof names[a], "c/shared-04");
        sorted[a] = names[a];
    }
    qsort(sorted, WRITERS, sizeof *sorted, cmp_str);
    for (int a = 0; a < WRITERS; a++) dstr_printf(&want, "%s%s", a ? "\n" : "", sorted[a]);
    assert_string_equal(got.ptr, want.ptr);
    dstr_free(&got);
    dstr_free(&want);
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/c", f->root);
    assert_int_equal(count_entries(dir), WRITERS * RECORDS); /* no temporaries left */
}

/* A reader never sees a half-replaced object. */
static void test_replace_is_atomic_for_readers(void **state) {
    fixture *f = *state;
    enum { A_LEN = 64 * 1024, B_LEN = 100 * 1024, REPLACES = 200 };
    char *a = malloc(A_LEN), *b = malloc(B_LEN);
    memset(a, 'a', A_LEN);
    memset(b, 'b', B_LEN);
    assert_int_equal(store_put(f->s, "hot", a, A_LEN, NULL), STORE_OK);
    pid_t pid = f->children[0] = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dstr url = {0}, err = {0};
        dstr_printf(&url, "file://%s", f->root);
        store *s = store_open(url.ptr, &err);
        int rc = s ? 0 : 2;
        for (int i = 0; i < REPLACES && rc == 0; i++)
            rc =
                store_put(s, "hot", i % 2 ? a : b, i % 2 ? A_LEN : B_LEN, NULL) == STORE_OK ? 0 : 1;
        store_close(s);
        dstr_free(&url);
        dstr_free(&err);
        _exit(rc);
    }
    dstr got = {0};
    int status, reads = 0, done = 0;
    while (!done && reads < 100000) {
        done = waitpid(pid, &status, WNOHANG) == pid;
        assert_int_equal(store_get(f->s, "hot", &got, NULL), STORE_OK);
        reads++;
        int whole = (got.len == A_LEN && memcmp(got.ptr, a, A_LEN) == 0) ||
                    (got.len == B_LEN && memcmp(got.ptr, b, B_LEN) == 0);
        if (!whole) fail_msg("read %d saw a partial object of %zu bytes", reads, got.len);
    }
    if (!done) waitpid(pid, &status, 0);
    f->children[0] = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(store_get(f->s, "hot", &got, NULL), STORE_OK); /* the last put wins */
    assert_int_equal(got.len, A_LEN);
    assert_memory_equal(got.ptr, a, A_LEN);
    dstr_free(&got);
    free(a);
    free(b);
}

/* ---- opening and URLs ------------------------------------------------------------------ */

static const struct {
    const char *url;
    const char *error;
} open_errors[] = {
    {"ftp://host/x", "unsupported store URL 'ftp://host/x'; expected file://<path>"},
    {"", "expected file://<path>"},
    {"/var/journal", "s3://<bucket>[/<prefix>]"},
    {"file:/var/journal", "unsupported store URL"},
    {"file://", "has no path"},
    {"s3://Bad_Bucket/x", "bucket must be 3-63 characters"},
    {"s3://my-journal/../x", "prefix is not usable"},
    /* this program registers no S3 backend */
    {"s3://my-journal/x", "store URL 's3://my-journal/x': no backend for s3:// registered"},
    {"file:///proc/trader-store/x",
     "cannot create store root '/proc/trader-store/x': mkdir '/proc/trader-store'"},
    {"file:///proc", "store root '/proc' is not writable"},
    {"file:///dev/null/x", "mkdir '/dev/null/x': Not a directory"},
};

static void test_open_errors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof open_errors / sizeof *open_errors; i++) {
        dstr err = {0};
        store *s = store_open(open_errors[i].url, &err);
        assert_null(s);
        if (!err.ptr || !strstr(err.ptr, open_errors[i].error))
            fail_msg("%s: error '%s' lacks '%s'", open_errors[i].url, dstr_cstr(&err),
                     open_errors[i].error);
        dstr_free(&err);
    }
    dstr err = {0};
    assert_null(store_open(NULL, &err));
    assert_non_null(strstr(err.ptr, "file://<path>"));
    dstr_free(&err);
}

static void test_open_relative_and_nested(void **state) {
    fixture *f = *state;
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->base), 0);
    static const struct {
        const char *url, *dir;
    } cases[] = {
        {"file://./logs", "logs"},
        {"file://rel", "rel"},
        {"file://deep/er/root/", "deep/er/root"},
        {"FILE://upper", "upper"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dstr err = {0};
        store *s = store_open(cases[i].url, &err);
        if (!s) fail_msg("%s: %s", cases[i].url, err.ptr);
        put_ok(s, "k/v", cases[i].url);
        store_close(s);
        dstr_free(&err);
    }
    assert_int_equal(chdir(cwd), 0); /* the root was fixed at open */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s/k/v", f->base, cases[i].dir);
        FILE *fp = fopen(path, "r");
        if (!fp) fail_msg("%s: %s missing", cases[i].url, path);
        char buf[64] = {0};
        assert_non_null(fgets(buf, sizeof buf, fp));
        fclose(fp);
        assert_string_equal(buf, cases[i].url);
    }
    /* reopening an existing root sees what is there */
    store *again = open_root_or_fail(f->root);
    put_ok(f->s, "shared", "1");
    expect_content(again, "shared", "1");
    store_close(again);
}

static void test_status_names_and_errors(void **state) {
    fixture *f = *state;
    static const struct {
        store_status st;
        const char *name;
    } names[] = {
        {STORE_OK, "ok"},
        {STORE_NOT_FOUND, "not_found"},
        {STORE_EXISTS, "exists"},
        {STORE_INVALID_KEY, "invalid_key"},
        {STORE_INVALID_ARG, "invalid_arg"},
        {STORE_IO, "io"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_string_equal(store_status_name(names[i].st), names[i].name);
    assert_string_equal(store_status_name((store_status)99), "unknown");
    dstr out = {0}, err = {0};
    assert_int_equal(store_get(f->s, "missing/key", &out, &err), STORE_NOT_FOUND);
    assert_string_equal(err.ptr, "get 'missing/key': no such key");
    /* a success appends nothing; each failure appends one line */
    assert_int_equal(store_put(f->s, "fine", "x", 1, &err), STORE_OK);
    assert_int_equal(store_get(f->s, "fine", &out, &err), STORE_OK);
    store_page page = {0};
    assert_int_equal(store_list(f->s, "", NULL, 10, &page, &err), STORE_OK);
    assert_string_equal(err.ptr, "get 'missing/key': no such key");
    assert_int_equal(store_put_new(f->s, "fine", "y", 1, &err), STORE_EXISTS);
    assert_int_equal(store_get(NULL, "k", &out, &err), STORE_INVALID_ARG);
    assert_string_equal(err.ptr, "get 'missing/key': no such key\n"
                                 "put_new 'fine': key exists\n"
                                 "get: no store (NULL)");
    /* NULL: the failure is only in the status */
    assert_int_equal(store_get(f->s, "missing/key", &out, NULL), STORE_NOT_FOUND);
    assert_int_equal(store_list(f->s, "", NULL, 0, &page, NULL), STORE_INVALID_ARG);
    assert_null(page.keys);
    dstr_free(&err);
    store_close(NULL);
    store_page_free(NULL);
    dstr_free(&out);
}

int main(void) {
    make_long_keys();
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_round_trip),
        T(test_put_replaces),
        T(test_put_new_keeps_existing),
        T(test_get_missing),
        cmocka_unit_test(test_key_rules),
        T(test_invalid_keys_touch_nothing),
        T(test_odd_characters),
        T(test_list_prefixes),
        T(test_list_start_after),
        T(test_list_empty_and_bad_args),
        T(test_list_paging),
        T(test_list_large_directory),
        T(test_foreign_entries_hidden),
        T(test_symlinks_not_followed),
        T(test_object_directory_conflicts),
        T(test_permissions_follow_umask),
        T(test_concurrent_writers),
        T(test_replace_is_atomic_for_readers),
        cmocka_unit_test(test_open_errors),
        T(test_open_relative_and_nested),
        T(test_status_names_and_errors),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* run_s3: the S3 store backend against a real S3 server (Ceph RGW, started by
 * tests/s3/rgw_up.sh), through store.h with JOURNAL_URL-style URLs.
 *
 *   run_s3 BUILD_DIR        (BUILD_DIR is accepted for the runner's sake)
 *
 * The server comes from S3_TEST_ENV (the s3.env file rgw_up.sh writes) or from
 * S3_TEST_ENDPOINT, S3_TEST_REGION, S3_TEST_BUCKET, S3_TEST_ACCESS_KEY and
 * S3_TEST_SECRET_KEY. Without either it prints why and "s3: 0 passed, 1
 * failed" (a run that should test S3 and cannot is a failure, not a skip).
 *
 * Every test runs in a child process whose stdout and stderr (the store's
 * JSON logs included) go to a file; the parent then checks that neither the
 * secret, nor the session token, nor anything shaped like a signature or an
 * Authorization header appears in it, nor in any object written. Each test
 * prints "ok NAME" or "FAIL NAME: why"; the last line is
 * "s3: N passed, N failed". All keys live under a fresh per-run prefix. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "platform/dstr.h"
#include "aws/s3.h"
#include "aws/store_s3.h"
#include "store/store.h"

/* RGW ignores a session token for a plain user but still receives it: a
 * sentinel lets the leak check look for it everywhere. */
#define TOKEN_SENTINEL "TOKENSENTINEL-9f2c1e7a-must-never-appear"
#define WRITERS 20
#define RECORDS 50
#define PAGING_KEYS 1100
#define PAGING_WRITERS 10
#define CHILD_TIMEOUT_S 120

static struct { char endpoint[256], region[64], bucket[64], key[128], secret[128]; } R;
static char run_prefix[64]; /* "run-<pid>-<time>" */
static int passed, failed;
static int64_t last_report_ms;

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- reporting ------------------------------------------------------------------- */

static void report(const char *name, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(const char *name, int ok, const char *fmt, ...) {
    int64_t now = mono_ms(), took = last_report_ms ? now - last_report_ms : 0;
    last_report_ms = now;
    if (ok) {
        printf("ok %s (%lld ms)\n", name, (long long)took);
        passed++;
    } else {
        va_list ap;
        va_start(ap, fmt);
        printf("FAIL %s: ", name);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        failed++;
    }
    fflush(stdout);
}

/* ---- configuration and stores ------------------------------------------------------------ */

static void copy_value(char *dst, size_t cap, const char *v) {
    snprintf(dst, cap, "%s", v ? v : "");
}

static int load_config(void) {
    const char *file = getenv("S3_TEST_ENV");
    if (file && *file) {
        FILE *f = fopen(file, "r");
        if (!f) {
            printf("run_s3: cannot read S3_TEST_ENV=%s: %s\n", file, strerror(errno));
            return -1;
        }
        char line[512];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = '\0';
            char *eq = strchr(line, '=');
            if (!eq) continue;
            *eq = '\0';
            setenv(line, eq + 1, 0); /* explicit variables win */
        }
        fclose(f);
    }
    copy_value(R.endpoint, sizeof R.endpoint, getenv("S3_TEST_ENDPOINT"));
    copy_value(R.region, sizeof R.region, getenv("S3_TEST_REGION"));
    copy_value(R.bucket, sizeof R.bucket, getenv("S3_TEST_BUCKET"));
    copy_value(R.key, sizeof R.key, getenv("S3_TEST_ACCESS_KEY"));
    copy_value(R.secret, sizeof R.secret, getenv("S3_TEST_SECRET_KEY"));
    if (!*R.endpoint || !*R.bucket || !*R.key || !*R.secret) {
        printf("run_s3: no S3 server configured: start one with tests/s3/rgw_up.sh DIR and set "
               "S3_TEST_ENV=DIR/s3.env\n");
        return -1;
    }
    if (!*R.region) copy_value(R.region, sizeof R.region, "us-east-1");
    return 0;
}

/* The S3 backend, pointed at the test server with these credentials (the
 * strings must stay valid until the next store_open). The AWS CLI of
 * test_aws_cli reads its credentials from the environment: set there too. */
static void use_credentials(const char *key_id, const char *secret) {
    store_s3_register(&(store_s3_settings){
        .region = R.region,
        .endpoint = R.endpoint,
        .cred = {key_id, secret, TOKEN_SENTINEL},
        .policy = {.service = "s3", .timeout_ms = 5000, .retries = 3, .backoff_ms = 50}});
    setenv("AWS_ACCESS_KEY_ID", key_id, 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
}

/* s3://bucket/<run prefix>/<sub>, or another bucket. */
static store *open_store(const char *bucket, const char *sub, dstr *err) {
    dstr url = {0};
    dstr_printf(&url, "s3://%s/%s/%s", bucket ? bucket : R.bucket, run_prefix, sub);
    store *s = store_open(url.ptr, err);
    dstr_free(&url);
    return s;
}

static store *open_or_report(const char *name, const char *sub) {
    dstr err = {0};
    use_credentials(R.key, R.secret);
    store *s = open_store(NULL, sub, &err);
    if (!s) report(name, 0, "store_open: %s", err.ptr);
    dstr_free(&err);
    return s;
}

/* What the last store call given fresh() appended: its failure, if any. */
static dstr said;

static dstr *fresh(void) {
    dstr_clear(&said);
    return &said;
}

static int get_equals(store *s, const char *key, const void *want, size_t n, dstr *why) {
    dstr got = {0};
    store_status st = store_get(s, key, &got, fresh());
    int ok = st == STORE_OK && got.len == n && memcmp(got.ptr, want, n) == 0;
    if (!ok)
        dstr_printf(why, "get '%s': %s (%s), %zu bytes", key, store_status_name(st),
                    dstr_cstr(&said), got.len);
    dstr_free(&got);
    return ok;
}

/* Every key under prefix, through pages of page_size; -1 on failure. Checks
 * that the keys ascend strictly and that only the last page is untruncated. */
static long list_all(store *s, const char *prefix, size_t page_size, char ***keys_out, dstr *why) {
    store_page page = {0};
    char **keys = NULL;
    size_t n = 0, cap = 0;
    long rc = 0;
    char *after = NULL;
    for (int calls = 0;; calls++) {
        store_status st = store_list(s, prefix, after, page_size, &page, fresh());
        if (st != STORE_OK) {
            dstr_printf(why, "list: %s (%s)", store_status_name(st), dstr_cstr(&said));
            rc = -1;
            break;
        }
        if (page.n > page_size || (page.truncated && page.n != page_size)) {
            dstr_printf(why, "page %d has %zu keys, truncated %d, page size %zu", calls, page.n,
                        page.truncated, page_size);
            rc = -1;
            break;
        }
        for (size_t i = 0; i < page.n; i++) {
            if (n == cap && !(keys = realloc(keys, (cap = cap ? 2 * cap : 256) * sizeof *keys)))
                abort();
            if (n && strcmp(keys[n - 1], page.keys[i]) >= 0) {
                dstr_printf(why, "'%s' listed after '%s'", page.keys[i], keys[n - 1]);
                rc = -1;
            }
            keys[n++] = strdup(page.keys[i]);
        }
        if (rc != 0 || !page.truncated) break;
        free(after);
        after = strdup(page.keys[page.n - 1]);
    }
    free(after);
    store_page_free(&page);
    *keys_out = keys;
    return rc == 0 ? (long)n : (free(keys), *keys_out = NULL, -1);
}

static void free_keys(char **keys, long n) {
    for (long i = 0; i < n; i++) free(keys[i]);
    free(keys);
}

static int contains(const dstr *d, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; n && i + n <= d->len; i++)
        if (memcmp(d->ptr + i, needle, n) == 0) return 1;
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_round_trips(void) {
    const char *name = "round trips: put, get, overwrite, put_new, list";
    store *s = open_or_report(name, "rt");
    if (!s) return;
    dstr why = {0};
    char big[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 131 % 256);
    dstr out = {0};
    int ok = store_put(s, "a/one.json", "{\"v\":1}", 7, fresh()) == STORE_OK &&
             get_equals(s, "a/one.json", "{\"v\":1}", 7, &why) &&
             store_put(s, "a/one.json", "{\"v\":2}", 7, fresh()) == STORE_OK &&
             get_equals(s, "a/one.json", "{\"v\":2}", 7, &why) &&
             store_put_new(s, "a/two", big, sizeof big, fresh()) == STORE_OK &&
             get_equals(s, "a/two", big, sizeof big, &why) &&
             store_put(s, "a/empty", NULL, 0, fresh()) == STORE_OK &&
             get_equals(s, "a/empty", "", 0, &why) &&
             store_put(s, "b", "x", 1, fresh()) == STORE_OK;
    if (ok && store_get(s, "a/none", &out, fresh()) != STORE_NOT_FOUND) {
        ok = 0;
        dstr_printf(&why, "missing key: %s", dstr_cstr(&said));
    }
    if (ok && strcmp(dstr_cstr(&said), "get 'a/none': no such key") != 0) {
        ok = 0;
        dstr_printf(&why, "missing key says '%s'", dstr_cstr(&said));
    }
    char **keys = NULL;
    long n = ok ? list_all(s, "a/", 1000, &keys, &why) : -1;
    if (ok && (n != 3 || strcmp(keys[0], "a/empty") || strcmp(keys[1], "a/one.json") ||
               strcmp(keys[2], "a/two"))) {
        ok = 0;
        dstr_printf(&why, "list a/ gave %ld keys", n);
    }
    free_keys(keys, n);
    n = ok ? list_all(s, "", 2, &keys, &why) : -1;
    if (ok && n != 4) ok = 0, dstr_printf(&why, "list all gave %ld keys", n);
    free_keys(keys, n);
    report(name, ok, "%s (last error: %s)", dstr_cstr(&why), dstr_cstr(&said));
    dstr_free(&why);
    dstr_free(&out);
    store_close(s);
}

static void test_create_only(void) {
    const char *name = "put_new on an existing key: STORE_EXISTS, original intact";
    store *s = open_or_report(name, "co");
    if (!s) return;
    dstr why = {0}, second_why = {0};
    store_status first = store_put_new(s, "k", "original", 8, &why),
                 second = store_put_new(s, "k", "usurper", 7, &second_why);
    int ok = first == STORE_OK && second == STORE_EXISTS &&
             get_equals(s, "k", "original", 8, &why) && strcmp(dstr_cstr(&second_why), "") != 0;
    report(name, ok, "first %s, second %s (%s) %s", store_status_name(first),
           store_status_name(second), dstr_cstr(&second_why), dstr_cstr(&why));
    dstr_free(&why);
    dstr_free(&second_why);
    store_close(s);
}

/* Keys that need encoding in the path and in list queries. */
static const char *const odd_keys[] = {
    "sp ace/a b.json",
    "plus/a+b",
    "pct/100%",
    "eq/a=b&c=d",
    "utf8/\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80",
    "mix/ !$'()*+,;=@~-_.",
    "tilde/~x~",
};

static void test_odd_keys(void) {
    const char *name = "keys with space, +, %, =, & and non-ASCII round-trip and list";
    store *s = open_or_report(name, "odd");
    if (!s) return;
    size_t n = sizeof odd_keys / sizeof *odd_keys;
    dstr why = {0};
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) {
        store_status st = store_put_new(s, odd_keys[i], odd_keys[i], strlen(odd_keys[i]), fresh());
        if (st != STORE_OK)
            ok = 0, dstr_printf(&why, "put_new '%s': %s (%s)", odd_keys[i], store_status_name(st),
                                dstr_cstr(&said));
        else ok = get_equals(s, odd_keys[i], odd_keys[i], strlen(odd_keys[i]), &why);
    }
    char **keys = NULL;
    long got = ok ? list_all(s, "", 3, &keys, &why) : -1;
    if (ok && got != (long)n) ok = 0, dstr_printf(&why, "listed %ld of %zu", got, n);
    for (size_t i = 0; ok && i < n; i++) { /* each exactly once (order is checked by list_all) */
        int found = 0;
        for (long j = 0; j < got; j++) found += strcmp(keys[j], odd_keys[i]) == 0;
        if (found != 1) ok = 0, dstr_printf(&why, "'%s' listed %d times", odd_keys[i], found);
    }
    /* a prefix with odd bytes selects exactly its keys */
    free_keys(keys, got);
    got = ok ? list_all(s, "sp ace/", 10, &keys, &why) : -1;
    if (ok && (got != 1 || strcmp(keys[0], "sp ace/a b.json") != 0))
        ok = 0, dstr_printf(&why, "prefix 'sp ace/' gave %ld", got);
    free_keys(keys, got);
    report(name, ok, "%s", dstr_cstr(&why));
    dstr_free(&why);
    store_close(s);
}

/* Forks `count` children running fn(i); 0 if all exit 0. */
static int run_children(int count, int (*fn)(int), dstr *why) {
    pid_t pids[64];
    for (int i = 0; i < count; i++) {
        fflush(NULL);
        pids[i] = fork();
        if (pids[i] == 0) {
            alarm(CHILD_TIMEOUT_S);
            exit(fn(i)); /* exit, not _exit: ASan's leak check runs at exit */
        }
        if (pids[i] < 0) {
            dstr_printf(why, "fork: %s", strerror(errno));
            for (int j = 0; j < i; j++) kill(pids[j], SIGKILL), waitpid(pids[j], NULL, 0);
            return -1;
        }
    }
    int bad = 0;
    for (int i = 0; i < count; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (!bad) dstr_printf(why, "child %d ended with status 0x%x", i, status);
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static int paging_writer(int w) {
    store *s = open_or_report("paging writer", "page");
    if (!s) return 1;
    int rc = 0;
    for (int i = w; i < PAGING_KEYS && rc == 0; i += PAGING_WRITERS) {
        char key[32];
        snprintf(key, sizeof key, "k/%05d", i);
        if (store_put(s, key, key, strlen(key), fresh()) != STORE_OK) {
            fprintf(stderr, "put %s: %s\n", key, dstr_cstr(&said));
            rc = 1;
        }
    }
    store_close(s);
    return rc;
}

static void test_paging(void) {
    const char *name = "paging over 1,100 keys (pages of 1000 and of 7): every key once, ascending";
    dstr why = {0};
    if (run_children(PAGING_WRITERS, paging_writer, &why) != 0) {
        report(name, 0, "writing: %s", why.ptr);
        dstr_free(&why);
        return;
    }
    store *s = open_or_report(name, "page");
    if (!s) return;
    int ok = 1;
    static const size_t sizes[] = {1000, 7};
    for (size_t z = 0; ok && z < 2; z++) {
        char **keys = NULL;
        long n = list_all(s, "k/", sizes[z], &keys, &why);
        if (n != PAGING_KEYS) ok = 0, dstr_printf(&why, " page size %zu: %ld keys", sizes[z], n);
        for (long i = 0; ok && i < n; i++) {
            char want[32];
            snprintf(want, sizeof want, "k/%05ld", i);
            if (strcmp(keys[i], want) != 0)
                ok = 0, dstr_printf(&why, "key %ld is '%s'", i, keys[i]);
        }
        free_keys(keys, n);
    }
    /* the first page of 1000 says truncated, the second (100) does not */
    store_page page = {0};
    if (ok && (store_list(s, "k/", NULL, 1000, &page, NULL) != STORE_OK || page.n != 1000 ||
               !page.truncated))
        ok = 0, dstr_printf(&why, "first page: %zu keys, truncated %d", page.n, page.truncated);
    if (ok && (store_list(s, "k/", page.keys[999], 1000, &page, NULL) != STORE_OK ||
               page.n != 100 || page.truncated))
        ok = 0, dstr_printf(&why, "second page: %zu keys, truncated %d", page.n, page.truncated);
    /* a page that ends exactly at the last key is not truncated */
    if (ok && (store_list(s, "k/01", NULL, 100, &page, NULL) != STORE_OK || page.n != 100 ||
               page.truncated))
        ok = 0, dstr_printf(&why, "k/01 page: %zu keys, truncated %d", page.n, page.truncated);
    store_page_free(&page);
    report(name, ok, "%s", dstr_cstr(&why));
    dstr_free(&why);
    store_close(s);
}

/* Writer w stores its 50 records create-only: record r goes to "c/rNN-SS",
 * the first free suffix SS in its probe order k, k+20, k+1, k+21, ... (mod
 * 40) with k = w/2. Writers 2k and 2k+1 contend for every first probe, so
 * each record sees ten collisions, in lockstep or in real races, without all
 * twenty writers walking one chain (which costs O(writers^2) requests).
 * Collisions go to stderr. */
static int collision_writer(int w) {
    store *s = open_or_report("collision writer", "conc");
    if (!s) return 1;
    int rc = 0, collisions = 0;
    for (int r = 0; r < RECORDS && rc == 0; r++) {
        char body[64];
        snprintf(body, sizeof body, "{\"writer\":%d,\"record\":%d}", w, r);
        int stored = 0;
        for (int probe = 0; probe < 2 * WRITERS && !stored; probe++) {
            char key[32];
            snprintf(key, sizeof key, "c/r%02d-%02d", r,
                     (w / 2 + WRITERS * (probe % 2) + probe / 2) % (2 * WRITERS));
            store_status st = store_put_new(s, key, body, strlen(body), fresh());
            if (st == STORE_OK) stored = 1;
            else if (st == STORE_EXISTS) collisions++;
            else {
                fprintf(stderr, "put_new %s: %s (%s)\n", key, store_status_name(st),
                        dstr_cstr(&said));
                rc = 1;
                break;
            }
        }
        if (!stored && rc == 0) rc = 2;
    }
    fprintf(stderr, "  writer %d: %d collisions\n", w, collisions);
    store_close(s);
    return rc;
}

static void test_concurrent_writers(void) {
    const char *name =
        "20 writer processes x 50 put_new with collision suffixes: exactly 1000 objects, none lost";
    dstr why = {0};
    if (run_children(WRITERS, collision_writer, &why) != 0) {
        report(name, 0, "writers: %s", why.ptr);
        dstr_free(&why);
        return;
    }
    store *s = open_or_report(name, "conc");
    if (!s) return;
    char **keys = NULL;
    long n = list_all(s, "c/", 1000, &keys, &why);
    int ok = n == WRITERS * RECORDS;
    if (!ok) dstr_printf(&why, " %ld objects", n);
    static unsigned char seen[WRITERS][RECORDS];
    memset(seen, 0, sizeof seen);
    dstr body = {0};
    for (long i = 0; ok && i < n; i++) {
        int w, r, r_key;
        if (store_get(s, keys[i], &body, NULL) != STORE_OK ||
            sscanf(body.ptr, "{\"writer\":%d,\"record\":%d}", &w, &r) != 2 ||
            sscanf(keys[i], "c/r%d-", &r_key) != 1 || w < 0 || w >= WRITERS || r != r_key ||
            r < 0 || r >= RECORDS || seen[w][r]++) {
            ok = 0;
            dstr_printf(&why, "object '%s' holds '%s'", keys[i], dstr_cstr(&body));
        }
    }
    dstr_free(&body);
    free_keys(keys, n);
    report(name, ok, "%s", dstr_cstr(&why));
    dstr_free(&why);
    store_close(s);
}

/* One get with a bad setting; the error must name the S3 code and the fix. */
static void expect_failure(const char *name, const char *bucket, const char *secret,
                           const char *code, const char *hint) {
    dstr err = {0};
    use_credentials(R.key, secret);
    store *s = open_store(bucket, "bad", &err);
    if (!s) {
        report(name, 0, "store_open: %s", err.ptr);
        dstr_free(&err);
        return;
    }
    dstr why = {0};
    store_status st = store_put(s, "k", "v", 1, &why);
    const char *text = dstr_cstr(&why);
    int ok = st == STORE_IO && strstr(text, code) && strstr(text, hint) && !strstr(text, secret) &&
             !strstr(text, TOKEN_SENTINEL);
    report(name, ok, "put: %s, '%s'", store_status_name(st), text);
    printf("  error text: %s\n", text);
    dstr_free(&why);
    dstr_free(&err);
    store_close(s);
    use_credentials(R.key, R.secret);
}

static void test_error_codes(void) {
    char wrong[sizeof R.secret];
    snprintf(wrong, sizeof wrong, "%s", R.secret);
    wrong[0] = wrong[0] == 'x' ? 'y' : 'x';
    expect_failure("wrong secret: SignatureDoesNotMatch, check AWS_SECRET_ACCESS_KEY", NULL, wrong,
                   "SignatureDoesNotMatch (HTTP 403)", "check AWS_SECRET_ACCESS_KEY");
    char bucket[64];
    snprintf(bucket, sizeof bucket, "no-such-bucket-%d", (int)getpid());
    expect_failure("missing bucket: NoSuchBucket", bucket, R.secret, "NoSuchBucket (HTTP 404)",
                   "does not exist");

    const char *name = "unknown access key: InvalidAccessKeyId";
    use_credentials("TESTNOSUCHKEYID00000", R.secret);
    dstr err = {0};
    store *s = open_store(NULL, "bad", &err);
    store_status st = s ? store_put(s, "k", "v", 1, &err) : STORE_INVALID_ARG;
    report(name,
           st == STORE_IO && strstr(dstr_cstr(&err), "InvalidAccessKeyId") &&
               strstr(dstr_cstr(&err), "check AWS_ACCESS_KEY_ID"),
           "%s", dstr_cstr(&err));
    store_close(s);
    dstr_free(&err);
    use_credentials(R.key, R.secret);
}

/* The signing clock an hour behind (s3.h's test hook): RequestTimeTooSkewed. */
static void test_clock_skew(void) {
    const char *name = "clock off by an hour: RequestTimeTooSkewed, the clock named";
    s3_config sc = {.bucket = R.bucket,
                    .region = R.region,
                    .endpoint = R.endpoint,
                    .cred = {R.key, R.secret, TOKEN_SENTINEL},
                    .policy = {.timeout_ms = 5000, .retries = 1, .backoff_ms = 50},
                    .clock_offset_s = -3600};
    dstr err = {0}, out = {0}, msg = {0};
    s3_client *c = s3_client_new(&sc, &err);
    if (!c) {
        report(name, 0, "s3_client_new: %s", err.ptr);
        dstr_free(&err);
        return;
    }
    s3_result res = {0};
    s3_status st = s3_get_object(c, "anything", 0, &out, &res, &msg);
    int ok = st == S3_FAILED && res.http_status == 403 &&
             strcmp(res.code, "RequestTimeTooSkewed") == 0 &&
             strstr(dstr_cstr(&msg), "the machine's clock is off by more than 15 minutes") &&
             res.attempts == 1;
    report(name, ok, "status %d, HTTP %ld, code '%s', '%s'", st, res.http_status, res.code,
           dstr_cstr(&msg));
    printf("  error text: %s\n", dstr_cstr(&msg));
    /* and the same client with the right clock works */
    s3_client_free(c);
    sc.clock_offset_s = 0;
    c = s3_client_new(&sc, &err);
    dstr_clear(&msg);
    st = c ? s3_get_object(c, "anything", 0, &out, &res, &msg) : S3_FAILED;
    report("the same request with the right clock: NoSuchKey", st == S3_NOT_FOUND,
           "status %d, '%s'", st, dstr_cstr(&msg));
    s3_client_free(c);
    dstr_free(&msg);
    dstr_free(&err);
    dstr_free(&out);
}

/* Runs cmd with the AWS CLI's environment, output into out; exit status. */
static int run_cli(const char *cmd, dstr *out) {
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_DEFAULT_REGION", R.region, 1);
    setenv("AWS_PAGER", "", 1);
    unsetenv(
        "AWS_SESSION_TOKEN"); /* the CLI signs it too; RGW would ignore it, but keep the CLI plain */
    unsetenv("AWS_ENDPOINT_URL_S3");
    FILE *p = popen(cmd, "r");
    dstr_clear(out);
    if (!p) return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) dstr_append(out, buf, n);
    int status = pclose(p);
    use_credentials(R.key, R.secret);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What we wrote, the AWS CLI lists and reads back (success paths only). */
static void test_aws_cli(void) {
    const char *name = "the AWS CLI lists and reads back what the store wrote";
    dstr out = {0}, cmd = {0}, why = {0};
    if (run_cli("command -v aws >/dev/null 2>&1", &out) != 0) {
        report(name, 0, "aws not found on PATH (apt-get install awscli)");
        dstr_free(&out);
        return;
    }
    dstr_printf(&cmd,
                "aws --endpoint-url '%s' s3api list-objects-v2 --bucket '%s' --prefix '%s/odd/' "
                "--output json 2>&1",
                R.endpoint, R.bucket, run_prefix);
    int rc = run_cli(cmd.ptr, &out);
    cJSON *doc = rc == 0 ? cJSON_Parse(out.ptr) : NULL;
    cJSON *contents = cJSON_GetObjectItemCaseSensitive(doc, "Contents");
    size_t n = sizeof odd_keys / sizeof *odd_keys;
    int ok = cJSON_IsArray(contents) && (size_t)cJSON_GetArraySize(contents) == n;
    if (!ok) dstr_printf(&why, "list-objects-v2 exit %d: %.300s", rc, dstr_cstr(&out));
    for (size_t i = 0; ok && i < n; i++) {
        int found = 0;
        cJSON *item;
        cJSON_ArrayForEach(item, contents) {
            cJSON *key = cJSON_GetObjectItemCaseSensitive(item, "Key");
            if (cJSON_IsString(key) &&
                strncmp(key->valuestring, run_prefix, strlen(run_prefix)) == 0 &&
                strcmp(key->valuestring + strlen(run_prefix) + strlen("/odd/"), odd_keys[i]) == 0)
                found++;
        }
        if (found != 1) ok = 0, dstr_printf(&why, "CLI listed '%s' %d times", odd_keys[i], found);
    }
    cJSON_Delete(doc);
    /* read back two objects written by the store, one with an awkward key */
    static const struct {
        const char *key, *want;
    } reads[] = {{"rt/a/one.json", "{\"v\":2}"}, {"odd/plus/a+b", "plus/a+b"}};
    for (size_t i = 0; ok && i < 2; i++) {
        dstr_clear(&cmd);
        dstr_printf(&cmd, "aws --endpoint-url '%s' s3 cp 's3://%s/%s/%s' - 2>&1", R.endpoint,
                    R.bucket, run_prefix, reads[i].key);
        rc = run_cli(cmd.ptr, &out);
        if (rc != 0 || strcmp(dstr_cstr(&out), reads[i].want) != 0)
            ok = 0,
            dstr_printf(&why, "s3 cp %s: exit %d, '%.200s'", reads[i].key, rc, dstr_cstr(&out));
    }
    report(name, ok, "%s", dstr_cstr(&why));
    dstr_free(&out);
    dstr_free(&cmd);
    dstr_free(&why);
}

/* Every object this run wrote, read back: none may hold a credential. */
static void test_objects_hold_no_secret(void) {
    const char *name = "no stored object holds the secret or the session token";
    use_credentials(R.key, R.secret);
    dstr err = {0}, why = {0}, body = {0}, url = {0};
    dstr_printf(&url, "s3://%s/%s", R.bucket, run_prefix);
    store *s = store_open(url.ptr, &err);
    char **keys = NULL;
    long n = s ? list_all(s, "", 1000, &keys, &why) : -1;
    int ok = n > 0;
    for (long i = 0; ok && i < n; i++) {
        if (store_get(s, keys[i], &body, fresh()) != STORE_OK)
            ok = 0, dstr_printf(&why, "get %s: %s", keys[i], dstr_cstr(&said));
        else if (contains(&body, R.secret) || contains(&body, TOKEN_SENTINEL))
            ok = 0, dstr_printf(&why, "object %s holds a credential", keys[i]);
    }
    report(name, ok, "%ld objects; %s %s", n, dstr_cstr(&why), dstr_cstr(&err));
    free_keys(keys, n);
    store_close(s);
    dstr_free(&err);
    dstr_free(&why);
    dstr_free(&body);
    dstr_free(&url);
}

/* ---- main: tests in a child whose output is then searched for leaks ---------------------- */

static int run_tests(void) {
    test_round_trips();
    test_create_only();
    test_odd_keys();
    test_paging();
    test_concurrent_writers();
    test_error_codes();
    test_clock_skew();
    test_aws_cli();
    test_objects_hold_no_secret();
    dstr_free(&said);
    return 0;
}

/* Counts "ok " and "FAIL " lines; checks the whole output for credentials. */
static void judge_output(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        report("child output readable", 0, "%s: %s", path, strerror(errno));
        return;
    }
    dstr all = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) dstr_append(&all, buf, n);
    fclose(f);
    fwrite(dstr_cstr(&all), 1, all.len, stdout);
    for (const char *line = dstr_cstr(&all); *line;) {
        if (strncmp(line, "ok ", 3) == 0) passed++;
        else if (strncmp(line, "FAIL ", 5) == 0) failed++;
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    static const char *const shapes[] = {"Signature=", "Credential=", "AWS4-HMAC-SHA256",
                                         "Authorization"};
    const char *leak = strstr(dstr_cstr(&all), R.secret)         ? "the secret"
                       : strstr(dstr_cstr(&all), TOKEN_SENTINEL) ? "the session token"
                                                                 : NULL;
    for (size_t i = 0; !leak && i < sizeof shapes / sizeof *shapes; i++)
        if (strstr(dstr_cstr(&all), shapes[i])) leak = shapes[i];
    report("no secret, token, signature or Authorization in the output and logs", !leak, "found %s",
           leak);
    dstr_free(&all);
}

int main(int argc, char **argv) {
    (void)argc, (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (load_config() != 0) {
        printf("s3: 0 passed, 1 failed\n");
        return 1;
    }
    snprintf(run_prefix, sizeof run_prefix, "run-%d-%lld", (int)getpid(), (long long)time(NULL));
    char out_path[] = "/tmp/run_s3.XXXXXX";
    int fd = mkstemp(out_path);
    if (fd < 0) {
        printf("run_s3: mkstemp: %s\ns3: 0 passed, 1 failed\n", strerror(errno));
        return 1;
    }
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
        last_report_ms = mono_ms();
        run_tests();
        exit(0); /* ASan's leak check runs here, into the same file */
    }
    close(fd);
    int status = 0;
    if (child > 0) waitpid(child, &status, 0);
    if (child < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        report("test process ended normally", 0, "status 0x%x", status);
    judge_output(out_path);
    unlink(out_path);
    printf("s3: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

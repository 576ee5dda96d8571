/* bench_s3: what the S3 journal costs.
 * 1. The SigV4 signer alone (no network): a journal PUT signed as store_s3
 *    signs it, and the SHA-256 of a record body, in microseconds.
 * 2. The S3 store against a live S3 server (a local Ceph RGW in practice):
 *    put, put_new, get and list latency in milliseconds. Needs S3_TEST_ENV
 *    (the s3.env file tests/s3/rgw_up.sh writes) or the S3_TEST_* variables;
 *    without them this part is skipped with a message:
 *      tests/s3/rgw_up.sh /tmp/rgw && S3_TEST_ENV=/tmp/rgw/s3.env build/bench/bench_s3
 *      tests/s3/rgw_down.sh /tmp/rgw
 * Medians and 90th percentiles: these machines are shared and noisy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "platform/log.h"
#include "aws/sigv4.h"
#include "aws/store_s3.h"
#include "store/store.h"

enum { SIGNS = 20000, RECORDS = 300, LIST_KEYS = 100, LIST_ROUNDS = 50, RECORD_BYTES = 200 };

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One table row; scale divides the microsecond samples (1000: ms). */
static void row(const char *op, double *us, size_t n, double scale) {
    qsort(us, n, sizeof *us, cmp_double);
    printf("%-40s %6zu %11.2f %9.2f\n", op, n, us[n / 2] / scale, us[n * 9 / 10] / scale);
}

static void bench_signer(void) {
    static double us[SIGNS];
    char body[RECORD_BYTES], hash[SIGV4_HEX_LEN + 1];
    memset(body, 'x', sizeof body);
    const sigv4_header headers[] = {{"Content-Type", "application/json"}, {"If-None-Match", "*"}};
    sigv4_request req = {.method = "PUT",
                         .host = "journal-bucket.s3.eu-west-1.amazonaws.com",
                         .path = "/journals/trades/2026/11/21/slot-000123-0001.json",
                         .path_mode = SIGV4_PATH_ENCODE_ONCE,
                         .headers = headers,
                         .n_headers = 2,
                         .payload_hash = hash,
                         .region = "eu-west-1",
                         .service = "s3"};
    /* session-token sized like Lambda's (~1 KB) */
    char token[1024];
    memset(token, 'T', sizeof token - 1);
    token[sizeof token - 1] = '\0';
    sigv4_credentials cred = {"BENCHFAKEACCESSKEYID", "bench-fake-secret-key-not-a-real-one-000000",
                              token};
    sigv4_signed out = {0};
    dstr err = {0};
    sigv4_sha256_hex(body, sizeof body, hash);
    for (int i = 0; i < SIGNS; i++) {
        double t0 = now_us();
        if (sigv4_sign(&req, &cred, 1795000000 + i, &out, &err) != 0) {
            fprintf(stderr, "bench_s3: %s\n", err.ptr);
            exit(1);
        }
        us[i] = now_us() - t0;
    }
    printf("SigV4 signer (no network)\n%-40s %6s %11s %9s\n", "operation", "n", "median_us",
           "p90_us");
    row("sign a journal PUT (with session token)", us, SIGNS, 1);
    for (int i = 0; i < SIGNS; i++) {
        double t0 = now_us();
        sigv4_sha256_hex(body, sizeof body, hash);
        us[i] = now_us() - t0;
    }
    row("sha256 of a 200-byte record", us, SIGNS, 1);
    sigv4_signed_free(&out);
    dstr_free(&err);
}

static const char *env_or(const char *name, const char *def) {
    const char *v = getenv(name);
    return v && *v ? v : def;
}

/* S3_TEST_ENV's KEY=VALUE lines into the environment (set ones win). */
static void load_env_file(void) {
    const char *file = getenv("S3_TEST_ENV");
    FILE *f = file && *file ? fopen(file, "r") : NULL;
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        setenv(line, eq + 1, 0);
    }
    fclose(f);
}

static dstr why; /* what the failing store call said */

static void fail(const char *what, store_status st) {
    fprintf(stderr, "bench_s3: %s: %s (%s)\n", what, store_status_name(st), dstr_cstr(&why));
    exit(1);
}

static void bench_store(void) {
    load_env_file();
    const char *endpoint = env_or("S3_TEST_ENDPOINT", NULL),
               *bucket = env_or("S3_TEST_BUCKET", NULL);
    if (!endpoint || !bucket || !getenv("S3_TEST_ACCESS_KEY") || !getenv("S3_TEST_SECRET_KEY")) {
        printf("\nS3 store: skipped (no S3 endpoint configured). To measure against a local Ceph "
               "RGW:\n"
               "  tests/s3/rgw_up.sh /tmp/rgw && S3_TEST_ENV=/tmp/rgw/s3.env build/bench/bench_s3; "
               "tests/s3/rgw_down.sh /tmp/rgw\n");
        return;
    }
    store_s3_register(&(store_s3_settings){
        .region = env_or("S3_TEST_REGION", "us-east-1"),
        .endpoint = endpoint,
        .cred = {getenv("S3_TEST_ACCESS_KEY"), getenv("S3_TEST_SECRET_KEY"), NULL},
        .policy = {.service = "s3", .timeout_ms = 5000, .retries = 3, .backoff_ms = 200}});
    dstr url = {0}, err = {0}, out = {0};
    dstr_printf(&url, "s3://%s/bench-%d-%lld", bucket, (int)getpid(), (long long)time(NULL));
    store *s = store_open(url.ptr, &err);
    if (!s) {
        fprintf(stderr, "bench_s3: %s\n", err.ptr);
        exit(1);
    }
    static double us[RECORDS];
    char record[RECORD_BYTES], key[64];
    memset(record, 'x', sizeof record);
    store_status st;
    printf("\nS3 store on %s (%s), %d records of %d bytes\n%-40s %6s %11s %9s\n", endpoint, url.ptr,
           RECORDS, RECORD_BYTES, "operation", "n", "median_ms", "p90_ms");
    for (int i = 0; i < RECORDS; i++) {
        snprintf(key, sizeof key, "journals/rec-%05d.json", i);
        double t0 = now_us();
        if ((st = store_put_new(s, key, record, sizeof record, &why)) != STORE_OK) fail(key, st);
        us[i] = now_us() - t0;
    }
    row("put_new (new key)", us, RECORDS, 1000);
    for (int i = 0; i < RECORDS; i++) {
        snprintf(key, sizeof key, "journals/rec-%05d.json", i);
        double t0 = now_us();
        if ((st = store_put_new(s, key, record, sizeof record, NULL)) != STORE_EXISTS)
            fail(key, st);
        us[i] = now_us() - t0;
    }
    row("put_new (key exists: 412)", us, RECORDS, 1000);
    for (int i = 0; i < RECORDS; i++) {
        snprintf(key, sizeof key, "journals/rec-%05d.json", i);
        double t0 = now_us();
        if ((st = store_put(s, key, record, sizeof record, &why)) != STORE_OK) fail(key, st);
        us[i] = now_us() - t0;
    }
    row("put (replace)", us, RECORDS, 1000);
    for (int i = 0; i < RECORDS; i++) {
        snprintf(key, sizeof key, "journals/rec-%05d.json", i);
        double t0 = now_us();
        if ((st = store_get(s, key, &out, &why)) != STORE_OK || out.len != RECORD_BYTES)
            fail(key, st);
        us[i] = now_us() - t0;
    }
    row("get", us, RECORDS, 1000);
    store_page page = {0};
    for (int i = 0; i < LIST_ROUNDS; i++) {
        double t0 = now_us();
        if ((st = store_list(s, "journals/", NULL, LIST_KEYS, &page, &why)) != STORE_OK ||
            page.n != LIST_KEYS)
            fail("list", st);
        us[i] = now_us() - t0;
    }
    row("list (page of 100 keys)", us, LIST_ROUNDS, 1000);
    for (int i = 0; i < LIST_ROUNDS; i++) {
        double t0 = now_us();
        if ((st = store_list(s, "journals/", NULL, 1000, &page, &why)) != STORE_OK ||
            page.n != RECORDS)
            fail("list", st);
        us[i] = now_us() - t0;
    }
    row("list (all 300 keys, max_keys 1000)", us, LIST_ROUNDS, 1000);
    store_page_free(&page);
    store_close(s);
    dstr_free(&url);
    dstr_free(&err);
    dstr_free(&out);
    dstr_free(&why);
}

int main(void) {
    log_init("bench_s3");
    log_set_level(LOG_ERROR); /* every 412 is an http.attempt WARN line */
    bench_signer();
    bench_store();
    return 0;
}

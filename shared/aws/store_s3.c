/* store_s3: the S3 backend of store.h, on s3.h (see store_s3.h). Store key k
 * of s3://bucket/prefix is the object "prefix/k" (just "k" without a prefix).
 *
 * Configuration is what store_s3_register() was given: region, credentials
 * (Lambda's role sets a session token too), an optional S3-compatible
 * endpoint (path-style addressing), the HTTP policy and the CA location.
 * Opening does no network I/O (a cold start pays nothing); a wrong bucket or
 * credentials show at the first call, with S3's error code and what to check.
 *
 * Guarantees of store.h, on S3:
 * - Atomic visibility and durability: S3 shows a PUT whole or not at all and
 *   acknowledges it only once stored.
 * - Create-only is PutObject with If-None-Match: *, decided by S3 (412 for
 *   the losers). http.h retries PUTs (same bytes), so a retry may find the
 *   object its own lost first attempt created: a 412 on a call that made more
 *   than one attempt is checked with a GET, and identical bytes count as
 *   success. (Another writer storing the very same bytes under the same key
 *   in that window is indistinguishable, and equally harmless.)
 * - Deadlines: every call passes the handle's deadline (store_set_deadline),
 *   a batch its own, down to s3.h, so no S3 request outlives it; a call
 *   nothing answered in time is STORE_TIMEOUT. A batch of create-only writes
 *   is one s3_put_objects(): every PUT in flight at once.
 * - Listings are ListObjectsV2 pages, in S3's UTF-8 binary (= byte) order.
 *   One store_list() fills its page from as many S3 pages as it takes (S3 may
 *   answer fewer keys than asked). Objects under the prefix whose names are
 *   not valid store keys (written by other tools, "folder" markers) are
 *   skipped; when only such objects follow a full page, truncated is 1 and
 *   the next page comes back empty. */
#include "aws/store_s3.h"

#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "store/store_backend.h"

#define LIST_CALLS_MAX 10000 /* S3 pages one store_list may read (each makes progress) */

typedef struct s3_store {
    s3_client *client;
    char *bucket;
    char *prefix; /* "" or "a/b/" (with the '/') */
    dstr object;  /* scratch: the object key of the current call */
} s3_store;

static s3_store *sstore(store *s) { return s->impl; }

static const char *object_key(s3_store *ss, const char *key) {
    dstr_clear(&ss->object);
    dstr_puts(&ss->object, ss->prefix);
    dstr_puts(&ss->object, key);
    return ss->object.ptr;
}

/* why: what the S3 call said; a call nothing answered in time is a timeout. */
static store_status fail_s3(store *s, const char *op, const char *key, const s3_result *res,
                            const dstr *why, dstr *err) {
    return store_fail(err, res->timed_out ? STORE_TIMEOUT : STORE_IO, "%s 's3://%s/%s': %s", op,
                      sstore(s)->bucket, key, dstr_cstr(why));
}

/* A put_new answered 412 after retries: did our own first attempt land? */
static int holds_exactly(s3_store *ss, const char *object, const void *data, size_t n,
                         int64_t deadline_ms) {
    dstr got = {0};
    s3_result res = {0};
    int same = s3_get_object(ss->client, object, deadline_ms, &got, &res, NULL) == S3_OK &&
               got.len == n && memcmp(got.ptr, data, n) == 0;
    dstr_free(&got);
    return same;
}

/* The store's status for a finished PutObject of key (object in S3). */
static store_status put_outcome(store *s, const char *key, const char *object, const void *data,
                                size_t n, int create_only, const s3_result *res, const dstr *why,
                                int64_t deadline_ms, dstr *err) {
    const char *op = create_only ? "put_new" : "put";
    switch (res->status) {
    case S3_OK: return STORE_OK;
    case S3_PRECONDITION_FAILED:
        if (create_only && res->attempts > 1 &&
            holds_exactly(sstore(s), object, data, n, deadline_ms))
            return STORE_OK;
        return store_fail(err, STORE_EXISTS, "%s '%s': key exists", op, key);
    default: return fail_s3(s, op, object, res, why, err);
    }
}

static store_status s3_store_put(store *s, const char *key, const void *data, size_t n,
                                 int create_only, dstr *err) {
    s3_store *ss = sstore(s);
    const char *object = object_key(ss, key);
    s3_result res = {0};
    dstr why = {0};
    s3_put_object(ss->client, object, data, n, create_only, s->deadline_ms, &res, &why);
    store_status st =
        put_outcome(s, key, object, data, n, create_only, &res, &why, s->deadline_ms, err);
    dstr_free(&why);
    return st;
}

/* Every PUT of the batch in one http_run (s3_put_objects), under one deadline. */
static void s3_put_batch(store *s, store_write *items, size_t n, int64_t deadline_ms) {
    s3_store *ss = sstore(s);
    s3_put *puts = calloc(n, sizeof *puts);
    char **objects = calloc(n, sizeof *objects);
    if (!puts || !objects) abort();
    for (size_t i = 0; i < n; i++) {
        objects[i] = strdup(object_key(ss, items[i].key));
        if (!objects[i]) abort();
        puts[i] =
            (s3_put){.key = objects[i], .data = items[i].data, .n = items[i].n, .if_none_match = 1};
    }
    s3_put_objects(ss->client, puts, n, deadline_ms);
    for (size_t i = 0; i < n; i++) {
        items[i].status = put_outcome(s, items[i].key, objects[i], items[i].data, items[i].n, 1,
                                      &puts[i].res, &puts[i].err, deadline_ms, &items[i].why);
        dstr_free(&puts[i].err);
        free(objects[i]);
    }
    free(puts);
    free(objects);
}

static store_status s3_get(store *s, const char *key, dstr *out, dstr *err) {
    s3_store *ss = sstore(s);
    const char *object = object_key(ss, key);
    s3_result res = {0};
    dstr why = {0};
    store_status st = STORE_OK;
    switch (s3_get_object(ss->client, object, s->deadline_ms, out, &res, &why)) {
    case S3_OK: break;
    case S3_NOT_FOUND: st = store_fail(err, STORE_NOT_FOUND, "get '%s': no such key", key); break;
    default: st = fail_s3(s, "get", object, &res, &why, err);
    }
    dstr_free(&why);
    return st;
}

/* Adds the S3 page's keys that are store keys under the prefix, up to
 * max_keys in all; returns 1 if a key had to be left out for lack of room. */
static int take_keys(s3_store *ss, const s3_list_page *sp, size_t max_keys, store_page *page) {
    size_t plen = strlen(ss->prefix);
    for (size_t i = 0; i < sp->n; i++) {
        const char *k = sp->keys[i];
        if (strncmp(k, ss->prefix, plen) != 0 || !store_key_valid(k + plen, NULL)) continue;
        if (page->n == max_keys) return 1;
        store_page_push(page, k + plen, strlen(k + plen));
    }
    return 0;
}

static store_status s3_list(store *s, const char *prefix, const char *start_after, size_t max_keys,
                            store_page *page, dstr *err) {
    s3_store *ss = sstore(s);
    dstr full_prefix = {0}, full_after = {0}, why = {0};
    char *token = NULL;
    dstr_printf(&full_prefix, "%s%s", ss->prefix, prefix);
    if (start_after && *start_after) dstr_printf(&full_after, "%s%s", ss->prefix, start_after);
    store_status st = STORE_OK;
    s3_list_page sp = {0};
    s3_result res = {0};
    for (int calls = 0; st == STORE_OK; calls++) {
        if (calls == LIST_CALLS_MAX) {
            st = store_fail(err, STORE_IO, "list 's3://%s/%s': no end after %d pages", ss->bucket,
                            full_prefix.ptr, calls);
            break;
        }
        s3_list_request req = {.prefix = full_prefix.ptr,
                               .start_after = full_after.ptr,
                               .continuation_token = token,
                               .max_keys = max_keys - page->n};
        if (s3_list_objects(ss->client, &req, s->deadline_ms, &sp, &res, &why) != S3_OK) {
            st = fail_s3(s, "list", full_prefix.ptr, &res, &why, err);
            break;
        }
        int more_here = take_keys(ss, &sp, max_keys, page);
        if (!sp.truncated) {
            page->truncated = more_here;
            break;
        }
        if (page->n == max_keys) {
            page->truncated = 1;
            break;
        }
        if (!sp.next_token || (token && strcmp(token, sp.next_token) == 0)) {
            st =
                store_fail(err, STORE_IO,
                           "list 's3://%s/%s': a truncated answer without a new continuation token",
                           ss->bucket, full_prefix.ptr);
            break;
        }
        free(token);
        token = sp.next_token;
        sp.next_token = NULL;
    }
    free(token);
    s3_list_page_free(&sp);
    dstr_free(&why);
    dstr_free(&full_prefix);
    dstr_free(&full_after);
    return st;
}

static void s3_close(void *impl) {
    s3_store *ss = impl;
    if (!ss) return;
    s3_client_free(ss->client);
    free(ss->bucket);
    free(ss->prefix);
    dstr_free(&ss->object);
    free(ss);
}

static const store_ops s3_ops = {
    .put = s3_store_put,
    .put_batch = s3_put_batch,
    .get = s3_get,
    .list = s3_list,
    .close = s3_close,
};

/* ---- opening ------------------------------------------------------------------------- */

store_s3_settings store_s3_settings_from_cfg(const cfg *c) {
    return (store_s3_settings){
        .region = c->aws_region,
        .endpoint = c->s3_endpoint,
        .cred = {c->aws_access_key_id, c->aws_secret_access_key, c->aws_session_token},
        .policy = {.service = "s3",
                   .timeout_ms = c->s3_timeout_ms,
                   .retries = c->s3_retries,
                   .backoff_ms = c->s3_backoff_ms},
        .tls = {.ca_path = c->ca_path, .ca_file = c->ca_file}};
}

static int store_s3_open(void *arg, store *s, const store_url *url, dstr *err) {
    const store_s3_settings *set = arg;
    s3_config sc = {.bucket = url->bucket,
                    .region = set->region,
                    .endpoint = set->endpoint,
                    .cred = set->cred,
                    .policy = set->policy,
                    .tls = set->tls};
    s3_store *ss = calloc(1, sizeof *ss);
    if (!ss) abort();
    ss->client = s3_client_new(&sc, err);
    if (!ss->client) {
        free(ss);
        return -1;
    }
    ss->bucket = strdup(url->bucket);
    dstr p = {0};
    dstr_puts(&p, "");
    if (*url->prefix) dstr_printf(&p, "%s/", url->prefix);
    ss->prefix = dstr_take(&p);
    if (!ss->bucket) abort();
    s->ops = &s3_ops;
    s->impl = ss;
    return 0;
}

void store_s3_register(const store_s3_settings *settings) {
    static store_s3_settings registered;
    registered = *settings;
    store_register("s3", store_s3_open, &registered);
}

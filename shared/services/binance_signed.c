/* binance_signed: signed Binance requests and the clock offset (see binance_signed.h). */
#include "services/binance_signed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "platform/clock.h"
#include "platform/log.h"
#include "platform/secret.h"

void bn_signer_init(bn_signer *s, const bn_client *bn, const char *api_key, const char *secret,
                    long recv_window_ms) {
    memset(s, 0, sizeof *s);
    s->bn = bn;
    s->write_policy = bn->policy;
    s->write_policy.retries = 0;
    s->write_policy.fresh_connection = 1; /* no resend of an order by libcurl itself */
    s->api_key = api_key;
    s->secret = secret;
    s->recv_window_ms = recv_window_ms <= 0                      ? BN_DEFAULT_RECV_WINDOW_MS
                        : recv_window_ms > BN_MAX_RECV_WINDOW_MS ? BN_MAX_RECV_WINDOW_MS
                                                                 : recv_window_ms;
    secret_register(api_key);
    secret_register(secret);
}

int bn_signer_has_keys(const bn_signer *s) {
    return s->api_key && *s->api_key && s->secret && *s->secret;
}

void bn_hmac_sha256_hex(const char *key, const void *msg, size_t len, char out[65]) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), msg, len, mac, &n) || n != 32) abort();
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
}

void bn_call_init(bn_call *c, const char *method, const char *path, bn_kind kind) {
    memset(c, 0, sizeof *c);
    snprintf(c->method, sizeof c->method, "%s", method);
    snprintf(c->path, sizeof c->path, "%s", path);
    c->kind = kind;
    c->retryable = kind != BN_WRITE;
}

void bn_call_param(bn_call *c, const char *key, const char *value) {
    if (c->params.len) dstr_putc(&c->params, '&');
    http_url_encode(&c->params, key);
    dstr_putc(&c->params, '=');
    http_url_encode(&c->params, value ? value : "");
}

void bn_call_free(bn_call *c) {
    if (c->prepared) http_request_free(&c->req);
    dstr_free(&c->params);
    memset(c, 0, sizeof *c);
}

void bn_call_sign(const bn_signer *s, bn_call *c, int64_t now_ms) {
    if (c->prepared) http_request_free(&c->req);
    dstr payload = {0};
    dstr_puts(&payload, dstr_cstr(&c->params));
    dstr_printf(&payload, "%srecvWindow=%ld&timestamp=%lld", payload.len ? "&" : "",
                s->recv_window_ms, (long long)(now_ms + s->offset_ms));
    char sig[65];
    /* the query string then the body: one of them is empty here */
    bn_hmac_sha256_hex(s->secret ? s->secret : "", payload.ptr, payload.len, sig);
    dstr_printf(&payload, "&signature=%s", sig);
    int in_body = strcmp(c->method, "POST") == 0 || strcmp(c->method, "PUT") == 0;
    dstr url = {0};
    dstr_printf(&url, "%s%s", s->bn->base, c->path);
    if (!in_body) dstr_printf(&url, "?%s", payload.ptr);
    http_request_init(&c->req, c->method, url.ptr,
                      c->kind == BN_WRITE && !c->retryable ? &s->write_policy : &s->bn->policy);
    c->req.idempotent = c->retryable;
    if (in_body) dstr_puts(&c->req.body, payload.ptr);
    http_request_header(&c->req, "X-MBX-APIKEY", s->api_key ? s->api_key : "");
    c->prepared = 1;
    dstr_free(&url);
    dstr_free(&payload);
}

void bn_time_prepare(const bn_client *bn, http_request *r) {
    dstr url = {0};
    dstr_printf(&url, "%s/fapi/v1/time", bn->base);
    http_request_init(r, "GET", url.ptr, &bn->policy);
    dstr_free(&url);
}

ex_status bn_time_parse(http_request *r, int64_t *server_ms, ex_error *e, dstr *err) {
    *server_ms = 0;
    cJSON *root;
    ex_status st = bn_checked(r, BN_READ, &root, e, err);
    if (st) return st;
    int64_t t;
    if (bn_whole(cJSON_GetObjectItemCaseSensitive(root, "serverTime"), &t) || t <= 0) {
        cJSON_Delete(root);
        return bn_fail(e, err, EX_BAD_RESPONSE, r->status, 0, "time: no serverTime");
    }
    *server_ms = t;
    cJSON_Delete(root);
    return EX_OK;
}

ex_status bn_signer_sync(bn_signer *s, int64_t deadline_ms, ex_error *e, dstr *err) {
    http_request r;
    bn_time_prepare(s->bn, &r);
    http_request *batch[] = {&r};
    int64_t before = clock_wall_ms();
    http_run(s->bn->http, batch, 1, deadline_ms);
    int64_t after = clock_wall_ms();
    int64_t server;
    ex_status st = bn_time_parse(&r, &server, e, err);
    http_request_free(&r);
    log_rec *lr = log_begin(st ? LOG_WARN : LOG_INFO, "binance.time_sync");
    if (st == EX_OK) {
        /* one attempt's midpoint is the best guess of when the server read its clock */
        s->offset_ms = server - (before + after) / 2;
        s->synced = 1;
        log_int(lr, "offset_ms", s->offset_ms);
        log_int(lr, "round_trip_ms", after - before);
    } else {
        log_str(lr, "error", ex_status_name(st));
        log_int(lr, "kept_offset_ms", s->offset_ms);
    }
    log_end(lr);
    return st;
}

long bn_answer_code(const http_request *r) {
    if (r->err != HTTP_OK || r->status < 400) return 0;
    cJSON *json = cJSON_ParseWithLength(dstr_cstr(&r->resp_body), r->resp_body.len);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "code");
    long c = cJSON_IsNumber(code) && code->valuedouble > -1e9 && code->valuedouble < 1e9
                 ? (long)code->valuedouble
                 : 0;
    cJSON_Delete(json);
    return c;
}

static void run_signed(bn_signer *s, bn_call **calls, size_t n, http_request **plain,
                       size_t n_plain, int64_t deadline_ms) {
    http_request **batch = calloc(n + n_plain + 1, sizeof *batch);
    if (!batch) abort();
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < n; i++) {
        bn_call_sign(s, calls[i], now);
        batch[i] = &calls[i]->req;
    }
    for (size_t i = 0; i < n_plain; i++) batch[n + i] = plain[i];
    if (n + n_plain) http_run(s->bn->http, batch, n + n_plain, deadline_ms);
    free(batch);
}

void bn_signed_run(bn_signer *s, bn_call **calls, size_t n, http_request **plain, size_t n_plain,
                   int64_t deadline_ms) {
    if (n && !s->synced) bn_signer_sync(s, deadline_ms, NULL, NULL);
    run_signed(s, calls, n, plain, n_plain, deadline_ms);
    bn_call **again = calloc(n + 1, sizeof *again);
    if (!again) abort();
    size_t n_again = 0;
    for (size_t i = 0; i < n; i++)
        if (bn_answer_code(&calls[i]->req) == BN_CODE_BAD_TIMESTAMP) again[n_again++] = calls[i];
    if (n_again) {
        log_rec *lr = log_begin(LOG_WARN, "binance.clock_rejected");
        log_int(lr, "requests", (long)n_again);
        log_int(lr, "offset_ms", s->offset_ms);
        log_end(lr);
        /* Binance refused them unread: a fresh offset and one more try each */
        bn_signer_sync(s, deadline_ms, NULL, NULL);
        run_signed(s, again, n_again, NULL, 0, deadline_ms);
    }
    free(again);
}

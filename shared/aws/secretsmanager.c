/* secretsmanager: GetSecretValue for one secret (see secretsmanager.h). */
#include "aws/secretsmanager.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/log.h"

#define TARGET "secretsmanager.GetSecretValue"
#define CONTENT_TYPE "application/x-amz-json-1.1"

int sm_parse_answer(const char *body, size_t len, dstr *out, dstr *why) {
    dstr_clear(out);
    if (!body || len == 0 || len > SM_ANSWER_MAX || memchr(body, '\0', len)) {
        if (why) dstr_puts(why, "the answer is empty, too large or holds a NUL");
        return -1;
    }
    cJSON *obj = cJSON_ParseWithLength(body, len);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, "SecretString");
    const char *broken = NULL;
    if (!cJSON_IsObject(obj)) broken = "the answer is not a JSON object";
    else if (cJSON_GetObjectItemCaseSensitive(obj, "SecretBinary") && !s)
        broken = "the secret is binary (SecretBinary): store a JSON object as its string";
    else if (!cJSON_IsString(s) || !s->valuestring[0]) broken = "the answer has no SecretString";
    if (broken && why) dstr_puts(why, broken);
    else if (!broken) dstr_puts(out, s->valuestring);
    cJSON_Delete(obj);
    return broken ? -1 : 0;
}

void sm_parse_error(const char *body, size_t len, char code[SM_CODE_MAX]) {
    code[0] = '\0';
    if (!body || len == 0 || len > SM_ANSWER_MAX) return;
    cJSON *obj = cJSON_ParseWithLength(body, len);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "__type"));
    if (type) {
        const char *hash = strrchr(type, '#');
        snprintf(code, SM_CODE_MAX, "%s", hash ? hash + 1 : type);
    }
    cJSON_Delete(obj);
    for (char *c = code; *c; c++) /* a code is a word; anything else is noise */
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_') {
            code[0] = '\0';
            break;
        }
}

int sm_parse_secret(const char *json, size_t len, const char *const *names, size_t n, char **values,
                    size_t *unknown, dstr *why_out) {
    dstr scratch = {0}, *why = why_out ? why_out : &scratch;
    for (size_t i = 0; i < n; i++) values[i] = NULL;
    if (unknown) *unknown = 0;
    const char *broken = NULL;
    cJSON *obj = NULL;
    if (!json || len == 0 || len > SM_ANSWER_MAX || memchr(json, '\0', len))
        broken = "the secret is empty, too large or holds a NUL";
    else if (!cJSON_IsObject(obj = cJSON_ParseWithLength(json, len)))
        broken = "the secret's string is not a JSON object of variable names";
    const cJSON *m, *members = broken ? NULL : obj;
    cJSON_ArrayForEach(m, members) {
        size_t i = 0;
        while (i < n && strcmp(names[i], m->string) != 0) i++;
        if (i == n) {
            if (unknown) (*unknown)++;
            continue;
        }
        if (values[i]) {
            dstr_printf(why, "%s is given twice in the secret", names[i]);
            broken = "";
        } else if (!cJSON_IsString(m) || !m->valuestring[0]) {
            dstr_printf(why, "%s in the secret is not a non-empty string", names[i]);
            broken = "";
        } else if (strlen(m->valuestring) > SM_VALUE_MAX) {
            dstr_printf(why, "%s in the secret is longer than %d bytes", names[i], SM_VALUE_MAX);
            broken = "";
        } else {
            values[i] = strdup(m->valuestring);
            if (!values[i]) abort();
        }
        if (broken) break;
    }
    cJSON_Delete(obj);
    if (broken && *broken) dstr_puts(why, broken);
    dstr_free(&scratch);
    if (!broken) return 0;
    for (size_t i = 0; i < n; i++) {
        free(values[i]);
        values[i] = NULL;
    }
    return -1;
}

/* scheme and host[:port] of the endpoint (or AWS's for the region): 0, or -1. */
static int endpoint_of(const sm_config *c, char *scheme, size_t scap, char *host, size_t hcap) {
    if (!c->endpoint || !*c->endpoint) {
        snprintf(scheme, scap, "https");
        int k = snprintf(host, hcap, "secretsmanager.%s.amazonaws.com", c->region);
        return k > 0 && (size_t)k < hcap ? 0 : -1;
    }
    const char *sep = strstr(c->endpoint, "://");
    if (!sep) return -1;
    size_t sl = (size_t)(sep - c->endpoint);
    const char *h = sep + 3;
    size_t hl = strcspn(h, "/?#");
    const char *rest = h + hl; /* nothing, or a lone '/' */
    if (sl >= scap || hl == 0 || hl >= hcap || (*rest && strcmp(rest, "/"))) return -1;
    memcpy(scheme, c->endpoint, sl);
    scheme[sl] = '\0';
    memcpy(host, h, hl);
    host[hl] = '\0';
    return strcmp(scheme, "https") && strcmp(scheme, "http") ? -1 : 0;
}

int sm_get_secret(http_client *h, const sm_config *c, const char *secret_id, int64_t deadline_ms,
                  dstr *out, dstr *err) {
    dstr_clear(out);
    char scheme[8], host[256], hash[SIGV4_HEX_LEN + 1];
    if (!c->region || !*c->region || !secret_id || !*secret_id ||
        endpoint_of(c, scheme, sizeof scheme, host, sizeof host)) {
        dstr_error_line(err, "secret %s: no region, no secret id or a bad endpoint",
                        secret_id ? secret_id : "(none)");
        return -1;
    }
    dstr body = {0};
    dstr_puts(&body, "{\"SecretId\":");
    dstr_json_str(&body, secret_id);
    dstr_putc(&body, '}');
    sigv4_header signed_headers[] = {{"content-type", CONTENT_TYPE}, {"x-amz-target", TARGET}};
    sigv4_request sreq = {.method = "POST",
                          .host = host,
                          .path = "/",
                          .path_mode = SIGV4_PATH_ENCODE_TWICE,
                          .headers = signed_headers,
                          .n_headers = 2,
                          .payload_hash = hash,
                          .region = c->region,
                          .service = "secretsmanager"};
    sigv4_signed sig = {0};
    dstr why = {0};
    http_policy policy = c->policy;
    policy.service = "secretsmanager";
    int rc = -1;
    if (sigv4_sha256_hex(body.ptr, body.len, hash) ||
        sigv4_sign(&sreq, &c->cred, clock_wall_ms() / 1000, &sig, &why)) {
        dstr_error_line(err, "secret %s: cannot sign the request: %s", secret_id,
                        why.len ? why.ptr : "SHA-256 failed");
    } else {
        char url[300];
        snprintf(url, sizeof url, "%s://%s/", scheme, host);
        http_request r;
        http_request_init(&r, "POST", url, &policy);
        http_request_header(&r, "Host", host);
        http_request_header(&r, "Content-Type", CONTENT_TYPE);
        http_request_header(&r, "X-Amz-Target", TARGET);
        http_request_header(&r, "x-amz-date", sig.amz_date);
        if (c->cred.session_token && *c->cred.session_token)
            http_request_header(&r, "x-amz-security-token", c->cred.session_token);
        http_request_header(&r, "Authorization", sig.authorization.ptr);
        dstr_append(&r.body, body.ptr, body.len);
        r.idempotent = 1; /* a read */
        http_request *batch[] = {&r};
        http_run(h, batch, 1, deadline_ms);
        if (r.err != HTTP_OK) {
            dstr_error_line(err, "secret %s: request to %s failed: %s after %d attempt%s",
                            secret_id, host, http_err_name(r.err), r.attempts,
                            r.attempts == 1 ? "" : "s");
        } else if (r.status != 200) {
            char code[SM_CODE_MAX];
            sm_parse_error(r.resp_body.ptr, r.resp_body.len, code);
            dstr_error_line(err, "secret %s: HTTP %ld %s", secret_id, r.status,
                            code[0] ? code : "(no error code)");
        } else if (sm_parse_answer(r.resp_body.ptr, r.resp_body.len, out, &why)) {
            dstr_error_line(err, "secret %s: %s", secret_id, why.ptr);
        } else {
            rc = 0;
        }
        log_rec *lr = log_begin(rc ? LOG_ERROR : LOG_INFO, "secrets.read");
        log_str(lr, "secret_id", secret_id);
        log_int(lr, "status", r.err == HTTP_OK ? r.status : 0);
        log_int(lr, "attempts", r.attempts);
        log_end(lr);
        http_request_free(&r);
    }
    sigv4_signed_free(&sig);
    dstr_free(&why);
    dstr_free(&body);
    return rc;
}

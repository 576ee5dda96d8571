/* fake_secretsmanager: a local AWS Secrets Manager for GetSecretValue that
 * checks the SigV4 signature as the real endpoint does.
 *
 *   fake_secretsmanager [--port N] [--port-file FILE] [--access-key ID]
 *                       [--secret-key KEY] [--secret NAME=FILE]...
 *
 * Serves POST / with X-Amz-Target: secretsmanager.GetSecretValue and
 * {"SecretId": NAME}: the Authorization header is parsed (credential scope,
 * signed headers) and the signature recomputed with sigv4.h from the
 * request as received and --secret-key; a wrong access key id answers 400
 * UnrecognizedClientException, a wrong signature 400
 * InvalidSignatureException, an x-amz-date more than 5 minutes off 400
 * InvalidSignatureException (Signature expired), an unknown secret 400
 * ResourceNotFoundException, in the JSON 1.1 error shape
 * {"__type": "...", "message": "..."}. A known secret answers
 * {"ARN", "Name", "SecretString" (FILE's bytes), "VersionId",
 * "VersionStages": ["AWSCURRENT"], "CreatedDate"}. Faults (AccessDenied,
 * timeouts, 5xx) come from fake_http's /__fake/script; the records of
 * /__fake/requests show what was sent. Runs until SIGTERM (or SIGINT unless
 * that came ignored). See tests/fakes/README.md. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "aws/sigv4.h"
#include "gw_signals.h"
#include "lib/fake_http.h"
#include "platform/clock.h"

#define DEFAULT_ACCESS_KEY "AKIDFAKESECRETS0001"
#define DEFAULT_SECRET_KEY "fake/secretsmanager/secret-key-0001"
#define MAX_SECRETS 8
#define SKEW_S 300

typedef struct sm_fake {
    const char *access_key, *secret_key;
    const char *names[MAX_SECRETS];
    dstr values[MAX_SECRETS];
    size_t n;
} sm_fake;

static void sm_error(fake_reply *out, const char *type, const char *msg) {
    out->status = 400;
    dstr_clear(&out->body);
    dstr_puts(&out->body, "{\"__type\":");
    dstr_json_str(&out->body, type);
    dstr_puts(&out->body, ",\"message\":");
    dstr_json_str(&out->body, msg);
    dstr_putc(&out->body, '}');
}

/* "AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b;c, Signature=HEX": its parts, or -1. */
typedef struct auth_parts {
    char id[128], date[16], region[64], service[64];
    char signed_headers[512], signature[80];
} auth_parts;

static int parse_auth(const char *h, auth_parts *a) {
    if (!h || strncmp(h, "AWS4-HMAC-SHA256 Credential=", 28) != 0) return -1;
    return sscanf(h + 28,
                  "%127[^/]/%15[^/]/%63[^/]/%63[^/]/aws4_request, SignedHeaders=%511[^,], "
                  "Signature=%79s",
                  a->id, a->date, a->region, a->service, a->signed_headers, a->signature) == 6
               ? 0
               : -1;
}

/* x-amz-date "YYYYMMDDTHHMMSSZ" as unix seconds, or -1. */
static int64_t amz_seconds(const char *d) {
    struct tm tm = {0};
    if (!d || sscanf(d, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

/* 0 when the request's signature is the one --secret-key gives. */
static const char *check_signature(const sm_fake *f, const fake_request *req) {
    auth_parts a;
    if (parse_auth(fake_request_header(req, "authorization"), &a)) return "no SigV4 Authorization";
    if (strcmp(a.id, f->access_key) != 0) return "UnrecognizedClientException";
    const char *date = fake_request_header(req, "x-amz-date");
    int64_t at = amz_seconds(date), now = clock_wall_ms() / 1000;
    if (at < 0 || at < now - SKEW_S || at > now + SKEW_S) return "Signature expired";
    if (strcmp(a.service, "secretsmanager") != 0) return "wrong service in the credential scope";
    /* the signed headers as received, except the ones the signer adds itself */
    sigv4_header hs[16];
    size_t n = 0;
    char names[512];
    snprintf(names, sizeof names, "%s", a.signed_headers);
    char *save = NULL;
    for (char *name = strtok_r(names, ";", &save); name && n < 16;
         name = strtok_r(NULL, ";", &save)) {
        if (!strcmp(name, "host") || !strcmp(name, "x-amz-date") ||
            !strcmp(name, "x-amz-security-token"))
            continue;
        const char *v = fake_request_header(req, name);
        if (!v) return "a signed header is missing";
        hs[n++] = (sigv4_header){name, v};
    }
    char hash[SIGV4_HEX_LEN + 1];
    sigv4_sha256_hex(req->body, req->body_len, hash);
    sigv4_request sr = {.method = req->method,
                        .host = fake_request_header(req, "host"),
                        .path = req->path,
                        .path_mode = SIGV4_PATH_ENCODE_TWICE,
                        .headers = hs,
                        .n_headers = n,
                        .payload_hash = hash,
                        .region = a.region,
                        .service = a.service};
    const char *token = fake_request_header(req, "x-amz-security-token");
    sigv4_credentials cred = {f->access_key, f->secret_key, token};
    sigv4_signed sig = {0};
    dstr err = {0};
    const char *why = NULL;
    if (sigv4_sign(&sr, &cred, at, &sig, &err)) why = "the request cannot be signed";
    else {
        const char *mine = strstr(sig.authorization.ptr, "Signature=");
        if (!mine || strcmp(mine + 10, a.signature) != 0) why = "InvalidSignatureException";
    }
    sigv4_signed_free(&sig);
    dstr_free(&err);
    return why;
}

static void on_serve(void *ctx, const fake_request *req, fake_reply *out) {
    sm_fake *f = ctx;
    const char *target = fake_request_header(req, "x-amz-target");
    if (strcmp(req->method, "POST") != 0 || strcmp(req->path, "/") != 0 || !target ||
        strcmp(target, "secretsmanager.GetSecretValue") != 0) {
        sm_error(out, "UnknownOperationException", "only GetSecretValue is served");
        return;
    }
    const char *why = check_signature(f, req);
    if (why) {
        sm_error(out,
                 !strcmp(why, "UnrecognizedClientException") ? why : "InvalidSignatureException",
                 why);
        return;
    }
    cJSON *in = cJSON_ParseWithLength(req->body, req->body_len);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "SecretId"));
    size_t i = 0;
    while (id && i < f->n && strcmp(f->names[i], id) != 0) i++;
    if (!id || i == f->n) {
        sm_error(out, "ResourceNotFoundException",
                 "Secrets Manager can't find the specified secret.");
    } else {
        dstr_puts(&out->body, "{\"ARN\":");
        dstr_printf(&out->body,
                    "\"arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbCdEf\"",
                    f->names[i]);
        dstr_puts(&out->body, ",\"Name\":");
        dstr_json_str(&out->body, f->names[i]);
        dstr_puts(&out->body, ",\"SecretString\":");
        dstr_json_str(&out->body, f->values[i].ptr);
        dstr_puts(&out->body,
                  ",\"VersionId\":\"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1\","
                  "\"VersionStages\":[\"AWSCURRENT\"],\"CreatedDate\":1.523477145713E9}");
    }
    cJSON_Delete(in);
}

static void on_decorate(void *ctx, const fake_request *req, fake_reply *out) {
    (void)ctx, (void)req;
    fake_reply_header(out, "Content-Type", "application/x-amz-json-1.1", 0);
}

static void usage(FILE *to) {
    fprintf(to, "usage: fake_secretsmanager [--port N] [--port-file FILE] [--access-key ID]\n"
                "                           [--secret-key KEY] [--secret NAME=FILE]...\n");
}

int main(int argc, char **argv) {
    sm_fake f = {.access_key = DEFAULT_ACCESS_KEY, .secret_key = DEFAULT_SECRET_KEY};
    long port = 0;
    const char *port_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--port")) port = strtol(v, NULL, 10);
        else if (!strcmp(a, "--port-file")) port_file = v;
        else if (!strcmp(a, "--access-key")) f.access_key = v;
        else if (!strcmp(a, "--secret-key")) f.secret_key = v;
        else if (!strcmp(a, "--secret") && f.n < MAX_SECRETS && strchr(v, '=')) {
            const char *eq = strchr(v, '=');
            char *name = strndup(v, (size_t)(eq - v));
            FILE *in = fopen(eq + 1, "rb");
            if (!name || !in) {
                fprintf(stderr, "fake_secretsmanager: --secret %s: cannot read the file\n", v);
                return 2;
            }
            char buf[4096];
            size_t k;
            while ((k = fread(buf, 1, sizeof buf, in)) > 0) dstr_append(&f.values[f.n], buf, k);
            fclose(in);
            f.names[f.n++] = name;
        } else {
            fprintf(stderr, "fake_secretsmanager: %s: unknown option\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (port < 0 || port > 65535) return 2;
    sigset_t stop_signals;
    gw_block_stop_signals(&stop_signals);
    signal(SIGPIPE, SIG_IGN);
    dstr err = {0};
    int rc = 1;
    fake_http_hooks hooks = {.serve = on_serve, .decorate = on_decorate, .ctx = &f};
    fake_http *srv = fake_http_start((uint16_t)port, &hooks, &err);
    if (!srv) {
        fprintf(stderr, "fake_secretsmanager: %s\n", err.ptr);
        goto out;
    }
    if (port_file && fake_write_port_file("fake_secretsmanager", port_file, fake_http_port(srv)))
        goto out;
    fprintf(stderr, "fake_secretsmanager: listening on http://127.0.0.1:%u (%zu secrets)\n",
            fake_http_port(srv), f.n);
    int sig;
    sigwait(&stop_signals, &sig);
    rc = 0;
out:
    fake_http_stop(srv);
    for (size_t i = 0; i < f.n; i++) {
        free((char *)f.names[i]);
        dstr_free(&f.values[i]);
    }
    dstr_free(&err);
    return rc;
}

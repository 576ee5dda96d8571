/* sigv4: AWS Signature Version 4 (see sigv4.h). The HMAC and SHA-256
 * implementations are fetched from OpenSSL once per process, so a signature
 * costs five HMACs and two digests, not provider lookups. */
#include "aws/sigv4.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SCOPE_END "aws4_request"
#define KEY_LEN 32 /* HMAC-SHA256 output */

/* ---- OpenSSL primitives ------------------------------------------------------ */

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_impl;
static EVP_MD *sha256_impl;

static void fetch_impls(void) {
    hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
    sha256_impl = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static int impls_ready(void) {
    pthread_once(&fetch_once, fetch_impls);
    return hmac_impl && sha256_impl;
}

static void to_hex(const unsigned char *bin, size_t n, char *hex) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[bin[i] >> 4];
        hex[2 * i + 1] = digits[bin[i] & 15];
    }
    hex[2 * n] = '\0';
}

int sigv4_sha256_hex(const void *data, size_t n, char hex[SIGV4_HEX_LEN + 1]) {
    unsigned char md[KEY_LEN];
    unsigned int len = 0;
    hex[0] = '\0';
    if (!impls_ready() || !EVP_Digest(n ? data : "", n, md, &len, sha256_impl, NULL) ||
        len != KEY_LEN)
        return -1;
    to_hex(md, KEY_LEN, hex);
    return 0;
}

/* out = HMAC-SHA256(key, msg); ctx already has its digest set, so a re-init
 * with a new key is cheap (setting the digest each time would fetch it). */
static int hmac(EVP_MAC_CTX *ctx, const unsigned char *key, size_t key_len, const char *msg,
                size_t msg_len, unsigned char out[KEY_LEN]) {
    size_t len = 0;
    return EVP_MAC_init(ctx, key, key_len, NULL) &&
                   EVP_MAC_update(ctx, (const unsigned char *)msg, msg_len) &&
                   EVP_MAC_final(ctx, out, &len, KEY_LEN) && len == KEY_LEN
               ? 0
               : -1;
}

static EVP_MAC_CTX *hmac_sha256_ctx(void) {
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_impl);
    if (ctx && !EVP_MAC_CTX_set_params(ctx, params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/* signature_hex = hex(HMAC(kSigning, sts)), kSigning derived from the secret
 * through date, region, service and "aws4_request". Every key, and the
 * "AWS4"+secret buffer, is wiped before returning. */
static int compute_signature(const char *secret, const char *date8, const char *region,
                             const char *service, const dstr *sts,
                             char signature_hex[SIGV4_HEX_LEN + 1]) {
    EVP_MAC_CTX *ctx = hmac_sha256_ctx();
    if (!ctx) return -1;
    size_t slen = strlen(secret);
    unsigned char *k_secret = malloc(slen + 4);
    if (!k_secret) abort();
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, slen);
    unsigned char k_date[KEY_LEN], k_region[KEY_LEN], k_service[KEY_LEN], k_signing[KEY_LEN],
        sig[KEY_LEN];
    int rc = hmac(ctx, k_secret, slen + 4, date8, strlen(date8), k_date) == 0 &&
                     hmac(ctx, k_date, KEY_LEN, region, strlen(region), k_region) == 0 &&
                     hmac(ctx, k_region, KEY_LEN, service, strlen(service), k_service) == 0 &&
                     hmac(ctx, k_service, KEY_LEN, SCOPE_END, strlen(SCOPE_END), k_signing) == 0 &&
                     hmac(ctx, k_signing, KEY_LEN, sts->ptr, sts->len, sig) == 0
                 ? 0
                 : -1;
    if (rc == 0) to_hex(sig, KEY_LEN, signature_hex);
    OPENSSL_cleanse(k_secret, slen + 4);
    free(k_secret);
    OPENSSL_cleanse(k_date, sizeof k_date);
    OPENSSL_cleanse(k_region, sizeof k_region);
    OPENSSL_cleanse(k_service, sizeof k_service);
    OPENSSL_cleanse(k_signing, sizeof k_signing);
    OPENSSL_cleanse(sig, sizeof sig);
    EVP_MAC_CTX_free(ctx); /* also cleanses the key copy OpenSSL keeps */
    return rc;
}

/* ---- canonical pieces ------------------------------------------------------------ */

static int unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void sigv4_uri_encode(dstr *out, const char *s, size_t n, int keep_slash) {
    static const char digits[] = "0123456789ABCDEF";
    dstr_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            dstr_putc(out, (char)c);
        } else {
            char esc[3] = {'%', digits[c >> 4], digits[c & 15]};
            dstr_append(out, esc, 3);
        }
    }
}

typedef struct kv {
    char *name;   /* encoded param name / lower-cased header name */
    char *value;  /* encoded param value / canonical header value */
    size_t order; /* input position: keeps repeated header names in order */
} kv;

static int cmp_kv(const void *a, const void *b) {
    const kv *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    c = strcmp(x->value, y->value);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Header order: by name, then as given (values of a repeated name are joined
 * in request order, not sorted). */
static int cmp_header(const void *a, const void *b) {
    const kv *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

static void kv_free(kv *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
}

static char *encoded(const char *s) {
    dstr d = {0};
    dstr_puts(&d, "");
    sigv4_uri_encode(&d, s ? s : "", s ? strlen(s) : 0, 0);
    return dstr_take(&d);
}

/* "a=1&b=2": names and values encoded, sorted by name, then value. */
static void canonical_query(const sigv4_param *q, size_t n, dstr *out) {
    kv *v = calloc(n ? n : 1, sizeof *v);
    if (!v) abort();
    for (size_t i = 0; i < n; i++) v[i] = (kv){encoded(q[i].name), encoded(q[i].value), i};
    qsort(v, n, sizeof *v, cmp_kv);
    for (size_t i = 0; i < n; i++) {
        if (i) dstr_putc(out, '&');
        dstr_puts(out, v[i].name);
        dstr_putc(out, '=');
        dstr_puts(out, v[i].value);
    }
    kv_free(v, n);
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Trimmed, with inner runs of white space collapsed to one space. Copies
 * whole runs of ordinary bytes: values such as a 1 KB session token must
 * not cost a call per byte. */
static char *canonical_value(const char *s) {
    dstr d = {0};
    dstr_reserve(&d, strlen(s) + 1);
    dstr_puts(&d, "");
    while (is_space(*s)) s++;
    while (*s) {
        size_t run = strcspn(s, " \t");
        dstr_append(&d, s, run);
        s += run;
        while (is_space(*s)) s++;
        if (*s) dstr_putc(&d, ' ');
    }
    return dstr_take(&d);
}

static char *lowercase(const char *s) {
    char *l = strdup(s);
    if (!l) abort();
    for (char *p = l; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    return l;
}

static int token_valid(const char *s) {
    if (!s || !*s) return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 127 || *s == ':') return 0;
    return 1;
}

/* A header value of one word: printable, no white space (':' allowed). */
static int word_valid(const char *s) {
    if (!s || !*s) return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 127) return 0;
    return 1;
}

static int scope_part_valid(const char *s) {
    return token_valid(s) && !strchr(s, '/') && !strchr(s, ',');
}

/* Names the signer adds itself: the caller passing one would sign it twice. */
static const char *reserved_header(const char *lower, int is_s3, int has_token) {
    if (strcmp(lower, "host") == 0 || strcmp(lower, "x-amz-date") == 0 ||
        strcmp(lower, "authorization") == 0)
        return lower;
    if (is_s3 && strcmp(lower, "x-amz-content-sha256") == 0) return lower;
    if (has_token && strcmp(lower, "x-amz-security-token") == 0) return lower;
    return NULL;
}

/* All headers to sign, sorted; -1 with err on a bad or reserved header. */
static int collect_headers(const sigv4_request *req, const sigv4_credentials *cred,
                           const char *amz_date, kv **out, size_t *count, dstr *err) {
    int is_s3 = strcmp(req->service, "s3") == 0;
    int has_token = cred->session_token && *cred->session_token;
    size_t n = 0, cap = req->n_headers + 4;
    kv *v = calloc(cap, sizeof *v);
    if (!v) abort();
    for (size_t i = 0; i < req->n_headers; i++) {
        const sigv4_header *h = &req->headers[i];
        if (!token_valid(h->name) || !h->value || strpbrk(h->value, "\r\n")) {
            dstr_printf(err, "sigv4: header %zu ('%s') has a bad name or a value with CR/LF", i,
                        h->name ? h->name : "(null)");
            kv_free(v, n);
            return -1;
        }
        char *lower = lowercase(h->name);
        if (reserved_header(lower, is_s3, has_token)) {
            dstr_printf(err, "sigv4: header '%s' is added by the signer; do not pass it", lower);
            free(lower);
            kv_free(v, n);
            return -1;
        }
        v[n] = (kv){lower, canonical_value(h->value), i};
        n++;
    }
    size_t order = req->n_headers;
    v[n++] = (kv){lowercase("host"), canonical_value(req->host), order++};
    v[n++] = (kv){lowercase("x-amz-date"), canonical_value(amz_date), order++};
    if (is_s3)
        v[n++] =
            (kv){lowercase("x-amz-content-sha256"), canonical_value(req->payload_hash), order++};
    if (has_token)
        v[n++] =
            (kv){lowercase("x-amz-security-token"), canonical_value(cred->session_token), order++};
    qsort(v, n, sizeof *v, cmp_header);
    *out = v;
    *count = n;
    return 0;
}

/* "name:v1,v2\n" lines into canonical, "a;b;c" into signed_names. */
static void canonical_headers(const kv *v, size_t n, dstr *canonical, dstr *signed_names) {
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(v[i].name, v[i - 1].name) == 0) {
            canonical->ptr[canonical->len - 1] = ','; /* the value continues the line */
        } else {
            dstr_puts(canonical, v[i].name);
            dstr_putc(canonical, ':');
            if (signed_names->len) dstr_putc(signed_names, ';');
            dstr_puts(signed_names, v[i].name);
        }
        dstr_puts(canonical, v[i].value);
        dstr_putc(canonical, '\n');
    }
}

static void canonical_path(const sigv4_request *req, dstr *url_path, dstr *canonical) {
    size_t n = strlen(req->path);
    switch (req->path_mode) {
    case SIGV4_PATH_ENCODE_ONCE:
        sigv4_uri_encode(url_path, req->path, n, 1);
        dstr_append(canonical, url_path->ptr, url_path->len);
        break;
    case SIGV4_PATH_ENCODE_TWICE:
        sigv4_uri_encode(url_path, req->path, n, 1);
        sigv4_uri_encode(canonical, url_path->ptr, url_path->len, 1);
        break;
    case SIGV4_PATH_AS_IS:
        dstr_puts(url_path, req->path);
        dstr_puts(canonical, req->path);
        break;
    }
}

/* ---- signing --------------------------------------------------------------------- */

static const char *request_problem(const sigv4_request *req, const sigv4_credentials *cred) {
    if (!req || !cred) return "no request or credentials";
    if (!token_valid(req->method)) return "bad or missing method";
    if (!word_valid(req->host)) return "bad or missing host";
    if (!req->path || req->path[0] != '/') return "the path must start with '/'";
    if (req->path_mode != SIGV4_PATH_ENCODE_ONCE && req->path_mode != SIGV4_PATH_ENCODE_TWICE &&
        req->path_mode != SIGV4_PATH_AS_IS)
        return "unknown path mode";
    if (req->path_mode == SIGV4_PATH_AS_IS && strpbrk(req->path, " \t\r\n"))
        return "an encoded path has white space";
    if (!word_valid(req->payload_hash)) return "bad or missing payload hash";
    if (!scope_part_valid(req->region)) return "bad or missing region";
    if (!scope_part_valid(req->service)) return "bad or missing service";
    if (!scope_part_valid(cred->access_key_id)) return "bad or missing access key id";
    if (!cred->secret_access_key || !*cred->secret_access_key) return "missing secret access key";
    if (cred->session_token && strpbrk(cred->session_token, "\r\n"))
        return "session token has CR/LF";
    if (req->n_query && !req->query) return "query count without parameters";
    if (req->n_headers && !req->headers) return "header count without headers";
    for (size_t i = 0; i < req->n_query; i++)
        if (!req->query[i].name) return "a query parameter without a name";
    return NULL;
}

static int format_date(int64_t now, char amz_date[SIGV4_DATE_LEN + 1]) {
    time_t t = (time_t)now;
    struct tm tm;
    if ((int64_t)t != now || !gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1000 ||
        tm.tm_year + 1900 > 9999)
        return -1;
    return strftime(amz_date, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) == SIGV4_DATE_LEN ? 0 : -1;
}

static void signed_clear(sigv4_signed *out) {
    if (out->authorization.ptr) OPENSSL_cleanse(out->authorization.ptr, out->authorization.cap);
    dstr_clear(&out->authorization);
    dstr_clear(&out->path);
    dstr_clear(&out->query);
    dstr_clear(&out->canonical_request);
    dstr_clear(&out->string_to_sign);
    out->amz_date[0] = '\0';
}

int sigv4_sign(const sigv4_request *req, const sigv4_credentials *cred, int64_t now,
               sigv4_signed *out, dstr *err) {
    signed_clear(out);
    const char *problem = request_problem(req, cred);
    if (problem) {
        dstr_printf(err, "sigv4: %s", problem);
        return -1;
    }
    if (format_date(now, out->amz_date) != 0) {
        dstr_printf(err, "sigv4: clock value %lld is outside what a SigV4 date can hold",
                    (long long)now);
        return -1;
    }
    if (!impls_ready()) {
        dstr_printf(err, "sigv4: OpenSSL has no HMAC or SHA256 implementation");
        return -1;
    }
    kv *headers;
    size_t n_headers;
    if (collect_headers(req, cred, out->amz_date, &headers, &n_headers, err) != 0) return -1;

    dstr *cr = &out->canonical_request, names = {0}, canonical_uri = {0};
    canonical_path(req, &out->path, &canonical_uri);
    canonical_query(req->query, req->n_query, &out->query);
    dstr_printf(cr, "%s\n%s\n%s\n", req->method, canonical_uri.ptr, dstr_cstr(&out->query));
    canonical_headers(headers, n_headers, cr, &names);
    dstr_putc(cr, '\n');
    dstr_append(cr, names.ptr, names.len);
    dstr_putc(cr, '\n');
    dstr_puts(cr, req->payload_hash);
    kv_free(headers, n_headers);
    dstr_free(&canonical_uri);

    char date8[9], cr_hash[SIGV4_HEX_LEN + 1], signature[SIGV4_HEX_LEN + 1];
    memcpy(date8, out->amz_date, 8);
    date8[8] = '\0';
    int rc = sigv4_sha256_hex(cr->ptr, cr->len, cr_hash);
    if (rc == 0) {
        dstr_printf(&out->string_to_sign, ALGORITHM "\n%s\n%s/%s/%s/" SCOPE_END "\n%s",
                    out->amz_date, date8, req->region, req->service, cr_hash);
        rc = compute_signature(cred->secret_access_key, date8, req->region, req->service,
                               &out->string_to_sign, signature);
    }
    if (rc == 0) {
        dstr_printf(&out->authorization,
                    ALGORITHM " Credential=%s/%s/%s/%s/" SCOPE_END
                              ", SignedHeaders=%s, Signature=%s",
                    cred->access_key_id, date8, req->region, req->service, names.ptr, signature);
        OPENSSL_cleanse(signature, sizeof signature);
    } else {
        dstr_printf(err, "sigv4: OpenSSL failed to hash or sign");
        signed_clear(out);
    }
    dstr_free(&names);
    return rc;
}

void sigv4_signed_free(sigv4_signed *out) {
    if (!out) return;
    signed_clear(out);
    dstr_free(&out->authorization);
    dstr_free(&out->path);
    dstr_free(&out->query);
    dstr_free(&out->canonical_request);
    dstr_free(&out->string_to_sign);
}

/* s3: PutObject, GetObject and ListObjectsV2 over http.h, signed by sigv4.h
 * (see s3.h). Three parts: a small XML reader for S3's two response shapes,
 * error texts, and the calls. */
#include "aws/s3.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "platform/log.h"
#include "platform/clock.h"

#define XML_DEPTH_MAX 16
#define XML_NAME_MAX 128
#define SERVER_MESSAGE_MAX 200
#define LIST_MAX_KEYS 1000
#define CONFLICT_BACKOFF_MS 100L

/* ---- a small XML reader --------------------------------------------------------
 * Enough for S3's answers: elements, attributes (skipped), character data with
 * the five predefined entities and numeric references, CDATA, comments and the
 * XML declaration. A DOCTYPE is refused (S3 never sends one, and it is the door
 * to entity expansion). Each element's direct text is handed to a callback
 * with its path ("ListBucketResult/Contents/Key") when the element closes. */

typedef void (*xml_text_fn)(void *ctx, const char *path, const char *text, size_t n);

typedef struct xml_reader {
    const char *p, *end;
    dstr path;                       /* "A/B/C" */
    size_t marks[XML_DEPTH_MAX + 1]; /* path length before each open element */
    int depth;
    int seen_root;
    dstr text; /* text since the last tag */
    dstr *err;
} xml_reader;

static int xml_fail(xml_reader *x, const char *what) {
    dstr_printf(x->err, "malformed XML: %s", what);
    return -1;
}

static int starts(const xml_reader *x, const char *s) {
    size_t n = strlen(s);
    return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

/* Moves past the next occurrence of s; -1 if there is none. */
static int skip_past(xml_reader *x, const char *s) {
    size_t n = strlen(s);
    for (const char *q = x->p; (size_t)(x->end - q) >= n; q++)
        if (memcmp(q, s, n) == 0) {
            x->p = q + n;
            return 0;
        }
    return -1;
}

static void put_utf8(dstr *d, unsigned long cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) b[0] = (char)cp, n = 1;
    else if (cp < 0x800) b[0] = (char)(0xc0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xe0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    else
        b[0] = (char)(0xf0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    dstr_append(d, b, n);
}

/* At '&': decodes one reference into x->text. */
static int xml_entity(xml_reader *x) {
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    x->p++;
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (starts(x, named[i].name)) {
            dstr_putc(&x->text, named[i].c);
            x->p += strlen(named[i].name);
            return 0;
        }
    if (x->p >= x->end || *x->p != '#') return xml_fail(x, "unknown entity");
    x->p++;
    int hex = x->p < x->end && *x->p == 'x';
    if (hex) x->p++;
    unsigned long cp = 0;
    int digits = 0;
    for (; x->p < x->end && *x->p != ';'; x->p++, digits++) {
        int c = (unsigned char)*x->p, v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else return xml_fail(x, "bad character reference");
        cp = cp * (hex ? 16 : 10) + (unsigned long)v;
        if (cp > 0x10ffff) return xml_fail(x, "character reference out of range");
    }
    if (x->p >= x->end || digits == 0 || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
        return xml_fail(x, "bad character reference");
    x->p++;
    put_utf8(&x->text, cp);
    return 0;
}

static int name_char(char c) {
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ':' ||
           (unsigned char)c >= 0x80;
}

/* At '<' of a start or end tag. */
static int xml_tag(xml_reader *x, xml_text_fn fn, void *ctx) {
    int closing = x->p + 1 < x->end && x->p[1] == '/';
    x->p += closing ? 2 : 1;
    const char *name = x->p;
    while (x->p < x->end && name_char(*x->p)) x->p++;
    size_t n = (size_t)(x->p - name);
    if (n == 0 || n > XML_NAME_MAX) return xml_fail(x, "bad element name");
    const char *colon = memchr(name, ':', n); /* drop a namespace prefix */
    if (colon) n -= (size_t)(colon + 1 - name), name = colon + 1;
    if (closing) {
        size_t start = x->depth ? x->marks[x->depth - 1] : 0;
        size_t off = start + (x->depth > 1 ? 1 : 0);
        if (x->depth == 0 || x->path.len - off != n || memcmp(x->path.ptr + off, name, n) != 0)
            return xml_fail(x, "mismatched end tag");
        while (x->p < x->end && isspace((unsigned char)*x->p)) x->p++;
        if (x->p >= x->end || *x->p != '>') return xml_fail(x, "unterminated end tag");
        x->p++;
        fn(ctx, x->path.ptr, dstr_cstr(&x->text), x->text.len);
        dstr_clear(&x->text);
        x->path.len = start;
        x->path.ptr[start] = '\0';
        x->depth--;
        return 0;
    }
    if (x->depth == XML_DEPTH_MAX) return xml_fail(x, "nested too deeply");
    if (x->depth == 0 && x->seen_root) return xml_fail(x, "more than one root element");
    /* skip attributes, honouring quotes */
    char quote = 0;
    for (; x->p < x->end; x->p++) {
        if (quote) {
            if (*x->p == quote) quote = 0;
        } else if (*x->p == '"' || *x->p == '\'') {
            quote = *x->p;
        } else if (*x->p == '>' || *x->p == '<') {
            break;
        }
    }
    if (x->p >= x->end || *x->p != '>') return xml_fail(x, "unterminated start tag");
    int empty = x->p[-1] == '/';
    x->p++;
    x->marks[x->depth++] = x->path.len;
    x->seen_root = 1;
    if (x->depth > 1) dstr_putc(&x->path, '/');
    dstr_append(&x->path, name, n);
    dstr_clear(&x->text);
    if (empty) {
        fn(ctx, x->path.ptr, "", 0);
        x->depth--;
        x->path.len = x->marks[x->depth];
        x->path.ptr[x->path.len] = '\0';
    }
    return 0;
}

static int xml_walk(const char *xml, size_t n, xml_text_fn fn, void *ctx, dstr *err) {
    xml_reader x = {.p = xml, .end = xml + n, .err = err};
    dstr_puts(&x.path, "");
    dstr_puts(&x.text, "");
    int rc = 0;
    while (rc == 0 && x.p < x.end) {
        if (*x.p == '<') {
            if (starts(&x, "<?"))
                rc = skip_past(&x, "?>") == 0 ? 0 : xml_fail(&x, "unterminated declaration");
            else if (starts(&x, "<!--"))
                rc = skip_past(&x, "-->") == 0 ? 0 : xml_fail(&x, "unterminated comment");
            else if (starts(&x, "<![CDATA[")) {
                const char *from = x.p + 9;
                if (skip_past(&x, "]]>") != 0) rc = xml_fail(&x, "unterminated CDATA");
                else if (x.depth == 0) rc = xml_fail(&x, "CDATA outside the root");
                else dstr_append(&x.text, from, (size_t)(x.p - 3 - from));
            } else if (starts(&x, "<!")) rc = xml_fail(&x, "DOCTYPE or other declaration refused");
            else rc = xml_tag(&x, fn, ctx);
        } else if (*x.p == '&') {
            rc = x.depth ? xml_entity(&x) : xml_fail(&x, "text outside the root");
        } else {
            if (x.depth == 0 && !isspace((unsigned char)*x.p))
                rc = xml_fail(&x, "text outside the root");
            else if (x.depth) dstr_putc(&x.text, *x.p);
            x.p++;
        }
    }
    if (rc == 0 && (x.depth != 0 || !x.seen_root))
        rc = xml_fail(&x, x.seen_root ? "truncated document" : "no root element");
    dstr_free(&x.path);
    dstr_free(&x.text);
    return rc;
}

/* ---- ListBucketResult -------------------------------------------------------------- */

typedef struct list_ctx {
    s3_list_page *page;
    int root_ok;
    int url_encoded;
    size_t cap;
} list_ctx;

static void page_push(list_ctx *L, const char *key, size_t n) {
    s3_list_page *pg = L->page;
    if (pg->n == L->cap) {
        L->cap = L->cap ? L->cap * 2 : 64;
        char **keys = realloc(pg->keys, L->cap * sizeof *keys);
        if (!keys) abort();
        pg->keys = keys;
    }
    char *k = malloc(n + 1);
    if (!k) abort();
    memcpy(k, key, n);
    k[n] = '\0';
    pg->keys[pg->n++] = k;
}

static void on_list_text(void *ctx, const char *path, const char *text, size_t n) {
    list_ctx *L = ctx;
    if (strcmp(path, "ListBucketResult") == 0) L->root_ok = 1;
    else if (strcmp(path, "ListBucketResult/Contents/Key") == 0) page_push(L, text, n);
    else if (strcmp(path, "ListBucketResult/IsTruncated") == 0)
        L->page->truncated = strcmp(text, "true") == 0;
    else if (strcmp(path, "ListBucketResult/EncodingType") == 0)
        L->url_encoded = strcmp(text, "url") == 0;
    else if (strcmp(path, "ListBucketResult/NextContinuationToken") == 0 && n > 0) {
        free(L->page->next_token);
        L->page->next_token = strndup(text, n);
        if (!L->page->next_token) abort();
    }
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* encoding-type=url: %XX is a byte, '+' a space (AWS spells space '+'). In place. */
static int url_decode(char *s) {
    char *out = s;
    for (const char *p = s; *p; p++) {
        if (*p == '+') {
            *out++ = ' ';
        } else if (*p == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0 || (hi == 0 && lo == 0)) return -1;
            *out++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return 0;
}

void s3_list_page_free(s3_list_page *page) {
    if (!page) return;
    for (size_t i = 0; i < page->n; i++) free(page->keys[i]);
    free(page->keys);
    free(page->next_token);
    *page = (s3_list_page){0};
}

int s3_parse_list(const char *xml, size_t n, s3_list_page *page, dstr *err) {
    s3_list_page_free(page);
    list_ctx L = {.page = page};
    if (xml_walk(xml, n, on_list_text, &L, err) != 0) {
        s3_list_page_free(page);
        return -1;
    }
    if (!L.root_ok) {
        dstr_printf(err, "not a ListBucketResult");
        s3_list_page_free(page);
        return -1;
    }
    for (size_t i = 0; L.url_encoded && i < page->n; i++)
        if (url_decode(page->keys[i]) != 0) {
            dstr_printf(err, "bad %%-encoding in listed key %zu", i);
            s3_list_page_free(page);
            return -1;
        }
    for (size_t i = 0; i < page->n; i++)
        if (strlen(page->keys[i]) == 0) {
            dstr_printf(err, "empty or NUL-bearing key in listing");
            s3_list_page_free(page);
            return -1;
        }
    return 0;
}

/* ---- errors ------------------------------------------------------------------------ */

typedef struct error_ctx {
    char *code;
    dstr *message;
} error_ctx;

static void on_error_text(void *ctx, const char *path, const char *text, size_t n) {
    error_ctx *E = ctx;
    if (strcmp(path, "Error/Code") == 0 && n < S3_CODE_MAX) {
        memcpy(E->code, text, n);
        E->code[n] = '\0';
    } else if (strcmp(path, "Error/Message") == 0) {
        dstr_clear(E->message);
        dstr_append(E->message, text, n);
    }
}

void s3_parse_error(const char *xml, size_t n, char code[S3_CODE_MAX], dstr *message) {
    code[0] = '\0';
    dstr_clear(message);
    dstr err = {0};
    error_ctx E = {code, message};
    if (n == 0 || xml_walk(xml, n, on_error_text, &E, &err) != 0) {
        code[0] = '\0';
        dstr_clear(message);
    }
    for (char *c = code; *c; c++) /* a code is a word; anything else is noise */
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_') {
            code[0] = '\0';
            break;
        }
    dstr_free(&err);
}

static const struct {
    const char *code;
    const char *meaning;
} error_hints[] = {
    {"NoSuchKey", "no such key"},
    {"NoSuchBucket",
     "the bucket does not exist: check the bucket in JOURNAL_URL, AWS_REGION and the endpoint"},
    {"AccessDenied",
     "access denied: the credentials lack permission (IAM: s3:GetObject, s3:PutObject, "
     "s3:ListBucket "
     "on the bucket and prefix); without s3:ListBucket a missing key answers AccessDenied too"},
    {"SignatureDoesNotMatch",
     "the server computed a different request signature: check AWS_SECRET_ACCESS_KEY"},
    {"InvalidAccessKeyId", "the server does not know this access key id: check AWS_ACCESS_KEY_ID"},
    {"RequestTimeTooSkewed",
     "the machine's clock is off by more than 15 minutes from the server's: fix the clock "
     "(NTP), requests are signed with the local time"},
    {"PreconditionFailed", "the key already exists (If-None-Match: *)"},
    {"ExpiredToken",
     "the session token has expired: check AWS_SESSION_TOKEN (temporary credentials must be "
     "refreshed)"},
    {"InvalidToken", "the session token is malformed or invalid: check AWS_SESSION_TOKEN"},
    {"TokenRefreshRequired", "the session token must be refreshed: check AWS_SESSION_TOKEN"},
    {"AuthorizationHeaderMalformed", "the request was signed for another region: check AWS_REGION"},
    {"PermanentRedirect", "the bucket lives in another region or endpoint: check AWS_REGION"},
    {"XAmzContentSHA256Mismatch",
     "the body arrived different from its SHA-256 (corrupted on the way)"},
    {"ConditionalRequestConflict",
     "a concurrent conditional write to the same key conflicted, retries ran out"},
    {"SlowDown", "the server asked to slow down (503) and retries ran out"},
    {"InternalError", "the server failed (500) and retries ran out"},
    {"ServiceUnavailable", "the server is unavailable (503) and retries ran out"},
};

void s3_describe_error(dstr *out, long http_status, const char *code, const char *server_message) {
    const char *hint = NULL;
    for (size_t i = 0; code && *code && i < sizeof error_hints / sizeof *error_hints; i++)
        if (strcmp(code, error_hints[i].code) == 0) hint = error_hints[i].meaning;
    if (code && *code) dstr_printf(out, "%s (HTTP %ld): ", code, http_status);
    else dstr_printf(out, "HTTP %ld without an S3 error code: ", http_status);
    if (hint) dstr_puts(out, hint);
    else if (server_message && *server_message) dstr_puts(out, server_message);
    else dstr_puts(out, http_status >= 500 ? "server error, retries ran out" : "request refused");
}

/* ---- the client --------------------------------------------------------------------- */

struct s3_client {
    http_client *http;
    http_policy policy;
    char *bucket, *region;
    char *scheme, *host; /* URL scheme and authority; host is also the signed Host */
    char *base;          /* raw path before "/{key}": "" (virtual-hosted) or "[/base]/{bucket}" */
    char *access_key, *secret, *token;
    int64_t clock_offset_s;
};

static void free_secret(char *s) {
    if (!s) return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void s3_client_free(s3_client *c) {
    if (!c) return;
    http_client_free(c->http);
    free(c->bucket);
    free(c->region);
    free(c->scheme);
    free(c->host);
    free(c->base);
    free(c->access_key);
    free_secret(c->secret);
    free_secret(c->token);
    free(c);
}

static int path_char(char c) {
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

/* "http[s]://authority[/base]" into scheme, host and base (no trailing '/'). */
static int parse_endpoint(s3_client *c, const char *ep, dstr *err) {
    const char *sep = strstr(ep, "://");
    size_t slen = sep ? (size_t)(sep - ep) : 0;
    if (!sep || !((slen == 4 && strncasecmp(ep, "http", 4) == 0) ||
                  (slen == 5 && strncasecmp(ep, "https", 5) == 0))) {
        dstr_printf(err, "S3 endpoint '%s' must start with http:// or https://", ep);
        return -1;
    }
    const char *auth = sep + 3, *slash = strchr(auth, '/');
    size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);
    const char *base = slash ? slash : "";
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/') blen--;
    int ok = alen > 0;
    for (size_t i = 0; ok && i < alen; i++)
        ok = isalnum((unsigned char)auth[i]) || strchr("-._:[]", auth[i]) != NULL;
    for (size_t i = 0; ok && i < blen; i++)
        ok = path_char(base[i]) && !(base[i] == '/' && i + 1 < blen && base[i + 1] == '/');
    if (!ok) {
        dstr_printf(err,
                    "S3 endpoint '%s' is not of the form http[s]://host[:port][/path] (no user, "
                    "query or fragment)",
                    ep);
        return -1;
    }
    c->scheme = strndup(ep, slen);
    c->host = strndup(auth, alen);
    if (!c->scheme || !c->host) abort();
    for (char *p = c->scheme; *p; p++) *p = (char)tolower((unsigned char)*p);
    dstr b = {0};
    dstr_append(&b, base, blen);
    dstr_printf(&b, "/%s", c->bucket);
    c->base = dstr_take(&b);
    return 0;
}

static int config_problem(const s3_config *cfg, dstr *err) {
    const char *missing = !cfg                                                    ? "configuration"
                          : !cfg->bucket || !*cfg->bucket                         ? "bucket"
                          : !cfg->region || !*cfg->region                         ? "region"
                          : !cfg->cred.access_key_id || !*cfg->cred.access_key_id ? "access key id"
                          : !cfg->cred.secret_access_key || !*cfg->cred.secret_access_key
                              ? "secret access key"
                              : NULL;
    if (missing) {
        dstr_printf(err, "S3 client: no %s", missing);
        return -1;
    }
    for (const char *p = cfg->bucket; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '-')) {
            dstr_printf(err, "S3 client: bucket '%s' has characters outside a-z 0-9 . -",
                        cfg->bucket);
            return -1;
        }
    for (const char *p = cfg->region; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-')) {
            dstr_printf(err, "S3 client: region '%s' is not a region name", cfg->region);
            return -1;
        }
    return 0;
}

s3_client *s3_client_new(const s3_config *cfg, dstr *err) {
    if (config_problem(cfg, err) != 0) return NULL;
    s3_client *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->bucket = xstrdup(cfg->bucket);
    c->region = xstrdup(cfg->region);
    c->access_key = xstrdup(cfg->cred.access_key_id);
    c->secret = xstrdup(cfg->cred.secret_access_key);
    c->token = cfg->cred.session_token && *cfg->cred.session_token
                   ? xstrdup(cfg->cred.session_token)
                   : NULL;
    c->policy = cfg->policy;
    c->policy.service = "s3";
    c->clock_offset_s = cfg->clock_offset_s;
    if (cfg->endpoint && *cfg->endpoint) {
        if (parse_endpoint(c, cfg->endpoint, err) != 0) {
            s3_client_free(c);
            return NULL;
        }
    } else {
        dstr host = {0};
        c->scheme = xstrdup("https");
        if (strchr(c->bucket, '.')) { /* *.s3.region.amazonaws.com does not cover "a.b." */
            dstr_printf(&host, "s3.%s.amazonaws.com", c->region);
            dstr base = {0};
            dstr_printf(&base, "/%s", c->bucket);
            c->base = dstr_take(&base);
        } else {
            dstr_printf(&host, "%s.s3.%s.amazonaws.com", c->bucket, c->region);
            c->base = xstrdup("");
        }
        c->host = dstr_take(&host);
    }
    c->http = http_client_new(&cfg->tls);
    if (!c->http) {
        dstr_printf(err, "S3 client: libcurl failed to initialise");
        s3_client_free(c);
        return NULL;
    }
    return c;
}

static void result_reset(s3_result *res) {
    res->status = S3_OK;
    res->http_status = 0;
    res->attempts = 0;
    res->timed_out = 0;
    res->code[0] = '\0';
}

/* Appends the failure's text as one line of err (NULL: nowhere). */
static void add_line(dstr *err, const dstr *msg) {
    if (msg->len) dstr_error_line(err, "%s", msg->ptr);
}

/* One signed request. */
typedef struct call {
    const char *op; /* "put", "get", "list": for logs */
    const char *method;
    const char *key; /* NULL: the bucket itself */
    const sigv4_param *query;
    size_t n_query;
    const sigv4_header *headers; /* extra, signed and sent */
    size_t n_headers;
    const void *body;
    size_t body_len;
} call;

/* Room for every attempt and every backoff the policy allows. */
static int64_t call_budget_ms(const http_policy *p) {
    int retries = p->retries < 0 ? 0 : p->retries > 10 ? 10 : p->retries;
    int64_t timeout = p->timeout_ms > 0 ? p->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
    int64_t backoff = p->backoff_ms > 0 ? p->backoff_ms : 0;
    return timeout * (retries + 1) + backoff * ((1 << retries) - 1) + 1000;
}

/* The server's own message, kept only if free of anything this client holds
 * secret or just signed with (checked on the whole text, before it is cut
 * short), then printable and short. */
static void safe_server_message(const s3_client *c, const char *signature, dstr *msg) {
    if (msg->len == 0) return;
    if (strstr(msg->ptr, c->secret) || (c->token && strstr(msg->ptr, c->token)) ||
        (signature && *signature && strstr(msg->ptr, signature))) {
        dstr_clear(msg);
        return;
    }
    if (msg->len > SERVER_MESSAGE_MAX) {
        msg->len = SERVER_MESSAGE_MAX;
        msg->ptr[msg->len] = '\0';
    }
    for (size_t i = 0; i < msg->len; i++)
        if ((unsigned char)msg->ptr[i] < 0x20 || (unsigned char)msg->ptr[i] >= 0x7f)
            msg->ptr[i] = '?';
}

static void log_failure(const s3_client *c, const call *k, const s3_result *res) {
    log_rec *r = log_begin(LOG_WARN, "s3.error");
    log_str(r, "op", k->op);
    log_str(r, "bucket", c->bucket);
    if (k->key) log_str(r, "key", k->key);
    log_int(r, "status", res->http_status);
    if (res->code[0]) log_str(r, "code", res->code);
    log_int(r, "attempts", res->attempts);
    log_end(r);
}

/* The raw (unencoded) path of key; NULL: the bucket. */
static void raw_path(const s3_client *c, const char *key, dstr *path) {
    dstr_puts(path, c->base);
    if (key) dstr_printf(path, "/%s", key);
    else if (path->len == 0) dstr_putc(path, '/');
}

void s3_object_url(const s3_client *c, const char *key, dstr *out) {
    dstr path = {0};
    raw_path(c, key, &path);
    dstr_printf(out, "%s://%s", c->scheme, c->host);
    sigv4_uri_encode(out, path.ptr, path.len, 1);
    dstr_free(&path);
}

/* The moment a call must be over: the caller's deadline, or (none given) the
 * room the policy needs, whichever comes first. */
static int64_t call_deadline(const s3_client *c, int64_t deadline_ms) {
    int64_t budget = clock_wall_ms() + call_budget_ms(&c->policy);
    return deadline_ms > 0 && deadline_ms < budget ? deadline_ms : budget;
}

/* One signed request on its way: r and the signature (kept to scrub the
 * server's message of it) live until release(). */
typedef struct prepared {
    http_request r;
    sigv4_signed sig;
    int ready; /* 0: it could not be signed (res and msg say why) */
} prepared;

/* Signs k into p; res is reset and msg (replaced) says why when not ready. */
static void prepare(s3_client *c, const call *k, prepared *p, s3_result *res, dstr *msg) {
    result_reset(res);
    dstr_clear(msg);
    memset(p, 0, sizeof *p);
    char hash[SIGV4_HEX_LEN + 1];
    dstr path = {0}, url = {0}, err = {0};
    raw_path(c, k->key, &path);
    sigv4_request sreq = {.method = k->method,
                          .host = c->host,
                          .path = path.ptr,
                          .path_mode = SIGV4_PATH_ENCODE_ONCE,
                          .query = k->query,
                          .n_query = k->n_query,
                          .headers = k->headers,
                          .n_headers = k->n_headers,
                          .payload_hash = hash,
                          .region = c->region,
                          .service = "s3"};
    sigv4_credentials cred = {c->access_key, c->secret, c->token};
    if (sigv4_sha256_hex(k->body, k->body_len, hash) != 0 ||
        sigv4_sign(&sreq, &cred, clock_wall_ms() / 1000 + c->clock_offset_s, &p->sig, &err) != 0) {
        res->status = S3_FAILED;
        dstr_printf(msg, "cannot sign the request: %s", err.len ? err.ptr : "SHA-256 failed");
    } else {
        dstr_printf(&url, "%s://%s%s%s%s", c->scheme, c->host, p->sig.path.ptr,
                    p->sig.query.len ? "?" : "", dstr_cstr(&p->sig.query));
        http_request *r = &p->r;
        http_request_init(r, k->method, url.ptr, &c->policy);
        http_request_header(r, "Host", c->host);
        http_request_header(r, "x-amz-date", p->sig.amz_date);
        http_request_header(r, "x-amz-content-sha256", hash);
        if (c->token) http_request_header(r, "x-amz-security-token", c->token);
        for (size_t i = 0; i < k->n_headers; i++)
            http_request_header(r, k->headers[i].name, k->headers[i].value);
        http_request_header(r, "Authorization", p->sig.authorization.ptr);
        if (k->body_len) dstr_append(&r->body, k->body, k->body_len);
        r->idempotent = 1; /* GET by nature; PUT because it sends the same bytes again */
        p->ready = 1;
    }
    dstr_free(&path);
    dstr_free(&url);
    dstr_free(&err);
}

/* Reads a sent request's outcome into res (S3_OK for 2xx, S3_FAILED
 * otherwise: the caller refines) and msg (replaced) the text of a failure. */
static void conclude(const s3_client *c, prepared *p, s3_result *res, dstr *msg) {
    if (!p->ready) return;
    http_request *r = &p->r;
    dstr_clear(msg);
    res->attempts = r->attempts;
    res->http_status = r->err == HTTP_OK ? r->status : 0;
    if (r->err != HTTP_OK) {
        res->status = S3_FAILED;
        res->timed_out = r->err == HTTP_ERR_TIMEOUT || r->err == HTTP_ERR_DEADLINE;
        dstr_printf(msg, "request to %s failed: %s (%s) after %d attempt%s", c->host,
                    http_err_name(r->err), r->errmsg, r->attempts, r->attempts == 1 ? "" : "s");
    } else if (r->status < 200 || r->status > 299) {
        dstr server = {0};
        const char *signature = strstr(p->sig.authorization.ptr, "Signature=");
        res->status = S3_FAILED;
        s3_parse_error(r->resp_body.ptr, r->resp_body.len, res->code, &server);
        safe_server_message(c, signature ? signature + 10 : NULL, &server);
        s3_describe_error(msg, r->status, res->code, dstr_cstr(&server));
        dstr_free(&server);
    }
}

static void release(prepared *p) {
    if (p->ready) http_request_free(&p->r);
    sigv4_signed_free(&p->sig);
    p->ready = 0;
}

/* Sends k by deadline_ms (0: the policy's own room); p holds the answer
 * until release(). */
static void run_call(s3_client *c, const call *k, prepared *p, int64_t deadline_ms, s3_result *res,
                     dstr *msg) {
    prepare(c, k, p, res, msg);
    if (!p->ready) return;
    http_request *batch[] = {&p->r};
    http_run(c->http, batch, 1, call_deadline(c, deadline_ms));
    conclude(c, p, res, msg);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static const char *content_type(const char *key) {
    return ends_with(key, ".json") ? "application/json" : "application/octet-stream";
}

static call put_call(const s3_put *it, sigv4_header headers[2]) {
    headers[0] = (sigv4_header){"Content-Type", content_type(it->key)};
    headers[1] = (sigv4_header){"If-None-Match", "*"};
    return (call){.op = it->if_none_match ? "put_new" : "put",
                  .method = "PUT",
                  .key = it->key,
                  .headers = headers,
                  .n_headers = it->if_none_match ? 2 : 1,
                  .body = it->data,
                  .body_len = it->n};
}

size_t s3_put_objects(s3_client *c, s3_put *items, size_t n, int64_t deadline_ms) {
    if (!n) return 0;
    int64_t until = call_deadline(c, deadline_ms);
    prepared *p = calloc(n, sizeof *p);
    http_request **batch = calloc(n, sizeof *batch);
    int *attempts = calloc(n, sizeof *attempts), *pending = calloc(n, sizeof *pending);
    dstr *msg = calloc(n, sizeof *msg); /* of each item's last round only */
    if (!p || !batch || !attempts || !pending || !msg) abort();
    for (size_t i = 0; i < n; i++) pending[i] = 1;
    /* S3 may answer a conditional write racing another with 409
     * ConditionalRequestConflict, meaning "not written, try again": those
     * items go again, in one batch per round, while the deadline allows */
    for (int round = 0;; round++) {
        size_t nb = 0;
        for (size_t i = 0; i < n; i++) {
            if (!pending[i]) continue;
            sigv4_header headers[2];
            call k = put_call(&items[i], headers);
            prepare(c, &k, &p[i], &items[i].res, &msg[i]);
            if (p[i].ready) batch[nb++] = &p[i].r;
        }
        if (nb) http_run(c->http, batch, nb, until);
        int again = 0;
        for (size_t i = 0; i < n; i++) {
            if (!pending[i]) continue;
            s3_result *res = &items[i].res;
            conclude(c, &p[i], res, &msg[i]);
            release(&p[i]);
            attempts[i] += res->attempts;
            pending[i] =
                res->http_status == 409 && strcmp(res->code, "ConditionalRequestConflict") == 0;
            again |= pending[i];
        }
        long wait = CONFLICT_BACKOFF_MS << (round < 6 ? round : 6);
        if (!again || round >= c->policy.retries ||
            clock_wall_ms() + wait + HTTP_MIN_ATTEMPT_MS >= until)
            break;
        sleep_ms(wait);
    }
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        s3_result *res = &items[i].res;
        sigv4_header headers[2];
        call k = put_call(&items[i], headers);
        res->attempts = attempts[i];
        if (res->status != S3_OK && res->http_status == 412) {
            res->status = S3_PRECONDITION_FAILED;
            if (!res->code[0]) snprintf(res->code, sizeof res->code, "PreconditionFailed");
        }
        if (res->status == S3_FAILED) log_failure(c, &k, res);
        add_line(&items[i].err, &msg[i]);
        ok += res->status == S3_OK;
        dstr_free(&msg[i]);
    }
    free(p);
    free(batch);
    free(attempts);
    free(pending);
    free(msg);
    return ok;
}

s3_status s3_put_object(s3_client *c, const char *key, const void *data, size_t n,
                        int if_none_match, int64_t deadline_ms, s3_result *res, dstr *err) {
    s3_put it = {.key = key, .data = data, .n = n, .if_none_match = if_none_match};
    s3_put_objects(c, &it, 1, deadline_ms);
    *res = it.res;
    if (it.err.len) dstr_error_line(err, "%s", it.err.ptr);
    dstr_free(&it.err);
    return res->status;
}

s3_status s3_get_object(s3_client *c, const char *key, int64_t deadline_ms, dstr *out,
                        s3_result *res, dstr *err) {
    call k = {.op = "get", .method = "GET", .key = key};
    prepared p;
    http_request *r = &p.r;
    dstr msg = {0};
    run_call(c, &k, &p, deadline_ms, res, &msg);
    dstr_clear(out);
    if (res->status == S3_OK) {
        dstr_free(out);
        *out = r->resp_body; /* hand the buffer over instead of copying it */
        r->resp_body = (dstr){0};
        if (!out->ptr) dstr_puts(out, "");
    } else if (res->http_status == 404 && strcmp(res->code, "NoSuchKey") == 0) {
        res->status = S3_NOT_FOUND;
    }
    release(&p);
    if (res->status == S3_FAILED) log_failure(c, &k, res);
    add_line(err, &msg);
    dstr_free(&msg);
    return res->status;
}

s3_status s3_list_objects(s3_client *c, const s3_list_request *req, int64_t deadline_ms,
                          s3_list_page *page, s3_result *res, dstr *err) {
    s3_list_page_free(page);
    char max[24];
    size_t max_keys = req->max_keys < 1               ? 1
                      : req->max_keys > LIST_MAX_KEYS ? LIST_MAX_KEYS
                                                      : req->max_keys;
    snprintf(max, sizeof max, "%zu", max_keys);
    sigv4_param q[6];
    size_t nq = 0;
    q[nq++] = (sigv4_param){"list-type", "2"};
    q[nq++] = (sigv4_param){"encoding-type", "url"};
    q[nq++] = (sigv4_param){"max-keys", max};
    if (req->prefix && *req->prefix) q[nq++] = (sigv4_param){"prefix", req->prefix};
    if (req->continuation_token)
        q[nq++] = (sigv4_param){"continuation-token", req->continuation_token};
    else if (req->start_after && *req->start_after)
        q[nq++] = (sigv4_param){"start-after", req->start_after};
    call k = {.op = "list", .method = "GET", .key = NULL, .query = q, .n_query = nq};
    prepared p;
    http_request *r = &p.r;
    dstr msg = {0};
    run_call(c, &k, &p, deadline_ms, res, &msg);
    if (res->status == S3_OK) {
        dstr why = {0};
        if (s3_parse_list(dstr_cstr(&r->resp_body), r->resp_body.len, page, &why) != 0) {
            res->status = S3_FAILED;
            dstr_printf(&msg, "unreadable ListObjectsV2 answer from %s: %s", c->host, why.ptr);
        }
        dstr_free(&why);
    }
    release(&p);
    if (res->status == S3_FAILED) log_failure(c, &k, res);
    add_line(err, &msg);
    dstr_free(&msg);
    return res->status;
}

/* gw_head: request heads and chunked bodies, read as RFC 9112 says. */
#include "gw_head.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char msg_line[] = "malformed request line (want METHOD SP target SP HTTP/1.1)";
static const char msg_chunk[] = "malformed chunked body";

static int is_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* what a field value (or chunk extension) may hold: visible bytes, obs-text
 * and the SP/HTAB between them; never a control byte, NUL or bare CR */
static int is_value_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static long refuse(gw_refusal *why, unsigned status, const char *code, const char *message) {
    why->status = status;
    why->code = code;
    why->message = message;
    return -1;
}

static long bad(gw_refusal *why, const char *message) {
    return refuse(why, 400, "bad_request", message);
}

static long too_large(gw_refusal *why) { return refuse(why, 413, NULL, "body over the limit"); }

static int name_is(const char *p, size_t n, const char *name) {
    return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

typedef struct span {
    size_t name, name_end, value, value_end; /* offsets from the request line */
} span;

/* What the header lines say about the request's framing and connection. */
typedef struct facts {
    unsigned hosts, lengths, codings, chunked_last, chunked_count;
    uint64_t length;
    int length_bad, length_over, length_conflict;
    int close, keep_alive, expect_continue;
} facts;

/* Calls fn for each comma-separated element of v[0..n), OWS trimmed. */
static void each_token(const char *v, size_t n, facts *f,
                       void (*fn)(facts *f, const char *t, size_t tn)) {
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && v[j] != ',') j++;
        size_t a = i, b = j;
        while (a < b && (v[a] == ' ' || v[a] == '\t')) a++;
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t')) b--;
        if (b > a) fn(f, v + a, b - a);
        i = j + 1;
    }
}

static void coding(facts *f, const char *t, size_t n) {
    f->codings++;
    f->chunked_last = name_is(t, n, "chunked");
    f->chunked_count += (unsigned)f->chunked_last;
}

static void connection_option(facts *f, const char *t, size_t n) {
    if (name_is(t, n, "close")) f->close = 1;
    if (name_is(t, n, "keep-alive")) f->keep_alive = 1;
}

static void note_header(facts *f, const char *name, size_t nn, const char *v, size_t vn) {
    if (name_is(name, nn, "host")) {
        f->hosts++;
    } else if (name_is(name, nn, "content-length")) {
        uint64_t x = 0;
        int over = 0;
        for (size_t i = 0; i < vn; i++) {
            if (v[i] < '0' || v[i] > '9') f->length_bad = 1;
            else if (x > (UINT64_MAX - 9) / 10) over = 1;
            else x = x * 10 + (uint64_t)(v[i] - '0');
        }
        if (vn == 0) f->length_bad = 1;
        if (over) f->length_over = 1;
        else if (f->lengths && x != f->length) f->length_conflict = 1;
        f->length = x;
        f->lengths++;
    } else if (name_is(name, nn, "transfer-encoding")) {
        each_token(v, vn, f, coding);
    } else if (name_is(name, nn, "connection")) {
        each_token(v, vn, f, connection_option);
    } else if (name_is(name, nn, "expect")) {
        if (name_is(v, vn, "100-continue")) f->expect_continue = 1;
    }
}

/* The checks that need the whole head: Host, framing (RFC 9112 3.2, 6). */
static long check_facts(const facts *f, int minor, uint64_t max_body, gw_refusal *why) {
    if (minor >= 1 && f->hosts == 0) return bad(why, "HTTP/1.1 request without a Host header");
    if (f->hosts > 1) return bad(why, "more than one Host header");
    if (f->codings) {
        if (minor == 0) return bad(why, "Transfer-Encoding on an HTTP/1.0 request");
        if (f->lengths) return bad(why, "both Transfer-Encoding and Content-Length");
        if (!f->chunked_last || f->chunked_count > 1)
            return bad(why, "Transfer-Encoding does not end in a single chunked");
        if (f->codings > 1)
            return refuse(why, 501, "not_implemented",
                          "transfer codings other than chunked are not supported");
        return 0;
    }
    if (f->length_bad) return bad(why, "Content-Length is not a number");
    if (f->length_over) return too_large(why);
    if (f->length_conflict) return bad(why, "conflicting Content-Length headers");
    if (f->length > max_body) return too_large(why);
    return 0;
}

/* Copies the head into h->mem and points the strings there, each ended by
 * a NUL written over the separator after it. */
static void build(const char *s, size_t head_len, size_t method_end, size_t target_end,
                  size_t version_end, const span *sp, size_t n, gw_head *h) {
    h->mem = malloc(head_len + 1);
    h->headers = calloc(n ? n : 1, sizeof *h->headers);
    if (!h->mem || !h->headers) abort();
    memcpy(h->mem, s, head_len);
    h->mem[head_len] = '\0';
    h->mem[method_end] = h->mem[target_end] = h->mem[version_end] = '\0';
    h->method = h->mem;
    h->target = h->mem + method_end + 1;
    h->version = h->mem + target_end + 1;
    for (size_t i = 0; i < n; i++) {
        h->mem[sp[i].name_end] = h->mem[sp[i].value_end] = '\0';
        h->headers[i] = (gw_header){h->mem + sp[i].name, h->mem + sp[i].value};
    }
    h->n_headers = n;
}

long gw_head_scan(const char *buf, size_t len, uint64_t max_body, gw_head *h, gw_refusal *why) {
    memset(h, 0, sizeof *h);
    memset(why, 0, sizeof *why);
    size_t start = 0; /* RFC 9112 2.2: empty lines before the request line are ignored */
    while (start < len && (buf[start] == '\n' ||
                           (buf[start] == '\r' && start + 1 < len && buf[start + 1] == '\n')))
        start += buf[start] == '\n' ? 1u : 2u;
    if (start + 1 == len && buf[start] == '\r') return 0; /* maybe one more empty line */
    if (start > GW_HEAD_MAX) return bad(why, "too many empty lines before the request line");
    const char *s = buf + start;
    size_t n = len - start;
    size_t m = 0; /* the method, checked as it arrives: no token, no HTTP */
    while (m < n && s[m] != ' ')
        if (!is_tchar((unsigned char)s[m++])) return bad(why, msg_line);
    const char *nl = memchr(s, '\n', n);
    if (!nl && n > GW_HEAD_MAX)
        return refuse(why, 414, "uri_too_long",
                      "request line over 10240 bytes (API Gateway's limit)");
    if (!nl) return 0;
    size_t eol = (size_t)(nl - s);
    if (eol + 1 > GW_HEAD_MAX)
        return refuse(why, 414, "uri_too_long",
                      "request line over 10240 bytes (API Gateway's limit)");
    size_t le = eol && s[eol - 1] == '\r' ? eol - 1 : eol;
    if (m == 0 || m >= le) return bad(why, msg_line);
    size_t t = m + 1, te = t;
    while (te < le && s[te] != ' ') {
        unsigned char c = (unsigned char)s[te++];
        if (c < 0x21 || c == 0x7f) return bad(why, "control character in the request target");
    }
    if (te == t || te >= le) return bad(why, msg_line);
    why->method_off = start;
    why->method_len = m;
    why->target_off = start + t;
    why->target_len = te - t;
    const char *v = s + te + 1;
    if (le - te - 1 != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
        v[7] < '0' || v[7] > '9')
        return bad(why, msg_line);
    if (v[5] != '1')
        return refuse(why, 505, "http_version_not_supported",
                      "only HTTP/1.0 and HTTP/1.1 are supported");
    int minor = v[7] - '0';

    span *sp = NULL;
    size_t nsp = 0;
    facts f = {0};
    enum { MORE, WHOLE, REFUSED } got = MORE;
    size_t p = eol + 1; /* from s */
    for (;;) {
        const char *q = s + p;
        const char *e = memchr(q, '\n', n - p);
        if (!e || (size_t)(e - s) + 1 > GW_HEAD_MAX) {
            if (e || n > GW_HEAD_MAX) {
                refuse(why, 431, "headers_too_large",
                       "request line and headers over 10240 bytes (API Gateway's limit)");
                got = REFUSED;
            }
            break;
        }
        size_t ll = (size_t)(e - q);
        if (ll && q[ll - 1] == '\r') ll--;
        p = (size_t)(e - s) + 1;
        if (ll == 0) {
            got = WHOLE;
            break;
        }
        got = REFUSED;
        if (q[0] == ' ' || q[0] == '\t') { /* obs-fold: RFC 9112 5.2 lets a server refuse it */
            bad(why, "folded or whitespace-led header line");
            break;
        }
        size_t c = 0;
        while (c < ll && q[c] != ':' && is_tchar((unsigned char)q[c])) c++;
        if (c == 0 || c == ll || q[c] != ':') {
            bad(why, c < ll ? "header name is not a token (whitespace before the colon?)"
                            : "header line without a colon");
            break;
        }
        size_t vs = c + 1, ve = ll;
        while (vs < ll && is_value_char((unsigned char)q[vs])) vs++;
        if (vs < ll) {
            bad(why, "control character or bare CR in a header value");
            break;
        }
        got = MORE;
        vs = c + 1;
        while (vs < ve && (q[vs] == ' ' || q[vs] == '\t')) vs++;
        while (ve > vs && (q[ve - 1] == ' ' || q[ve - 1] == '\t')) ve--;
        span *grown = realloc(sp, (nsp + 1) * sizeof *sp);
        if (!grown) abort();
        sp = grown;
        size_t at = (size_t)(q - s);
        sp[nsp++] = (span){at, at + c, at + vs, at + ve};
        note_header(&f, q, c, q + vs, ve - vs);
    }
    if (got == WHOLE && check_facts(&f, minor, max_body, why) != 0) got = REFUSED;
    if (got == WHOLE) {
        build(s, p, m, te, le, sp, nsp, h);
        h->chunked = f.codings > 0;
        h->content_length = f.length;
        h->keep_alive = minor >= 1 ? !f.close : f.keep_alive && !f.close;
        h->expect_continue = minor >= 1 && f.expect_continue;
    }
    free(sp);
    return got == WHOLE ? (long)(start + p) : got == MORE ? 0 : -1;
}

void gw_head_free(gw_head *h) {
    free(h->mem);
    free(h->headers);
    memset(h, 0, sizeof *h);
}

enum {
    CK_SIZE,     /* chunk size digits */
    CK_EXT,      /* chunk extension, up to the line end */
    CK_DATA,     /* the chunk's bytes */
    CK_DATA_END, /* the line end after them */
    CK_TR_START, /* a trailer line starts (an empty one ends the body) */
    CK_TR_NAME,  /* trailer field name */
    CK_TR_VALUE, /* trailer field value */
    CK_CR,       /* a CR was read: only its LF may follow, then c->then */
    /* what a byte can lead to besides a state: */
    CK_SIZE_END, /* the size line is over: the chunk's bytes, or the trailer */
    CK_END,      /* the body is over */
    CK_BAD,      /* malformed */
    CK_OVER,     /* a chunk size over 64 bits */
};

/* A line end (CR LF, or a bare LF) leads to `then`; anything else is bad. */
static int ck_line_end(gw_chunked *c, unsigned char ch, int then) {
    if (ch == '\n') return then;
    c->then = then;
    return ch == '\r' ? CK_CR : CK_BAD;
}

static int ck_step(gw_chunked *c, unsigned char ch) {
    int hex = hex_value(ch);
    switch (c->state) {
    case CK_SIZE:
        if (hex >= 0 && c->left > (UINT64_MAX >> 4)) return CK_OVER;
        if (hex >= 0) {
            c->left = c->left << 4 | (uint64_t)hex;
            c->digits++;
            return CK_SIZE;
        }
        if (!c->digits) return CK_BAD;
        return ch == ';' ? CK_EXT : ck_line_end(c, ch, CK_SIZE_END);
    case CK_EXT: return is_value_char(ch) && ch != '\r' ? CK_EXT : ck_line_end(c, ch, CK_SIZE_END);
    case CK_DATA_END: return ck_line_end(c, ch, CK_SIZE);
    case CK_TR_START: return is_tchar(ch) ? CK_TR_NAME : ck_line_end(c, ch, CK_END);
    case CK_TR_NAME: return ch == ':' ? CK_TR_VALUE : is_tchar(ch) ? CK_TR_NAME : CK_BAD;
    case CK_TR_VALUE:
        return is_value_char(ch) && ch != '\r' ? CK_TR_VALUE : ck_line_end(c, ch, CK_TR_START);
    case CK_CR: return ch == '\n' ? c->then : CK_BAD;
    default: return CK_BAD;
    }
}

long gw_chunked_feed(gw_chunked *c, const char *buf, size_t len, uint64_t max_body, dstr *body,
                     int *done, gw_refusal *why) {
    memset(why, 0, sizeof *why);
    *done = 0;
    size_t i = 0;
    while (i < len) {
        if (c->state == CK_DATA) {
            size_t take = len - i;
            if (take > c->left) take = (size_t)c->left;
            dstr_append(body, buf + i, take);
            i += take;
            c->left -= take;
            if (!c->left) c->state = CK_DATA_END;
            continue;
        }
        int cr = c->state == CK_CR;
        int size_line = c->state == CK_SIZE || c->state == CK_EXT || (cr && c->then == CK_SIZE_END);
        int trailer = (c->state >= CK_TR_START && !cr) ||
                      (cr && (c->then == CK_TR_START || c->then == CK_END));
        int next = ck_step(c, (unsigned char)buf[i++]);
        if (next == CK_OVER) return too_large(why);
        if (next == CK_BAD) return bad(why, trailer ? "malformed trailer line" : msg_chunk);
        if (size_line && ++c->line > GW_HEAD_MAX)
            return bad(why, "chunk size line over 10240 bytes");
        if (trailer && ++c->trailer > GW_HEAD_MAX)
            return refuse(why, 431, "headers_too_large", "trailer section over 10240 bytes");
        if (next == CK_END) {
            *done = 1;
            return (long)i;
        }
        if (next == CK_SIZE_END) {
            if (c->left > max_body - body->len) return too_large(why);
            c->line = 0;
            c->digits = 0;
            next = c->left ? CK_DATA : CK_TR_START;
        }
        c->state = next;
    }
    return (long)i;
}

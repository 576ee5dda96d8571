/* fuzz_http_head: bytes off the wire through the gateway's HTTP/1.1 request
 * reader (gw_head_scan, then gw_chunked_feed for a chunked body), as the
 * gateway feeds them: whole and cut at a point the first byte picks. What
 * is read must not depend on how the bytes arrived: a head accepted whole
 * is accepted with its own length and asked more of for any shorter prefix,
 * a prefix refused means the whole is refused with the same status, and a
 * chunked body decodes to the same bytes and end in two pieces as in one.
 * Every header string must lie within the head. */
#include <string.h>

#include "fuzz.h"
#include "gw_head.h"

#define MAX_BODY (64u * 1024u) /* small, so the 413 paths are reached */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

typedef struct body_read {
    long used; /* bytes consumed, or -1 */
    unsigned status;
    int done;
    dstr body;
} body_read;

static void feed(const char *p, size_t len, size_t cut, body_read *out) {
    gw_chunked c = {0};
    gw_refusal why = {0};
    *out = (body_read){0};
    long a = gw_chunked_feed(&c, p, cut, MAX_BODY, &out->body, &out->done, &why);
    long b = 0;
    if (a >= 0 && !out->done && (size_t)a == cut)
        b = gw_chunked_feed(&c, p + cut, len - cut, MAX_BODY, &out->body, &out->done, &why);
    out->used = a < 0 || b < 0 ? -1 : a + b;
    out->status = why.status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t len = size - 1;
    char *buf = fuzz_strndup(data + 1, len); /* exact size: a read past it is a report */
    size_t cut = len ? data[0] % (len + 1) : 0;
    gw_head h, hp;
    gw_refusal why, whyp;
    long n = gw_head_scan(buf, len, MAX_BODY, &h, &why);
    long np = gw_head_scan(buf, cut, MAX_BODY, &hp, &whyp);
    if (np > 0) gw_head_free(&hp);
    if (np > 0 && n != np) fuzz_fail("a head read whole in a prefix, not in the whole");
    if (np < 0 && (n != -1 || why.status != whyp.status))
        fuzz_fail("a prefix refused, the whole not (or with another status)");
    if (n > 0) {
        if ((size_t)n > len) fuzz_fail("head longer than the input");
        if ((size_t)cut < (size_t)n && np != 0)
            fuzz_fail("a prefix of a good head not asked more of");
        gw_head again;
        if (gw_head_scan(buf, (size_t)n, MAX_BODY, &again, &why) != n)
            fuzz_fail("a head is not read the same without what follows it");
        gw_head_free(&again);
        size_t head = strlen(h.method) + strlen(h.target) + strlen(h.version);
        for (size_t i = 0; i < h.n_headers; i++)
            head += strlen(h.headers[i].name) + strlen(h.headers[i].value);
        if (head > (size_t)n) fuzz_fail("header strings longer than the head");
        if (h.chunked) {
            size_t rest = len - (size_t)n, at = cut > (size_t)n ? cut - (size_t)n : 0;
            body_read one, two;
            feed(buf + n, rest, rest, &one);
            feed(buf + n, rest, at, &two);
            if (one.used != two.used || one.status != two.status || one.done != two.done ||
                (one.used >= 0 &&
                 (one.body.len != two.body.len ||
                  memcmp(dstr_cstr(&one.body), dstr_cstr(&two.body), one.body.len) != 0)))
                fuzz_fail("a chunked body read differently in two pieces");
            if (one.body.len > MAX_BODY) fuzz_fail("chunked body over the limit");
            dstr_free(&one.body);
            dstr_free(&two.body);
        }
        gw_head_free(&h);
    }
    free(buf);
    return 0;
}

/* s3 and store_s3 without an S3 server: the XML readers on canned bodies
 * (RGW's and AWS's shapes, entities, url-encoded keys, malformed documents),
 * error texts, and the store backend against the scripted mini_server:
 * request shape (path encoding, sorted query, signed headers, body hash),
 * status mapping, retries, the 412-after-retry rule, paging, open errors,
 * and that no credential or signature reaches an error text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "aws/sigv4.h"
#include "aws/store_s3.h"
#include "store/store.h"
#include "platform/clock.h"
#include "support/blackhole.h"
#include "support/mini_server.h"

#define KEY_ID "AKIDTESTKEY0000"
#define SECRET "SeCrEtSeNtInEl-do-not-print-0123456789"
#define TOKEN "ToKeNsEnTiNeL-session-token-abcdefghij"

/* ---- ListBucketResult ---------------------------------------------------------------- */

static const char rgw_list[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<EncodingType>url</EncodingType><Name>b</Name><Prefix>j%2F</Prefix><MaxKeys>3</MaxKeys>"
    "<IsTruncated>true</IsTruncated><NextContinuationToken>j/c d</NextContinuationToken>"
    "<Contents><Key>j/a%20b%2Bc</Key><LastModified>2026-01-01T00:00:00.000Z</"
    "LastModified><ETag>&quot;x&quot;</ETag>"
    "<Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>j/%C3%BC%25%3D%26.json</Key><Size>1</Size></Contents>"
    "<Contents><Key>j/sp+ace</Key></Contents>"
    "<KeyCount>3</KeyCount></ListBucketResult>";

/* no EncodingType echoed: keys are taken literally, entities decoded */
static const char aws_list_entities[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a comment -->\n<ListBucketResult>\n"
    "  <IsTruncated>false</IsTruncated>\n"
    "  <Contents><Key>a&amp;b&lt;c&gt;d&quot;e&apos;f</Key></Contents>\n"
    "  <Contents><Key>&#252;&#x20AC;&#x1F600;+x</Key></Contents>\n"
    "  <Contents><Key><![CDATA[raw<&>]]></Key></Contents>\n"
    "  <Contents/>\n"
    "</ListBucketResult>\n";

static void test_parse_list(void **state) {
    (void)state;
    s3_list_page page = {0};
    dstr err = {0};
    assert_int_equal(s3_parse_list(rgw_list, strlen(rgw_list), &page, &err), 0);
    assert_int_equal(page.n, 3);
    assert_string_equal(page.keys[0], "j/a b+c");
    assert_string_equal(page.keys[1], "j/\xc3\xbc%=&.json");
    assert_string_equal(page.keys[2], "j/sp ace");
    assert_true(page.truncated);
    assert_string_equal(page.next_token, "j/c d");

    assert_int_equal(s3_parse_list(aws_list_entities, strlen(aws_list_entities), &page, &err), 0);
    assert_int_equal(page.n, 3);
    assert_string_equal(page.keys[0], "a&b<c>d\"e'f");
    assert_string_equal(page.keys[1], "\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80+x");
    assert_string_equal(page.keys[2], "raw<&>");
    assert_false(page.truncated);
    assert_null(page.next_token);

    static const char empty[] = "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</"
                                "KeyCount></ListBucketResult>";
    assert_int_equal(s3_parse_list(empty, strlen(empty), &page, &err), 0);
    assert_int_equal(page.n, 0);
    s3_list_page_free(&page);
    dstr_free(&err);
}

static void test_parse_list_malformed(void **state) {
    (void)state;
    static const struct {
        const char *xml;
        const char *why;
    } bad[] = {
        {"", "no root"},
        {"<ListBucketResult><Contents><Key>a</Key></Contents>", "truncated"},
        {"<ListBucketResult><Key>a</Contents></ListBucketResult>", "mismatched"},
        {"<!DOCTYPE x [<!ENTITY a 'b'>]><ListBucketResult/>", "DOCTYPE"},
        {"<ListBucketResult><Contents><Key>&bogus;</Key></Contents></ListBucketResult>",
         "unknown entity"},
        {"<ListBucketResult><Contents><Key>&#0;</Key></Contents></ListBucketResult>",
         "character reference"},
        {"<ListBucketResult><Contents><Key>&#xD800;</Key></Contents></ListBucketResult>",
         "character reference"},
        {"<ListBucketResult><Contents><Key>&#x110000;</Key></Contents></ListBucketResult>",
         "out of range"},
        {"<ListBucketResult><Contents><Key>&#12</Key></Contents></ListBucketResult>",
         "character reference"},
        {"junk<ListBucketResult/>", "outside the root"},
        {"<ListBucketResult/><ListBucketResult/>", "more than one root"},
        {"<Error><Code>x</Code></Error>", "not a ListBucketResult"},
        {"<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%2</Key></Contents></"
         "ListBucketResult>",
         "%-encoding"},
        {"<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%00b</Key></Contents></"
         "ListBucketResult>",
         "%-encoding"},
        {"<ListBucketResult><Contents><Key></Key></Contents></ListBucketResult>", "empty"},
        {"<ListBucketResult", "unterminated"},
        {"<a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q></q></p></o></n></m></l></k></j></i></"
         "h></g></f></e></d>"
         "</c></b></a>",
         "deeply"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s3_list_page page = {0};
        dstr err = {0};
        if (s3_parse_list(bad[i].xml, strlen(bad[i].xml), &page, &err) != -1)
            fail_msg("accepted: %s", bad[i].xml);
        if (!strstr(dstr_cstr(&err), bad[i].why))
            fail_msg("%s: error '%s' lacks '%s'", bad[i].xml, err.ptr, bad[i].why);
        assert_int_equal(page.n, 0);
        assert_null(page.keys);
        dstr_free(&err);
    }
}

/* ---- error bodies ---------------------------------------------------------------------------- */

static void test_parse_error(void **state) {
    (void)state;
    static const struct {
        const char *body;
        const char *code;
        const char *message;
    } cases[] = {
        /* RGW 16: an empty Message */
        {"<?xml version=\"1.0\" "
         "encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message></Message>"
         "<BucketName>b</BucketName><RequestId>tx1</RequestId><HostId>h</HostId></Error>",
         "NoSuchKey", ""},
        /* AWS: a message, plus the signature-debugging elements we must not echo */
        {"<?xml version=\"1.0\" "
         "encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
         "signature we calculated does not match the signature you provided. Check your key and "
         "signing "
         "method.</Message><AWSAccessKeyId>AKID</"
         "AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n...</StringToSign>"
         "<SignatureProvided>abc</SignatureProvided></Error>",
         "SignatureDoesNotMatch", "The request signature we calculated does not match"},
        {"<Error><Code>Bad Code!</Code></Error>", "", ""},
        {"not xml at all", "", ""},
        {"", "", ""},
        {"<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you "
         "specified did not "
         "hold</Message><Condition>If-None-Match</Condition></Error>",
         "PreconditionFailed", "At least one"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char code[S3_CODE_MAX];
        dstr msg = {0};
        s3_parse_error(cases[i].body, strlen(cases[i].body), code, &msg);
        assert_string_equal(code, cases[i].code);
        if (strncmp(dstr_cstr(&msg), cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("case %zu: message '%s'", i, dstr_cstr(&msg));
        dstr_free(&msg);
    }
}

static void test_describe_error(void **state) {
    (void)state;
    static const struct {
        long status;
        const char *code;
        const char *server;
        const char *want;
    } cases[] = {
        {403, "SignatureDoesNotMatch", "",
         "SignatureDoesNotMatch (HTTP 403): the server computed a different request "
         "signature: check AWS_SECRET_ACCESS_KEY"},
        {403, "RequestTimeTooSkewed", "", "the machine's clock is off by more than 15 minutes"},
        {404, "NoSuchBucket", "", "NoSuchBucket (HTTP 404): the bucket does not exist"},
        {403, "InvalidAccessKeyId", "", "check AWS_ACCESS_KEY_ID"},
        {403, "AccessDenied", "", "s3:ListBucket"},
        {400, "ExpiredToken", "", "check AWS_SESSION_TOKEN"},
        {412, "PreconditionFailed", "", "already exists"},
        {503, "SlowDown", "", "slow down"},
        {400, "SomethingNew", "what the server said",
         "SomethingNew (HTTP 400): what the server said"},
        {502, "", "", "HTTP 502 without an S3 error code: server error"},
        {403, "", "", "HTTP 403 without an S3 error code: request refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dstr d = {0};
        s3_describe_error(&d, cases[i].status, cases[i].code, cases[i].server);
        if (!strstr(d.ptr, cases[i].want)) fail_msg("'%s' lacks '%s'", d.ptr, cases[i].want);
        dstr_free(&d);
    }
}

/* ---- the backend against a scripted server ---------------------------------------------- */

typedef struct fixture {
    mini_server *srv;
    store *s;
    dstr err; /* what the last call given fresh(f) appended */
} fixture;

/* f's error text, emptied, to pass to one call and read after it. */
static dstr *fresh(fixture *f) {
    dstr_clear(&f->err);
    return &f->err;
}

/* What a configuration with the mini server as endpoint gives the backend. */
static store_s3_settings settings_for(const mini_server *srv) {
    return (store_s3_settings){
        .region = "eu-west-1",
        .endpoint = ms_url(srv),
        .cred = {KEY_ID, SECRET, TOKEN},
        .policy = {.service = "s3", .timeout_ms = 2000, .retries = 2, .backoff_ms = 5}};
}

static void register_for(const mini_server *srv) {
    store_s3_settings set = settings_for(srv);
    store_s3_register(&set);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->srv = ms_start();
    assert_non_null(f->srv);
    register_for(f->srv);
    dstr err = {0};
    f->s = store_open("s3://journal-bucket/jr/x", &err);
    if (!f->s) fail_msg("store_open: %s", err.ptr);
    dstr_free(&err);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    store_close(f->s);
    dstr_free(&f->err);
    ms_stop(f->srv);
    free(f);
    return 0;
}

static void script(fixture *f, const ms_step *steps, size_t n) {
    ms_script(f->srv, steps, n);
    ms_reset(f->srv);
}

/* No credential, token or signature of any recorded request in text. */
static void expect_no_secrets(fixture *f, const char *text) {
    assert_null(strstr(text, SECRET));
    assert_null(strstr(text, TOKEN));
    for (size_t i = 0; i < ms_request_count(f->srv); i++) {
        const char *auth = ms_header_get(ms_request_at(f->srv, i), "Authorization");
        const char *sig = auth ? strstr(auth, "Signature=") : NULL;
        if (sig) assert_null(strstr(text, sig + 10));
    }
}

static void test_put_request_shape(void **state) {
    fixture *f = *state;
    ms_step ok = {.status = 200};
    script(f, &ok, 1);
    const char *key = "2026/a b/c+%=\xc3\xbc.json", *body = "{\"a\":1}";
    assert_int_equal(store_put(f->s, key, body, strlen(body), NULL), STORE_OK);
    assert_int_equal(ms_request_count(f->srv), 1);
    const ms_request *r = ms_request_at(f->srv, 0);
    assert_string_equal(r->method, "PUT");
    assert_string_equal(r->path, "/journal-bucket/jr/x/2026/a%20b/c%2B%25%3D%C3%BC.json");
    assert_string_equal(r->query, "");
    assert_string_equal(r->body, body);
    char hash[SIGV4_HEX_LEN + 1];
    sigv4_sha256_hex(body, strlen(body), hash);
    assert_string_equal(ms_header_get(r, "x-amz-content-sha256"), hash);
    assert_string_equal(ms_header_get(r, "Content-Type"), "application/json");
    assert_string_equal(ms_header_get(r, "Content-Length"), "7");
    assert_string_equal(ms_header_get(r, "x-amz-security-token"), TOKEN);
    assert_null(ms_header_get(r, "If-None-Match"));
    assert_string_equal(ms_header_get(r, "Host"), ms_url(f->srv) + strlen("http://"));
    const char *auth = ms_header_get(r, "Authorization"), *date = ms_header_get(r, "x-amz-date");
    assert_non_null(auth);
    assert_non_null(date);
    dstr want = {0};
    dstr_printf(&want,
                "AWS4-HMAC-SHA256 Credential=" KEY_ID "/%.8s/eu-west-1/s3/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-"
                "token, Signature=",
                date);
    assert_memory_equal(auth, want.ptr, want.len);
    assert_int_equal(strlen(auth), want.len + SIGV4_HEX_LEN);
    dstr_free(&want);

    /* other keys: octet-stream; an empty body is still a PUT with a hash */
    script(f, &ok, 1);
    assert_int_equal(store_put(f->s, "bin", NULL, 0, NULL), STORE_OK);
    r = ms_request_at(f->srv, 0);
    assert_string_equal(ms_header_get(r, "Content-Type"), "application/octet-stream");
    assert_string_equal(ms_header_get(r, "x-amz-content-sha256"), SIGV4_EMPTY_SHA256);
    assert_string_equal(ms_header_get(r, "Content-Length"), "0");
}

static const char precondition_body[] =
    "<Error><Code>PreconditionFailed</Code><Message></Message></Error>";

static void test_put_new(void **state) {
    fixture *f = *state;
    ms_step created = {.status = 200};
    script(f, &created, 1);
    assert_int_equal(store_put_new(f->s, "k", "v1", 2, NULL), STORE_OK);
    assert_string_equal(ms_header_get(ms_request_at(f->srv, 0), "If-None-Match"), "*");
    assert_non_null(
        strstr(ms_header_get(ms_request_at(f->srv, 0), "Authorization"), "if-none-match;"));

    ms_step taken = {.status = 412, .body = precondition_body};
    script(f, &taken, 1);
    assert_int_equal(store_put_new(f->s, "k", "v2", 2, fresh(f)), STORE_EXISTS);
    assert_string_equal(dstr_cstr(&f->err), "put_new 'k': key exists");
    assert_int_equal(ms_request_count(f->srv), 1); /* one attempt: no GET to compare */
}

/* A 500 whose PUT may have landed, then 412 on the retry: a GET decides. */
static void test_put_new_412_after_retry(void **state) {
    fixture *f = *state;
    ms_step same[] = {{.status = 500, .path = "/journal-bucket/jr/x/k"},
                      {.status = 412, .body = precondition_body, .path = "/journal-bucket/jr/x/k"},
                      {.status = 200, .body = "mine", .path = "/journal-bucket/jr/x/k"}};
    script(f, same, 3);
    assert_int_equal(store_put_new(f->s, "k", "mine", 4, NULL), STORE_OK);
    assert_int_equal(ms_request_count(f->srv), 3);
    assert_string_equal(ms_request_at(f->srv, 2)->method, "GET");

    ms_step other[] = {{.status = 503, .body = "<Error><Code>SlowDown</Code></Error>"},
                       {.status = 412, .body = precondition_body},
                       {.status = 200, .body = "theirs"}};
    script(f, other, 3);
    assert_int_equal(store_put_new(f->s, "k", "mine", 4, NULL), STORE_EXISTS);
}

static void test_conflict_409_is_retried(void **state) {
    fixture *f = *state;
    ms_step steps[] = {
        {.status = 409, .body = "<Error><Code>ConditionalRequestConflict</Code></Error>"},
        {.status = 200}};
    script(f, steps, 2);
    assert_int_equal(store_put_new(f->s, "k", "v", 1, NULL), STORE_OK);
    assert_int_equal(ms_request_count(f->srv), 2);
}

static void test_get(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.status = 200, .body = "a\0b", .body_len = 3}};
    script(f, steps, 1);
    dstr out = {0};
    assert_int_equal(store_get(f->s, "x/y", &out, NULL), STORE_OK);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.ptr, "a\0b", 3);
    const ms_request *r = ms_request_at(f->srv, 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/journal-bucket/jr/x/x/y");
    assert_string_equal(ms_header_get(r, "x-amz-content-sha256"), SIGV4_EMPTY_SHA256);

    ms_step missing = {.status = 404,
                       .body = "<Error><Code>NoSuchKey</Code><Message></Message></Error>"};
    script(f, &missing, 1);
    assert_int_equal(store_get(f->s, "x/y", &out, fresh(f)), STORE_NOT_FOUND);
    assert_string_equal(dstr_cstr(&f->err), "get 'x/y': no such key");
    assert_int_equal(out.len, 0);
    dstr_free(&out);
}

/* Status and body of a failure, and what the store's error must then say. */
static const struct {
    ms_step step;
    const char *says;
} failures[] = {
    {{.status = 403,
      .repeat = 1,
      .body = "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
              "calculated does not "
              "match</Message><StringToSign>x</StringToSign></Error>"},
     "get 's3://journal-bucket/jr/x/k': SignatureDoesNotMatch (HTTP 403): the server computed a "
     "different request "
     "signature: check AWS_SECRET_ACCESS_KEY"},
    {{.status = 403, .repeat = 1, .body = "<Error><Code>RequestTimeTooSkewed</Code></Error>"},
     "RequestTimeTooSkewed (HTTP 403): the machine's clock is off by more than 15 minutes"},
    {{.status = 404,
      .repeat = 1,
      .body = "<Error><Code>NoSuchBucket</Code><BucketName>journal-bucket</BucketName></Error>"},
     "NoSuchBucket (HTTP 404): the bucket does not exist"},
    {{.status = 403, .repeat = 1, .body = "<Error><Code>InvalidAccessKeyId</Code></Error>"},
     "check AWS_ACCESS_KEY_ID"},
    {{.status = 403, .repeat = 1, .body = "<Error><Code>AccessDenied</Code></Error>"},
     "AccessDenied (HTTP 403)"},
    {{.status = 404, .repeat = 1}, "HTTP 404 without an S3 error code"},
    {{.status = 500, .repeat = 1, .body = "<Error><Code>InternalError</Code></Error>"},
     "InternalError (HTTP 500): the server failed (500) and retries ran out"},
    /* a server that echoes the secret in its message: the message is dropped,
     * even where cutting it short would have left only part of the secret */
    {{.status = 400,
      .repeat = 1,
      .body = "<Error><Code>Weird</Code><Message>key " SECRET "</Message></Error>"},
     "Weird (HTTP 400): request refused"},
    {{.status = 400,
      .repeat = 1,
      .body = "<Error><Code>Weird</Code><Message>"
              "012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
              "4567890123456789"
              "012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
              "45678" SECRET "</Message></Error>"},
     "Weird (HTTP 400): request refused"},
    {{.status = 400,
      .repeat = 1,
      .body = "<Error><Code>Weird</Code><Message>line\nbreak \xc3\xbc</Message></Error>"},
     "Weird (HTTP 400): line?break ??"},
};

static void test_failures_say_why(void **state) {
    fixture *f = *state;
    for (size_t i = 0; i < sizeof failures / sizeof *failures; i++) {
        script(f, &failures[i].step, 1);
        dstr out = {0};
        assert_int_equal(store_get(f->s, "k", &out, fresh(f)), STORE_IO);
        const char *why = dstr_cstr(&f->err);
        if (!strstr(why, failures[i].says)) fail_msg("'%s' lacks '%s'", why, failures[i].says);
        expect_no_secrets(f, why);
        /* 5xx is retried (2 retries here); 4xx never */
        assert_int_equal(ms_request_count(f->srv), failures[i].step.status >= 500 ? 3 : 1);
        dstr_free(&out);
    }
}

/* The client itself: structured result, and one line per failure in err. */
static void test_client_err_lines(void **state) {
    fixture *f = *state;
    store_s3_settings set = settings_for(f->srv);
    s3_config sc = {.bucket = "journal-bucket",
                    .region = set.region,
                    .endpoint = set.endpoint,
                    .cred = set.cred,
                    .policy = set.policy};
    dstr err = {0}, out = {0};
    s3_client *c = s3_client_new(&sc, &err);
    assert_non_null(c);
    ms_step denied = {
        .status = 403, .repeat = 1, .body = "<Error><Code>AccessDenied</Code></Error>"};
    script(f, &denied, 1);
    s3_result res = {0};
    assert_int_equal(s3_get_object(c, "k", 0, &out, &res, &err), S3_FAILED);
    assert_int_equal(res.http_status, 403);
    assert_string_equal(res.code, "AccessDenied");
    assert_int_equal(res.attempts, 1);
    assert_non_null(strstr(err.ptr, "AccessDenied (HTTP 403): access denied"));
    assert_null(strchr(err.ptr, '\n'));
    expect_no_secrets(f, err.ptr);
    size_t one_line = err.len;
    ms_step ok = {.status = 200, .repeat = 1, .body = "v"};
    script(f, &ok, 1);
    assert_int_equal(s3_get_object(c, "k", 0, &out, &res, &err), S3_OK);
    assert_int_equal(err.len, one_line); /* success appends nothing */
    script(f, &denied, 1);
    assert_int_equal(s3_put_object(c, "k", "v", 1, 0, 0, &res, &err), S3_FAILED);
    assert_non_null(strchr(err.ptr, '\n')); /* a second line */
    assert_non_null(strstr(strchr(err.ptr, '\n') + 1, "AccessDenied (HTTP 403)"));
    script(f, &denied, 1);
    assert_int_equal(s3_get_object(c, "k", 0, &out, &res, NULL), S3_FAILED); /* NULL: no text */
    assert_string_equal(res.code, "AccessDenied");
    s3_client_free(c);
    dstr_free(&err);
    dstr_free(&out);
}

/* A batch is one round trip: three PUTs the server holds 300 ms each finish
 * together, and a taken key is STORE_EXISTS for its item only. */
static void test_batch_concurrent(void **state) {
    fixture *f = *state;
    ms_step steps[] = {
        {.status = 412,
         .path = "/journal-bucket/jr/x/b",
         .body = "<Error><Code>PreconditionFailed</Code></Error>"},
        {.status = 200, .delay_ms = 300, .repeat = 1},
    };
    script(f, steps, 2);
    store_write w[] = {{.key = "a", .data = "1", .n = 1},
                       {.key = "b", .data = "2", .n = 1},
                       {.key = "c", .data = "3", .n = 1},
                       {.key = "d", .data = "4", .n = 1}};
    int64_t t0 = clock_wall_ms();
    assert_int_equal(store_put_new_batch(f->s, w, 4, t0 + 5000, fresh(f)), 3);
    int64_t took = clock_wall_ms() - t0;
    assert_int_equal(w[0].status, STORE_OK);
    assert_int_equal(w[1].status, STORE_EXISTS);
    assert_int_equal(w[2].status, STORE_OK);
    assert_int_equal(w[3].status, STORE_OK);
    if (took >= 800) fail_msg("3 PUTs of 300 ms took %lld ms: not concurrent", (long long)took);
    assert_int_equal(ms_request_count(f->srv), 4);
    for (size_t i = 0; i < 4; i++) dstr_free(&w[i].why);
}

/* An S3 that accepts and never answers, with the production policy (5 s
 * attempts, 3 retries): batch put, get and list each end by their deadline
 * with a timeout, and nothing starts once it has passed. */
static void test_blackhole_deadline(void **state) {
    (void)state;
    blackhole *bh = bh_start();
    assert_non_null(bh);
    const char *url = bh_url(bh);
    store_s3_settings set = {
        .region = "eu-west-1",
        .endpoint = url,
        .cred = {KEY_ID, SECRET, TOKEN},
        .policy = {.service = "s3", .timeout_ms = 5000, .retries = 3, .backoff_ms = 200}};
    store_s3_register(&set);
    dstr err = {0}, out = {0};
    store *s = store_open("s3://journal-bucket/e2e", &err);
    assert_non_null(s);
    store_write w[4] = {{.key = "p/1", .data = "1", .n = 1},
                        {.key = "p/2", .data = "2", .n = 1},
                        {.key = "p/3", .data = "3", .n = 1},
                        {.key = "p/4", .data = "4", .n = 1}};
    int64_t t0 = clock_wall_ms(), deadline = t0 + 600;
    assert_int_equal(store_put_new_batch(s, w, 4, deadline, &err), 0);
    int64_t end = clock_wall_ms();
    if (end > deadline + 250)
        fail_msg("batch ended %lld ms after its deadline", (long long)(end - deadline));
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(w[i].status, STORE_TIMEOUT);
        if (!strstr(dstr_cstr(&w[i].why), "deadline") && !strstr(dstr_cstr(&w[i].why), "timeout"))
            fail_msg("no timeout in '%s'", dstr_cstr(&w[i].why));
        dstr_free(&w[i].why);
    }
    assert_int_equal(err.len, 0);            /* the batch itself was fine */
    assert_int_equal(bh_connections(bh), 4); /* concurrently, one connection each */

    store_set_deadline(s, clock_wall_ms() + 400);
    t0 = clock_wall_ms();
    assert_int_equal(store_get(s, "k", &out, &err), STORE_TIMEOUT);
    if (clock_wall_ms() - t0 > 650) fail_msg("get took %lld ms", (long long)(clock_wall_ms() - t0));
    assert_non_null(strstr(err.ptr, "get 's3://journal-bucket/e2e/k'"));

    store_page page = {0};
    store_set_deadline(s, clock_wall_ms() + 400);
    t0 = clock_wall_ms();
    assert_int_equal(store_list(s, "p/", NULL, 10, &page, &err), STORE_TIMEOUT);
    if (clock_wall_ms() - t0 > 650)
        fail_msg("list took %lld ms", (long long)(clock_wall_ms() - t0));

    /* past the deadline: refused at once, without a connection */
    int conns = bh_connections(bh);
    t0 = clock_wall_ms();
    dstr_clear(&err);
    assert_int_equal(store_get(s, "k", &out, &err), STORE_TIMEOUT);
    assert_non_null(strstr(err.ptr, "timeout: the deadline passed"));
    store_write late = {.key = "p/5", .data = "5", .n = 1};
    assert_int_equal(store_put_new_batch(s, &late, 1, 0, NULL), 0); /* 0: the handle's deadline */
    assert_int_equal(late.status, STORE_TIMEOUT);
    assert_true(clock_wall_ms() - t0 < 100);
    assert_int_equal(bh_connections(bh), conns);
    dstr_free(&late.why);

    /* the client's own calls take the deadline too */
    s3_config sc = {.bucket = "journal-bucket",
                    .region = set.region,
                    .endpoint = url,
                    .cred = set.cred,
                    .policy = set.policy};
    s3_client *c = s3_client_new(&sc, NULL);
    assert_non_null(c);
    s3_result res;
    dstr_clear(&err);
    t0 = clock_wall_ms();
    assert_int_equal(s3_put_object(c, "k", "v", 1, 1, t0 + 300, &res, &err), S3_FAILED);
    assert_true(res.timed_out);
    assert_true(clock_wall_ms() - t0 < 550);
    s3_client_free(c);
    store_close(s);
    store_page_free(&page);
    dstr_free(&err);
    dstr_free(&out);
    bh_stop(bh);
}

static void test_slowdown_then_ok(void **state) {
    fixture *f = *state;
    ms_step steps[] = {{.status = 503, .body = "<Error><Code>SlowDown</Code></Error>"},
                       {.status = 200}};
    script(f, steps, 2);
    assert_int_equal(store_put(f->s, "k", "v", 1, NULL), STORE_OK);
    assert_int_equal(ms_request_count(f->srv), 2);
}

static void test_no_answer(void **state) {
    fixture *f = *state;
    store_s3_settings set = settings_for(f->srv);
    set.endpoint = "http://127.0.0.1:1";
    set.policy.retries = 0;
    store_s3_register(&set);
    dstr err = {0};
    store *s = store_open("s3://journal-bucket", &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "k", "v", 1, &err), STORE_IO);
    assert_non_null(
        strstr(dstr_cstr(&err), "put 's3://journal-bucket/k': request to 127.0.0.1:1 failed: "));
    store_close(s);
    dstr_free(&err);
}

/* ListObjectsV2 answer with keys (already url-encoded), truncation and token. */
static void list_body(dstr *b, const char *const *keys, size_t n, const char *token) {
    dstr_clear(b);
    dstr_puts(b, "<ListBucketResult><EncodingType>url</EncodingType>");
    dstr_printf(b, "<IsTruncated>%s</IsTruncated>", token ? "true" : "false");
    if (token) dstr_printf(b, "<NextContinuationToken>%s</NextContinuationToken>", token);
    for (size_t i = 0; i < n; i++) dstr_printf(b, "<Contents><Key>%s</Key></Contents>", keys[i]);
    dstr_puts(b, "</ListBucketResult>");
}

static void test_list_paging(void **state) {
    fixture *f = *state;
    static const char *const first[] = {"jr/x/a/1", "jr/x/a/%C3%BC%20x"};
    static const char *const second[] = {"jr/x/a/bad%2F%2Fkey", "jr/x/a/z+y", "jr/x/a/zz",
                                         "jr/x/a/zzz"};
    dstr b1 = {0}, b2 = {0};
    list_body(&b1, first, 2, "tok/1+=");
    list_body(&b2, second, 4, "tok2");
    ms_step steps[] = {{.status = 200, .body = b1.ptr}, {.status = 200, .body = b2.ptr}};
    script(f, steps, 2);
    store_page page = {0};
    assert_int_equal(store_list(f->s, "a/", "a/0", 4, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 4);
    assert_string_equal(page.keys[0], "a/1");
    assert_string_equal(page.keys[1], "a/\xc3\xbc x");
    assert_string_equal(page.keys[2], "a/z y"); /* "a//key" is no store key: skipped */
    assert_string_equal(page.keys[3], "a/zz");
    assert_true(page.truncated);
    assert_int_equal(ms_request_count(f->srv), 2);
    const ms_request *r1 = ms_request_at(f->srv, 0), *r2 = ms_request_at(f->srv, 1);
    assert_string_equal(r1->path, "/journal-bucket");
    assert_string_equal(
        r1->query,
        "encoding-type=url&list-type=2&max-keys=4&prefix=jr%2Fx%2Fa%2F&start-after=jr%2Fx%2Fa%2F0");
    assert_string_equal(r2->query, "continuation-token=tok%2F1%2B%3D&encoding-type=url&list-type=2&"
                                   "max-keys=2&prefix=jr%2Fx%2Fa%2F");

    /* not truncated: one call, truncated stays 0 */
    list_body(&b1, first, 2, NULL);
    ms_step last = {.status = 200, .body = b1.ptr};
    script(f, &last, 1);
    assert_int_equal(store_list(f->s, NULL, NULL, 10, &page, NULL), STORE_OK);
    assert_int_equal(page.n, 2);
    assert_false(page.truncated);
    assert_string_equal(ms_request_at(f->srv, 0)->query,
                        "encoding-type=url&list-type=2&max-keys=10&prefix=jr%2Fx%2F");

    /* a server repeating its token is an error, not an endless loop */
    list_body(&b1, first, 0, "same");
    ms_step loop = {.status = 200, .body = b1.ptr, .repeat = 1};
    script(f, &loop, 1);
    assert_int_equal(store_list(f->s, NULL, NULL, 10, &page, fresh(f)), STORE_IO);
    assert_non_null(strstr(dstr_cstr(&f->err), "without a new continuation token"));
    assert_int_equal(ms_request_count(f->srv), 2);

    ms_step garbage = {.status = 200, .body = "<html>oops</html>"};
    script(f, &garbage, 1);
    assert_int_equal(store_list(f->s, NULL, NULL, 10, &page, fresh(f)), STORE_IO);
    assert_non_null(strstr(dstr_cstr(&f->err), "unreadable ListObjectsV2 answer"));
    store_page_free(&page);
    dstr_free(&b1);
    dstr_free(&b2);
}

/* Settings the S3 client refuses (config.c refuses them earlier, naming
 * the variable; explicit settings meet these checks). */
static void test_open_errors(void **state) {
    (void)state;
    mini_server *srv = ms_start();
    static const char *const whys[] = {
        "S3 client: no access key id",
        "S3 client: no secret access key",
        "S3 client: no region",
        "must start with http:// or https://",
        "not of the form",
        "not of the form",
        "is not a region name",
    };
    for (size_t i = 0; i < sizeof whys / sizeof *whys; i++) {
        store_s3_settings set = settings_for(srv);
        switch (i) {
        case 0: set.cred.access_key_id = NULL; break;
        case 1: set.cred.secret_access_key = ""; break;
        case 2: set.region = NULL; break;
        case 3: set.endpoint = "ftp://x"; break;
        case 4: set.endpoint = "http://user@host"; break;
        case 5: set.endpoint = "http://host/a?b"; break;
        case 6: set.region = "us east"; break;
        }
        store_s3_register(&set);
        dstr err = {0};
        store *s = store_open("s3://journal-bucket/p", &err);
        if (s) fail_msg("case %zu opened", i);
        if (!strstr(dstr_cstr(&err), whys[i]))
            fail_msg("case %zu: '%s' lacks '%s'", i, dstr_cstr(&err), whys[i]);
        assert_null(strstr(dstr_cstr(&err), SECRET));
        dstr_free(&err);
    }
    /* the region signs the requests */
    store_s3_settings set = settings_for(srv);
    set.region = "ap-south-1";
    store_s3_register(&set);
    dstr err = {0};
    store *s = store_open("s3://journal-bucket", &err);
    assert_non_null(s);
    ms_step ok = {.status = 200};
    ms_script(srv, &ok, 1);
    assert_int_equal(store_put(s, "k", "v", 1, NULL), STORE_OK);
    assert_non_null(strstr(ms_header_get(ms_request_at(srv, 0), "Authorization"),
                           "/ap-south-1/s3/aws4_request"));
    assert_string_equal(ms_request_at(srv, 0)->path, "/journal-bucket/k");
    store_close(s);
    s = store_open("S3://journal-bucket", &err); /* the scheme is case-insensitive */
    assert_non_null(s);
    store_close(s);
    dstr_free(&err);
    ms_stop(srv);
}

static void test_addressing(void **state) {
    (void)state;
    static const struct {
        const char *bucket, *endpoint, *key, *url;
    } cases[] = {
        {"my-bucket", NULL, "a b/c+%.json",
         "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b/c%2B%25.json"},
        {"my-bucket", NULL, NULL, "https://my-bucket.s3.eu-west-1.amazonaws.com/"},
        /* dots: the wildcard certificate does not cover them, so path-style */
        {"my.bucket", NULL, "k", "https://s3.eu-west-1.amazonaws.com/my.bucket/k"},
        {"my.bucket", NULL, NULL, "https://s3.eu-west-1.amazonaws.com/my.bucket"},
        {"my-bucket", "HTTP://127.0.0.1:9000", "k", "http://127.0.0.1:9000/my-bucket/k"},
        {"my-bucket", "https://minio.local/s3/", "a/\xc3\xbc",
         "https://minio.local/s3/my-bucket/a/%C3%BC"},
        {"my-bucket", "http://[::1]:9000", NULL, "http://[::1]:9000/my-bucket"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        s3_config sc = {.bucket = cases[i].bucket,
                        .region = "eu-west-1",
                        .endpoint = cases[i].endpoint,
                        .cred = {KEY_ID, SECRET, NULL}};
        dstr err = {0}, url = {0};
        s3_client *c = s3_client_new(&sc, &err);
        if (!c) fail_msg("case %zu: %s", i, err.ptr);
        s3_object_url(c, cases[i].key, &url);
        assert_string_equal(url.ptr, cases[i].url);
        s3_client_free(c);
        dstr_free(&url);
        dstr_free(&err);
    }
    static const struct {
        const char *bucket, *region, *why;
    } bad[] = {
        {"", "eu-west-1", "no bucket"},
        {"Bad_Bucket", "eu-west-1", "outside a-z"},
        {"b-b", "", "no region"},
        {"b-b", "eu/west", "not a region name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s3_config sc = {
            .bucket = bad[i].bucket, .region = bad[i].region, .cred = {KEY_ID, SECRET, NULL}};
        dstr err = {0};
        assert_null(s3_client_new(&sc, &err));
        if (!strstr(dstr_cstr(&err), bad[i].why))
            fail_msg("'%s' lacks '%s'", dstr_cstr(&err), bad[i].why);
        dstr_free(&err);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_parse_list_malformed),
        cmocka_unit_test(test_parse_error),
        cmocka_unit_test(test_describe_error),
        cmocka_unit_test_setup_teardown(test_put_request_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_new_412_after_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_409_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_say_why, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_err_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slowdown_then_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_concurrent, setup, teardown),
        cmocka_unit_test(test_blackhole_deadline),
        cmocka_unit_test_setup_teardown(test_list_paging, setup, teardown),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_addressing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

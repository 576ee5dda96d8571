/* fuzz_s3: S3 XML bodies through the ListObjectsV2 parser (s3_parse_list)
 * and the error-body reader (s3_parse_error, then s3_describe_error, as a
 * failed call reports it). The first byte picks which and the HTTP status. */
#include "aws/s3.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

static const long statuses[] = {400, 403, 404, 409, 412, 500, 503, 301};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned sel = data[0];
    const char *xml = (const char *)data + 1;
    size_t n = size - 1;
    dstr err = {0};
    if (sel & 1) {
        s3_list_page page = {0};
        if (s3_parse_list(xml, n, &page, &err) == 0) {
            for (size_t i = 0; i < page.n; i++)
                if (!page.keys[i]) fuzz_fail("list: a NULL key");
        } else if (!err.len) {
            fuzz_fail("list: failure without a message");
        }
        s3_list_page_free(&page);
    } else {
        char code[S3_CODE_MAX];
        dstr msg = {0};
        s3_parse_error(xml, n, code, &msg);
        if (strnlen(code, S3_CODE_MAX) == S3_CODE_MAX) fuzz_fail("error: code not terminated");
        s3_describe_error(&err, statuses[(sel >> 1) % 8], code, dstr_cstr(&msg));
        dstr_free(&msg);
    }
    dstr_free(&err);
    return 0;
}

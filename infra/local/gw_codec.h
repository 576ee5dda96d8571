/* gw_codec: the byte-level encodings the local gateway needs, all pure.
 *
 * Contract (base64 lives in shared/platform/base64.h): gw_json_str_utf8() writes a JSON string literal that is always valid
 * UTF-8: invalid byte sequences become U+FFFD, so an event built from raw
 * request bytes never breaks a strict JSON parser. Times are formatted in
 * UTC with fixed English month names, independent of TZ and locale. */
#ifndef GW_CODEC_H
#define GW_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "platform/base64.h"
#include "platform/dstr.h"

/* 1 when data[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF), else 0. NUL bytes count as valid. */
int gw_utf8_valid(const char *data, size_t n);

void gw_json_str_utf8(dstr *out, const char *data, size_t n);

/* Percent-decodes data[0..n) into out; with plus_is_space a '+' becomes a
 * space (form encoding, as API Gateway decodes query strings). A '%' not
 * followed by two hex digits is kept literally. */
void gw_url_decode(dstr *out, const char *data, size_t n, int plus_is_space);

/* "12/Mar/2020:19:03:58 +0000" (API Gateway requestContext.time). */
void gw_fmt_apigw_time(char out[32], int64_t epoch_ms);
/* "2022-03-22T18:59:43Z". */
void gw_fmt_iso_utc(char out[24], int64_t epoch_s);

#endif

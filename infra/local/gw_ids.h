/* gw_ids: identifiers the local AWS stand-ins hand out.
 *
 * Contract: every function is thread-safe and draws from the kernel's
 * random pool (getrandom(2), the same pool as /dev/urandom); it aborts if
 * the pool cannot be read, since duplicate ids would silently corrupt
 * request correlation. */
#ifndef GW_IDS_H
#define GW_IDS_H

#include <stddef.h>
#include <stdint.h>

void gw_random_bytes(void *buf, size_t n);
/* RFC 4122 version 4 UUID, lowercase: "1b4e28ba-2fa1-41d2-883f-0016d3cca427". */
void gw_uuid4(char out[37]);
/* X-Ray root id "1-<8 hex epoch seconds>-<24 hex>", as API Gateway starts it. */
void gw_trace_root(char out[36], int64_t epoch_ms);
/* Lambda-Runtime-Trace-Id: "Root=<root>;Parent=<16 hex>;Sampled=0". */
void gw_trace_header(char out[80], const char *root);
/* API Gateway request id shape: 16 chars of base64 ending in '='. */
void gw_apigw_request_id(char out[17]);
/* Wall clock, Unix epoch milliseconds. */
int64_t gw_now_ms(void);

#endif

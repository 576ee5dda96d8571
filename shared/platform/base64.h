/* base64: the standard alphabet with '=' padding (RFC 4648 §4), as API
 * Gateway uses for binary bodies. The decoder also accepts unpadded input
 * and rejects anything else (bad digits, misplaced padding, non-zero
 * leftover bits), so a body is never silently altered. */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

#include "platform/dstr.h"

void base64_encode(dstr *out, const void *data, size_t n);
/* Appends the decoded bytes to out. Returns 0, or -1 on invalid input
 * (out then holds a partial result the caller discards). */
int base64_decode(dstr *out, const char *text, size_t n);

#endif

/* gw_file: whole-file reads for configuration and event files.
 *
 * Contract: reads path ("-" is stdin) into out (appended, NUL-terminated),
 * refusing files larger than max bytes. Returns 0, or -1 with a message
 * naming the path in err. */
#ifndef GW_FILE_H
#define GW_FILE_H

#include <stddef.h>

#include "platform/dstr.h"

int gw_read_file(const char *path, size_t max, dstr *out, char *err, size_t errlen);

#endif

/* audit: what every decision, order and run record says about the code and
 * the configuration that made it (issue 9 item 9).
 *
 * Contract: pl_build_version() is the build's version (TRADER_BUILD_VERSION
 * when the build defines it, else "dev"), a journal tag (1-64 of
 * [A-Za-z0-9._:+-]). pl_config_hash() is the first 16 hex digits of the
 * SHA-256 of the effective configuration written as "NAME=value\n" lines in
 * a fixed order, secrets excluded (API keys and secret, TRADER_TOKEN, AWS
 * credentials, the Gemini key): two processes with the same settings give
 * the same hash, and rotating a key does not change it. */
#ifndef PL_AUDIT_H
#define PL_AUDIT_H

#include <stddef.h>

#include "platform/config.h"

#define PL_CONFIG_HASH_LEN 17 /* 16 hex digits and the NUL */

const char *pl_build_version(void);
/* out gets the hash (cap >= PL_CONFIG_HASH_LEN, else ""). */
void pl_config_hash(const cfg *c, char *out, size_t cap);
/* The canonical text the hash is taken over (for tests and operators). */
void pl_config_text(const cfg *c, dstr *out);

#endif

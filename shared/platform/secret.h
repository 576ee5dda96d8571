/* secret: the values that must never leave the process (API keys, secrets,
 * session tokens), and the scrubber every output sink runs before its bytes
 * go out.
 *
 * Contract: secret_register() keeps a copy of a value; secret_scrub()
 * replaces every occurrence of a registered value in a string with
 * "[REDACTED]", and also the value's JSON-escaped forms ('"', '\' and
 * control characters escaped; '/' as "\/") and its URL-encoded forms
 * (RFC 3986 unreserved characters kept, %XX in either case), the shapes an
 * upstream's error text echoes a key in. Matches are found on the text as
 * given, then overlapping or touching ones are merged, so two secrets that
 * overlap leave no fragment of either, and a "[REDACTED]" never creates a
 * match of its own. A value made of characters JSON does not escape (every
 * real key and token) keeps a JSON text valid.
 *
 * Where it runs: http.c, on every upstream answer as it arrives (services
 * cut error texts to fixed-size reasons, and a cut inside a secret would
 * leave a piece no later scrub can recognise); then the sinks, each the last
 * step before bytes leave: log.c (every line, so
 * stdout, the invocation log's tee and journal.unwritten events),
 * recordkey_put_new() (every journal object: requests, decisions, trades,
 * invocation logs), and the runtime (every response and error posted to the
 * Runtime API: HTTP answers, event results, init errors). A new sink (an
 * alert channel) must call secret_scrub() too: callers still must never put
 * secrets in output; this is the last line of defence.
 *
 * Values shorter than SECRET_MIN_LEN bytes are not registered: they would
 * redact ordinary words, and, in a JSON record, tokens such as "null".
 * At most SECRET_MAX values; later ones are ignored, a repeated one is kept
 * once. Cost: nothing registered, one comparison; otherwise one memmem() per
 * form over the text, and no allocation unless something matches.
 * Single-threaded, like log.h. */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

#include "platform/dstr.h"

#define SECRET_MIN_LEN 8
#define SECRET_MAX 16
#define SECRET_MASK "[REDACTED]"

/* NULL, short and repeated values are ignored (see above). */
void secret_register(const char *value);
/* Forgets every value (tests; the end of a process, to free the copies). */
void secret_clear(void);
/* Replaces every registered value and its forms in s; returns how many
 * "[REDACTED]" were put in (0: s untouched). */
size_t secret_scrub(dstr *s);
/* 1 when data[0..n) holds a registered value or one of its forms: lets a
 * sink holding const bytes copy them only when it must. */
int secret_present(const void *data, size_t n);

/* 1 when given equals expected, compared in time that depends only on
 * expected's length (not on where they differ): for tokens a caller sends
 * (TRADER_TOKEN). NULL never equals anything. */
int secret_equal(const char *given, const char *expected);

#endif

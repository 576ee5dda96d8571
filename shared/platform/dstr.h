/* dstr: a small growable byte string, always NUL-terminated.
 *
 * Contract: a zeroed dstr ({0}) is a valid empty string; every append keeps
 * ptr NUL-terminated (so ptr is usable as a C string once anything was
 * appended, and dstr_cstr() is safe on an empty one). Appends never fail
 * silently: on allocation failure the process aborts, because a half-built
 * request or log line is worse than a crash a supervisor restarts.
 * dstr_free() returns it to the zeroed state. */
#ifndef DSTR_H
#define DSTR_H

#include <stdarg.h>
#include <stddef.h>

typedef struct dstr {
    char *ptr;
    size_t len;
    size_t cap;
} dstr;

void dstr_reserve(dstr *s, size_t extra);
void dstr_append(dstr *s, const void *data, size_t n);
void dstr_puts(dstr *s, const char *cstr);
void dstr_putc(dstr *s, char c);
void dstr_printf(dstr *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dstr_vprintf(dstr *s, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends cstr as a JSON string literal, quotes included. */
void dstr_json_str(dstr *s, const char *cstr);
void dstr_json_strn(dstr *s, const char *data, size_t n);
/* Appends a double the way JSON wants it: shortest round-trip form, and
 * "null" for NaN or infinities (JSON has no spelling for them). */
void dstr_json_num(dstr *s, double v);
void dstr_clear(dstr *s);
void dstr_free(dstr *s);
/* Hands the buffer to the caller (who frees it) and empties s. */
char *dstr_take(dstr *s);
const char *dstr_cstr(const dstr *s);

/* Reopens a rendered JSON object so fields can be appended: drops its closing
 * '}' and returns the separator the next field needs ("," or "" for "{}"),
 * or NULL (s unchanged) when s does not end with an object. Close it again
 * with dstr_putc(s, '}'). */
const char *dstr_json_reopen(dstr *s);

/* The project's failure convention (shared/README.md): appends one line
 * for people to err, after a '\n' when err already holds one; NULL err:
 * nothing. */
void dstr_error_line(dstr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dstr_verror_line(dstr *err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* A copy of cstr (NULL copies as ""); aborts when memory runs out, like
 * every append here. */
char *xstrdup(const char *cstr);

#endif

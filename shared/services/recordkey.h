/* recordkey: the key layout every journal record shares, and its
 * create-only write (platform; used by journal and invlog).
 *
 * Contract: a record lives at
 *     ROOT YYYYMMDD/HHMMSSmmm_NAME[-N]EXT     e.g. logs/20251231/113507042_candles_<id>.jsonl
 * with the date and time in UTC of the record's instant, so the records of
 * one day share one prefix and sort by time within it (S3 lists ascending).
 * ROOT ends with '/', EXT starts with '.'. Objects are never overwritten: a
 * key already taken gets the first free suffix -1, -2, ... up to
 * RECORDKEY_MAX_SUFFIX (two records in one millisecond, a retried write).
 * NAME must not itself end in "-<1 or 2 digits>" if the suffix is to be read
 * back exactly; readers only use the suffix to order records of one
 * millisecond, so a NAME that does is still found. */
#ifndef RECORDKEY_H
#define RECORDKEY_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "store/store.h"

#define RECORDKEY_MAX_SUFFIX 99
#define RECORDKEY_MAX_AT_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define RECORDKEY_DAY_MS 86400000LL

/* "ROOT YYYYMMDD/" of day (days since the epoch, UTC). 0, or -1 if it does not fit. */
int recordkey_day(const char *root, int64_t day, char *buf, size_t cap);
/* "ROOT YYYYMMDD/HHMMSSmmm_NAME" for at_ms. 0, or -1 when at_ms is outside
 * 0..RECORDKEY_MAX_AT_MS or the result does not fit. NAME is not checked. */
int recordkey_stem(const char *root, int64_t at_ms, const char *name, char *buf, size_t cap);
/* The day (since the epoch) of a "ROOT YYYYMMDD/..." key; -1 if key has no such day. */
int64_t recordkey_day_of(const char *root, const char *key);

/* One record of a batch (recordkey_put_new_batch). */
typedef struct recordkey_write {
    const char *stem, *ext; /* in: the key is stem[-N]ext */
    const void *data;       /* in: may be NULL when n is 0 */
    size_t n;               /* in */
    int rc;                 /* out: 0 written, -1 not */
    dstr key;               /* out: the key written, or the last one tried */
    dstr why;               /* out: what failed (store error, timeout, every suffix taken,
                               no store) */
} recordkey_write;

/* Writes every item under stem EXT, or its first free stem-N EXT, with every
 * registered secret scrubbed out of its bytes (platform/secret.h), through
 * store_put_new_batch() rounds that all end by deadline_ms (0: the store's
 * deadline, store_set_deadline): round k tries suffix k of the items whose
 * earlier key was taken. Returns how many items were not written. s may be
 * NULL (none is). Free each item's key and why with recordkey_write_free(). */
size_t recordkey_put_new_batch(store *s, recordkey_write *items, size_t n, int64_t deadline_ms);
void recordkey_write_free(recordkey_write *w);

/* One item of recordkey_put_new_batch() under the store's deadline. Returns
 * 0 and replaces key_out (may be NULL) with the key; or -1, appending to why
 * what failed, with key_out holding the last key tried. s may be NULL. */
int recordkey_put_new(store *s, const char *stem, const char *ext, const void *data, size_t n,
                      dstr *key_out, dstr *why);

/* A record's file name (the key after the day prefix), parsed. */
typedef struct recordkey_name {
    long ts;          /* HHMMSSmmm */
    int suffix;       /* 0, or 1..RECORDKEY_MAX_SUFFIX */
    const char *name; /* NAME: name_len bytes into the parsed string */
    size_t name_len;
} recordkey_name;

/* 0 when file is "HHMMSSmmm_NAME[-N]EXT" with a non-empty NAME; else -1. */
int recordkey_parse(const char *file, const char *ext, recordkey_name *out);
/* Newest first: later time, then the later suffix, then NAME in byte order. */
int recordkey_cmp_newest(const recordkey_name *a, const recordkey_name *b);

#endif

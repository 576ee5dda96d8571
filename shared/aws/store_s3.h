/* store_s3: the S3 backend of store/store.h, registered by whoever opens
 * stores (store.c sits below aws/ and cannot name it). Until
 * store_s3_register() is called, opening an s3:// URL fails with
 * "no backend for s3:// registered".
 *
 * The backend reads no environment: its settings come from the caller,
 * usually from the validated configuration (store_s3_settings_from_cfg). */
#ifndef STORE_S3_H
#define STORE_S3_H

#include "platform/config.h"
#include "platform/http.h"
#include "aws/sigv4.h"

typedef struct store_s3_settings {
    const char *region;
    const char *endpoint;   /* NULL or "": AWS; else "http[s]://host[:port][/base]" */
    sigv4_credentials cred; /* copied by each store_open() */
    http_policy policy;     /* timeout_ms, retries, backoff_ms */
    http_tls tls;           /* CA location; NULLs: libcurl's default */
} store_s3_settings;

/* The settings a loaded configuration gives; the strings are c's (c must
 * outlive the registration's use). */
store_s3_settings store_s3_settings_from_cfg(const cfg *c);

/* Makes s3:// URLs openable with these settings (copied; the strings they
 * point to must stay valid while stores are opened: each store copies what
 * it keeps). A later call replaces the settings. */
void store_s3_register(const store_s3_settings *settings);

#endif

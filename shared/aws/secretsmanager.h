/* secretsmanager: reads one secret with Secrets Manager's GetSecretValue
 * (prefix sm_), signed with sigv4.h and sent through http.h.
 *
 * Contract: sm_get_secret() sends POST / to
 * https://secretsmanager.{region}.amazonaws.com (or the configured endpoint)
 * with X-Amz-Target: secretsmanager.GetSecretValue, Content-Type
 * application/x-amz-json-1.1 and {"SecretId": id}, SigV4-signed (service
 * "secretsmanager"), by deadline_ms (absolute unix ms): timeouts, connection
 * failures, 5xx and 429 are retried per the policy; 4xx are not. It returns
 * 0 with the secret's SecretString, or -1 with one line in err naming the
 * secret id, the HTTP status and AWS's error code (ResourceNotFoundException,
 * AccessDeniedException, ...) and never the secret, the credentials, the
 * signature or AWS's message when it echoes any of them. A secret stored as
 * SecretBinary is refused (the project stores a JSON object as a string).
 * sm_parse_answer() and sm_parse_secret() parse outside input (fuzz target
 * fuzz_secretsmanager): NULs, duplicate names, wrong types and huge sizes
 * are errors, never crashes. */
#ifndef SECRETSMANAGER_H
#define SECRETSMANAGER_H

#include <stddef.h>
#include <stdint.h>

#include "aws/sigv4.h"
#include "platform/dstr.h"
#include "platform/http.h"

#define SM_ANSWER_MAX 131072 /* bytes of an answer read (a secret holds at most 64 KB) */
#define SM_VALUE_MAX 4096    /* bytes of one variable's value */
#define SM_CODE_MAX 64

typedef struct sm_config {
    const char *region;     /* "eu-west-1" */
    const char *endpoint;   /* NULL or "": AWS; else "http[s]://host[:port]" */
    sigv4_credentials cred; /* borrowed */
    http_policy policy;     /* timeout_ms, retries, backoff_ms (service is "secretsmanager") */
} sm_config;

/* The secret's SecretString into out (replaced): 0, or -1 with err (see the contract). */
int sm_get_secret(http_client *h, const sm_config *c, const char *secret_id, int64_t deadline_ms,
                  dstr *out, dstr *err);

/* A 200 answer's SecretString into out: 0, or -1 with why (may be NULL) appended. */
int sm_parse_answer(const char *body, size_t len, dstr *out, dstr *why);
/* An error answer's code ("ResourceNotFoundException": the part of "__type"
 * after '#', if any) into code; "" when there is none. */
void sm_parse_error(const char *body, size_t len, char code[SM_CODE_MAX]);

/* The secret's JSON object: for each of names[0..n), values[i] gets a copy
 * of its string value (free with free()) or NULL when absent. A member
 * that is not a string, one longer than SM_VALUE_MAX or holding a NUL, a
 * name given twice, a text that is not a JSON object: -1 with why (may be
 * NULL) appended
 * (and every values[i] NULL). Names not among names[] are counted into
 * *unknown (may be NULL) and otherwise ignored. */
int sm_parse_secret(const char *json, size_t len, const char *const *names, size_t n, char **values,
                    size_t *unknown, dstr *why);

#endif

/* binance_signed: Binance's SIGNED requests (TRADE and USER_DATA
 * endpoints) over http, and the server-time offset they are stamped with.
 *
 * Signing: the parameters, then recvWindow and timestamp (the local clock
 * plus the offset to Binance's clock), are signed with HMAC-SHA256 under the
 * API secret over the exact bytes sent: the query string, then the body.
 * GET and DELETE carry them in the query, POST in a form-urlencoded body;
 * the hex signature is the last parameter. The key goes in X-MBX-APIKEY.
 * bn_signer_init() registers key and secret with platform/secret.h; neither,
 * nor a signature, nor a signed query, is ever logged (http.c logs paths
 * only, and binance.response the path without the query).
 *
 * Clock: bn_signed_run() syncs the offset from GET /fapi/v1/time before the
 * first signed batch (offset = serverTime - the midpoint of the request),
 * and again when an answer is -1021 (timestamp outside recvWindow): those
 * calls are then signed anew and sent ONCE more. A failed sync keeps the
 * old offset (0 at first) and says so in the log.
 *
 * Retries: reads and lookups use the client's policy (the retries of
 * http.h); an order write (bn_call.kind BN_WRITE) gets a policy with no
 * retries and is not idempotent, so the transport never resends an order or
 * a cancel: only the -1021 resend above, which Binance refused unread. Such
 * a write also goes on a fresh connection (http_policy.fresh_connection):
 * libcurl resends a request by itself when a reused keep-alive connection
 * dies before the answer, and a MARKET entry Binance already took would
 * then be filled twice.
 * Set-up writes, which are idempotent, may opt into retries (retryable). */
#ifndef BINANCE_SIGNED_H
#define BINANCE_SIGNED_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"
#include "platform/http.h"
#include "services/binance.h"
#include "services/exchange.h"

#define BN_DEFAULT_RECV_WINDOW_MS 5000L
#define BN_MAX_RECV_WINDOW_MS 60000L
#define BN_CODE_BAD_TIMESTAMP (-1021L)

typedef struct bn_signer {
    const bn_client *bn;          /* borrowed: http, base, the reads' policy */
    http_policy write_policy;     /* bn's, without retries */
    const char *api_key, *secret; /* borrowed; NULL: no account */
    long recv_window_ms;
    int64_t offset_ms; /* Binance's clock minus ours */
    int synced;        /* the offset came from Binance at least once */
} bn_signer;

/* recv_window_ms <= 0 means BN_DEFAULT_RECV_WINDOW_MS; more than
 * BN_MAX_RECV_WINDOW_MS is cut to it. */
void bn_signer_init(bn_signer *s, const bn_client *bn, const char *api_key, const char *secret,
                    long recv_window_ms);
int bn_signer_has_keys(const bn_signer *s); /* both key and secret non-empty */

/* Lowercase hex HMAC-SHA256 of msg[0..len) under key. */
void bn_hmac_sha256_hex(const char *key, const void *msg, size_t len, char out[65]);

/* One signed call, kept unsigned so it can be signed again after -1021. */
typedef struct bn_call {
    char method[8];   /* "GET", "POST", "DELETE" */
    char path[48];    /* "/fapi/v1/order" */
    dstr params;      /* "symbol=BTCUSDT&side=BUY", encoded; no timestamp or signature */
    bn_kind kind;     /* how its failures are classified (binance.h) */
    int retryable;    /* may the transport retry it (default: kind != BN_WRITE) */
    http_request req; /* the signed request; bn_call_sign() makes it */
    int prepared;     /* req holds a request to free */
} bn_call;

void bn_call_init(bn_call *c, const char *method, const char *path, bn_kind kind);
/* Appends key=value, both percent-encoded. */
void bn_call_param(bn_call *c, const char *key, const char *value);
void bn_call_free(bn_call *c);
/* (Re)builds c->req: params, recvWindow, timestamp = now_ms + offset,
 * signature; the key header. */
void bn_call_sign(const bn_signer *s, bn_call *c, int64_t now_ms);

/* GET /fapi/v1/time (public). */
void bn_time_prepare(const bn_client *bn, http_request *r);
ex_status bn_time_parse(http_request *r, int64_t *server_ms, ex_error *e, dstr *err);
/* One time request; on success sets the offset and synced. */
ex_status bn_signer_sync(bn_signer *s, int64_t deadline_ms, ex_error *e, dstr *err);

/* Binance's error code in a finished request's answer, 0 when none. */
long bn_answer_code(const http_request *r);

/* Signs and runs the calls together with the plain (unsigned, prepared)
 * requests in ONE http_run, syncing the clock first when it never was;
 * then the calls answered -1021 are re-signed after a sync and sent once
 * more. Every call's req then holds its final outcome for its parser. */
void bn_signed_run(bn_signer *s, bn_call **calls, size_t n, http_request **plain, size_t n_plain,
                   int64_t deadline_ms);

#endif

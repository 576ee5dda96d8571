/* telegram: the Bot API client of the operator channel (prefix telegram_).
 *
 * Contract: telegram_send_batch() sends plain-text messages (no parse_mode,
 * so nothing needs escaping) with
 *   POST {TELEGRAM_BASE_URL}/bot<token>/sendMessage  {"chat_id","text"}
 * all parts of all messages in ONE concurrent http_run batch bounded by the
 * caller's deadline. A text is first made valid UTF-8 (bad bytes and NUL
 * become U+FFFD), then split (telegram_split) into parts of at most
 * TELEGRAM_TEXT_MAX UTF-16 code units, as Telegram counts them, on line
 * boundaries; a part of a split text starts "(k/n) " (parts of one batch may
 * arrive in any order).
 * Outcome of each message (telegram_result.status), the worst of its parts':
 *  - TELEGRAM_SENT: every part answered {"ok":true}.
 *  - TELEGRAM_LATER: worth trying again later, nothing is wrong with the
 *    message: no answer (timeout, connection, deadline; retried per
 *    TELEGRAM_HTTP_* first), 5xx after its retries, 429 whose
 *    parameters.retry_after did not fit before the deadline (retry_after_s
 *    says how long Telegram asked for; one that fits is waited and retried),
 *    or a 2xx that is not a Bot API answer (it may have been delivered).
 *  - TELEGRAM_REFUSED: Telegram refused it (400, 401, 403, 404, other 4xx):
 *    never retried here; logged with Telegram's description (an operator
 *    must act: bad token, bot blocked, chat not found).
 * A 400 with parameters.migrate_to_chat_id (a group became a supergroup)
 * is followed: the client's chat becomes the new id, those parts are sent
 * again in a second round, and result.migrated_to says so, for the caller
 * to log (TELEGRAM_CHAT_ID should be updated).
 * Logs: "telegram.send" {messages, parts, sent, later, refused, chat_id,
 * elapsed_ms} once a batch; "telegram.failed" (WARN) {status, error_code,
 * description, retry_after_s} per message not sent; "telegram.migrated"
 * (WARN) {from, to}. The token is in the URL path: no URL is ever logged
 * (http.c's attempt log shows the path, which the secret scrubber masks:
 * telegram_client_init registers the token), and no result, log line or
 * error string carries it.
 * Delivery is at least once: a timeout after Telegram took the message, or
 * a part retried after an ambiguous failure, can repeat a message. */
#ifndef TELEGRAM_H
#define TELEGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "platform/config.h"
#include "platform/dstr.h"
#include "platform/http.h"

#define TELEGRAM_TEXT_MAX 4096       /* UTF-16 code units of one message */
#define TELEGRAM_PART_RESERVE 16     /* units kept for the "(k/n) " of a split text */
#define TELEGRAM_PARTS_MAX 16        /* of one message; the rest of a longer text is cut */
#define TELEGRAM_DESCRIPTION_MAX 200 /* bytes of Telegram's description kept */
#define TELEGRAM_ANSWER_MAX 65536    /* bytes of an answer the parser reads */

/* The client's settings (TELEGRAM_*). Strings are borrowed. */
typedef struct telegram_config {
    const char *base_url; /* https://api.telegram.org, or the tests' fake */
    const char *token;    /* cfg_valid_telegram_token */
    const char *chat_id;  /* cfg_valid_telegram_chat_id */
    long timeout_ms;
    int retries;
    long backoff_ms;
} telegram_config;

/* base_url and token are borrowed from the config, which must outlive the
 * client (and the client every batch it runs). */
typedef struct telegram_client {
    http_policy policy; /* service "telegram", retry_delay_ms = telegram_retry_delay_ms */
    const char *base_url;
    const char *token;
    char chat_id[CFG_TELEGRAM_CHAT_ID_MAX + 1]; /* follows migrate_to_chat_id */
} telegram_client;

/* 0, or -1 with why in err (never the token): a token or chat id that
 * breaks its rule (config.h), no base URL. Registers the token with the
 * secret scrubber. */
int telegram_client_init(telegram_client *t, const telegram_config *c, dstr *err);

typedef enum telegram_status {
    TELEGRAM_SENT = 0,
    TELEGRAM_LATER,  /* try again later (see the contract) */
    TELEGRAM_REFUSED /* Telegram refused it: an operator must act */
} telegram_status;

/* "sent", "later", "refused". */
const char *telegram_status_name(telegram_status st);

typedef struct telegram_result {
    telegram_status status;
    size_t parts, parts_sent; /* parts_sent < parts: a later retry repeats the sent ones */
    int truncated;            /* the text needed more than TELEGRAM_PARTS_MAX parts */
    long http_status;         /* of the part that decided the outcome; 0 without an answer */
    long error_code;          /* Telegram's error_code, 0 when none */
    long retry_after_s;       /* a 429's parameters.retry_after, -1 when none */
    long long message_id;     /* of the first part, 0 when not sent */
    char description[TELEGRAM_DESCRIPTION_MAX + 64]; /* why, "" when sent */
    char migrated_to[CFG_TELEGRAM_CHAT_ID_MAX + 1];  /* the chat's new id, "" when none */
} telegram_result;

typedef struct telegram_msg {
    const char *text;    /* in: the message (UTF-8; NUL-terminated) */
    telegram_result res; /* out */
} telegram_msg;

/* Sends every message (see the contract) within deadline_ms (absolute unix
 * ms). Returns how many were TELEGRAM_SENT. */
size_t telegram_send_batch(http_client *h, telegram_client *t, telegram_msg *msgs, size_t n,
                           int64_t deadline_ms);

/* ---- the pieces, for tests and the fuzz target ------------------------------------ */

/* One part of a split text: bytes [off, off + len) of it. */
typedef struct telegram_chunk {
    size_t off, len;
} telegram_chunk;

/* UTF-16 code units of text[0..len) as Telegram counts them: 2 for a code
 * point above U+FFFF, else 1 (an invalid byte counts as one U+FFFD). */
size_t telegram_utf16_len(const char *text, size_t len);
/* Appends text[0..len) to out as valid UTF-8: an invalid sequence (stray
 * continuation, overlong, surrogate, above U+10FFFF, cut) and NUL become
 * U+FFFD. */
void telegram_sanitize(const char *text, size_t len, dstr *out);
/* Splits text[0..len) into at most cap chunks of at most limit (>= 2) UTF-16
 * units: as many whole lines as fit (a chunk ends before a '\n', which is
 * dropped with the '\n's that follow it); a line longer than limit is cut at
 * a code-point boundary (never inside a UTF-8 sequence or a surrogate
 * pair). Chunks of white space only are dropped. Returns the chunk count;
 * *rest (may be NULL) gets how many bytes at the end did not fit in cap
 * chunks (0: the whole text is covered). */
size_t telegram_split(const char *text, size_t len, size_t limit, telegram_chunk *out, size_t cap,
                      size_t *rest);

/* A Bot API answer, parsed. */
typedef struct telegram_answer {
    int ok;                                         /* "ok": true */
    long error_code;                                /* 0 when absent */
    char description[TELEGRAM_DESCRIPTION_MAX + 1]; /* one line, "" when absent */
    long retry_after_s;                             /* parameters.retry_after, -1 when absent */
    char migrate_to[CFG_TELEGRAM_CHAT_ID_MAX + 1];  /* parameters.migrate_to_chat_id, "" */
    long long message_id;                           /* result.message_id, 0 when absent */
} telegram_answer;

/* Parses body[0..len) (outside input: any bytes) as {"ok":true,"result":{...}}
 * or {"ok":false,"error_code":N,"description":"...","parameters":{...}}.
 * 0 when it is such an envelope ("ok" a bool; the other fields are taken
 * only when of the right type and range: error_code 100..599, retry_after
 * 0..86400*7 whole seconds, migrate_to_chat_id a whole number of at most 20
 * digits, message_id a whole number > 0); -1 otherwise (not JSON, not an
 * object, no bool "ok", over TELEGRAM_ANSWER_MAX bytes, a NUL inside), out
 * zeroed but retry_after_s -1. */
int telegram_parse_answer(const char *body, size_t len, telegram_answer *out);

/* http_policy.retry_delay_ms for Telegram: a 429's parameters.retry_after
 * in ms; otherwise HTTP_RETRY_DEFAULT. */
long telegram_retry_delay_ms(const http_request *attempt);

#endif

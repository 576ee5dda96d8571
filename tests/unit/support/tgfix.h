/* tgfix: a Telegram client against the scripted mini_server, with the log
 * captured, for the tests of the operator channel (telegram, the outbox).
 *
 * Contract: tgfix_open() starts a mini_server, an http client and a
 * telegram_client for token and chat (timeout 500 ms, backoff 10 ms, the
 * given retries), and captures every log line into f->logs. tgfix_close()
 * stops capturing and frees everything; it returns 0, or -1 when
 * forbidden (a piece of the sentinel token) is in the captured log, so a
 * teardown can fail the test on a leak. Registered secrets are cleared. */
#ifndef TGFIX_H
#define TGFIX_H

#include "mini_server.h"
#include "platform/dstr.h"
#include "platform/http.h"
#include "services/telegram.h"

typedef struct tgfix {
    mini_server *srv;
    http_client *http;
    telegram_config conf;
    telegram_client t;
    dstr logs;
} tgfix;

int tgfix_open(tgfix *f, const char *token, const char *chat, int retries);
int tgfix_close(tgfix *f, const char *forbidden);

#endif

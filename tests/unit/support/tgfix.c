/* tgfix: a Telegram client against the mini_server (see tgfix.h). */
#include "tgfix.h"

#include <string.h>

#include "capture.h"
#include "platform/secret.h"

int tgfix_open(tgfix *f, const char *token, const char *chat, int retries) {
    memset(f, 0, sizeof *f);
    f->srv = ms_start();
    f->http = http_client_new(NULL);
    if (!f->srv || !f->http) return -1;
    f->conf = (telegram_config){.base_url = ms_url(f->srv),
                                .token = token,
                                .chat_id = chat,
                                .timeout_ms = 500,
                                .retries = retries,
                                .backoff_ms = 10};
    if (telegram_client_init(&f->t, &f->conf, NULL)) return -1;
    capture_start(&f->logs);
    return 0;
}

int tgfix_close(tgfix *f, const char *forbidden) {
    capture_stop();
    int leaked = forbidden && strstr(dstr_cstr(&f->logs), forbidden) != NULL;
    dstr_free(&f->logs);
    http_client_free(f->http);
    if (f->srv) ms_stop(f->srv);
    secret_clear();
    memset(f, 0, sizeof *f);
    return leaked ? -1 : 0;
}

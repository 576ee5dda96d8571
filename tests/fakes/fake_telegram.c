/* fake_telegram: a local Telegram Bot API server for sendMessage, which
 * records what the bot sends and plays scripted faults.
 *
 *   fake_telegram [--port N] [--port-file FILE] [--token TOKEN] [--chat ID]...
 *                 [--migrated OLD=NEW]
 *
 * Serves POST /bot<token>/sendMessage (JSON or form body),
 * GET|POST /bot<token>/getMe, and setWebhook / getWebhookInfo /
 * deleteWebhook (the webhook is kept; /__fake/update posts to it) like
 * the Bot API: a wrong token gets 401
 * {"ok":false,"error_code":401,"description":"Unauthorized"}; a missing chat
 * or text, a text over 4,096 UTF-16 units, a chat not among --chat (when
 * given) get Telegram's 400s; a chat named by --migrated gets 400 with
 * parameters.migrate_to_chat_id. Every accepted message is kept, and
 * GET /__fake/messages lists them oldest first; GET /__fake/webhook shows
 * the webhook set, secret_token included; POST /__fake/update {"text"}
 * posts the Update a user's message makes to that webhook, with its
 * secret in X-Telegram-Bot-Api-Secret-Token, as Telegram does (the demo's
 * /status). Faults (429 with
 * retry_after, 403, 5xx, a hang) come from fake_http's /__fake/script.
 * Runs until SIGTERM, or SIGINT unless that came ignored.
 * See tests/fakes/README.md. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "gw_signals.h"
#include "lib/fake_http.h"
#include "services/telegram.h"

#define DEFAULT_TOKEN "123456:fake-telegram-token"
#define MAX_CHATS 8

typedef struct tg_message {
    long long message_id;
    char *chat_id;
    char *text;
    long long date;
} tg_message;

typedef struct tg_fake {
    const char *token;
    const char *chats[MAX_CHATS];
    size_t n_chats;
    char migrated_from[64], migrated_to[64];
    pthread_mutex_t lock; /* guards the messages */
    tg_message *msgs;
    size_t n_msgs, cap_msgs;
    long long next_id;
    char *hook_url, *hook_secret, *hook_updates; /* setWebhook's; NULL: none */
    long long next_update;                       /* the last update_id posted */
} tg_fake;

static void tg_error(fake_reply *out, int code, const char *description) {
    out->status = code;
    dstr_clear(&out->body);
    dstr_printf(&out->body, "{\"ok\":false,\"error_code\":%d,\"description\":", code);
    dstr_json_str(&out->body, description);
    dstr_putc(&out->body, '}');
}

/* The method of "/bot<token>/<method>" when the token is the fake's; NULL
 * with the answer set otherwise. */
static const char *method_of(const tg_fake *f, const fake_request *req, fake_reply *out) {
    const char *p = req->path;
    if (strncmp(p, "/bot", 4) != 0 || !strchr(p + 4, '/')) {
        tg_error(out, 404, "Not Found");
        return NULL;
    }
    const char *slash = strchr(p + 4, '/');
    size_t n = (size_t)(slash - (p + 4));
    if (n != strlen(f->token) || memcmp(p + 4, f->token, n) != 0) {
        tg_error(out, 401, "Unauthorized");
        return NULL;
    }
    return slash + 1;
}

/* Parameter name of a JSON or form body (a JSON number as its digits, an
 * array or object as JSON); malloc'd, NULL when absent. */
static char *param_of(const fake_request *req, const char *name) {
    char *out = NULL;
    const char *ct = fake_request_header(req, "content-type");
    if (ct && strstr(ct, "json")) {
        cJSON *b = cJSON_ParseWithLength(req->body, req->body_len);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, name);
        if (cJSON_IsString(v)) out = xstrdup(v->valuestring);
        else if (cJSON_IsNumber(v)) {
            char num[32];
            snprintf(num, sizeof num, "%.0f", v->valuedouble);
            out = xstrdup(num);
        } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) out = cJSON_PrintUnformatted(v);
        cJSON_Delete(b);
        return out;
    }
    fake_kv *kv = NULL;
    size_t n = 0;
    fake_parse_form(req->body, req->body_len, &kv, &n);
    for (size_t i = 0; i < n && !out; i++)
        if (strcmp(kv[i].name, name) == 0) out = xstrdup(kv[i].value);
    fake_kv_free(kv, n);
    return out;
}

/* chat_id and text of a JSON or form body; strings are malloc'd. */
static void read_params(const fake_request *req, char **chat, char **text) {
    *chat = param_of(req, "chat_id");
    *text = param_of(req, "text");
}

static void drop_webhook(tg_fake *f) {
    free(f->hook_url);
    free(f->hook_secret);
    free(f->hook_updates);
    f->hook_url = f->hook_secret = f->hook_updates = NULL;
}

/* setWebhook (url "" or deleteWebhook: removed), as Telegram checks it:
 * the secret 1-256 of [A-Za-z0-9_-]. */
static void set_webhook(tg_fake *f, const fake_request *req, int remove, fake_reply *out) {
    char *url = remove ? NULL : param_of(req, "url");
    char *secret = remove ? NULL : param_of(req, "secret_token");
    size_t ok_chars = secret ? strspn(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-")
                             : 0;
    if (!remove && !url) tg_error(out, 400, "Bad Request: bad webhook: URL is empty");
    else if (secret && (!*secret || secret[ok_chars] || ok_chars > 256))
        tg_error(out, 400, "Bad Request: secret token contains unallowed characters");
    else {
        pthread_mutex_lock(&f->lock);
        drop_webhook(f);
        if (url && *url) {
            f->hook_url = url;
            f->hook_secret = secret;
            f->hook_updates = param_of(req, "allowed_updates");
            url = secret = NULL;
        }
        dstr_printf(&out->body, "{\"ok\":true,\"result\":true,\"description\":\"Webhook was %s\"}",
                    f->hook_url ? "set" : "deleted");
        pthread_mutex_unlock(&f->lock);
    }
    free(url);
    free(secret);
}

/* The webhook as getWebhookInfo shows it (Telegram never shows the secret). */
static void webhook_json(tg_fake *f, int with_secret, dstr *out) {
    pthread_mutex_lock(&f->lock);
    dstr_puts(out, "{\"url\":");
    dstr_json_str(out, f->hook_url ? f->hook_url : "");
    if (with_secret) {
        dstr_puts(out, ",\"secret_token\":");
        dstr_json_str(out, f->hook_secret);
    } else {
        dstr_puts(out, ",\"has_custom_certificate\":false,\"pending_update_count\":0");
    }
    dstr_printf(out, ",\"allowed_updates\":%s}", f->hook_updates ? f->hook_updates : "null");
    pthread_mutex_unlock(&f->lock);
}

static int chat_known(const tg_fake *f, const char *chat) {
    if (f->n_chats == 0) return 1;
    for (size_t i = 0; i < f->n_chats; i++)
        if (strcmp(f->chats[i], chat) == 0) return 1;
    return 0;
}

static void send_message(tg_fake *f, const fake_request *req, fake_reply *out) {
    char *chat, *text;
    read_params(req, &chat, &text);
    size_t units = text ? telegram_utf16_len(text, strlen(text)) : 0;
    int blank = 1;
    for (const char *p = text ? text : ""; *p; p++) blank &= !!strchr(" \t\r\n", *p);
    if (!chat || !*chat) tg_error(out, 400, "Bad Request: chat_id is empty");
    else if (!text || blank) tg_error(out, 400, "Bad Request: message text is empty");
    else if (units > TELEGRAM_TEXT_MAX) tg_error(out, 400, "Bad Request: message is too long");
    else if (f->migrated_from[0] && strcmp(chat, f->migrated_from) == 0) {
        tg_error(out, 400, "Bad Request: group chat was upgraded to a supergroup chat");
        dstr_json_reopen(&out->body);
        dstr_printf(&out->body, ",\"parameters\":{\"migrate_to_chat_id\":%s}}", f->migrated_to);
    } else if (!chat_known(f, chat)) tg_error(out, 400, "Bad Request: chat not found");
    else {
        pthread_mutex_lock(&f->lock);
        if (f->n_msgs == f->cap_msgs) {
            f->cap_msgs = f->cap_msgs ? f->cap_msgs * 2 : 64;
            f->msgs = realloc(f->msgs, f->cap_msgs * sizeof *f->msgs);
            if (!f->msgs) abort();
        }
        tg_message *m = &f->msgs[f->n_msgs++];
        *m = (tg_message){.message_id = ++f->next_id,
                          .chat_id = chat,
                          .text = text,
                          .date = (long long)time(NULL)};
        chat = text = NULL;
        dstr_printf(&out->body,
                    "{\"ok\":true,\"result\":{\"message_id\":%lld,\"date\":%lld,\"chat\":{\"id\":",
                    m->message_id, m->date);
        if (m->chat_id[0] == '@') dstr_json_str(&out->body, m->chat_id);
        else dstr_printf(&out->body, "%lld", strtoll(m->chat_id, NULL, 10));
        dstr_puts(&out->body, "},\"text\":");
        dstr_json_str(&out->body, m->text);
        dstr_puts(&out->body, "}}");
        pthread_mutex_unlock(&f->lock);
    }
    free(chat);
    free(text);
}

static void on_serve(void *ctx, const fake_request *req, fake_reply *out) {
    tg_fake *f = ctx;
    const char *method = method_of(f, req, out);
    if (!method) return;
    if (strcmp(method, "sendMessage") == 0 && strcmp(req->method, "POST") == 0)
        send_message(f, req, out);
    else if (strcmp(method, "getMe") == 0)
        dstr_puts(&out->body, "{\"ok\":true,\"result\":{\"id\":123456,\"is_bot\":true,"
                              "\"first_name\":\"fake\",\"username\":\"fake_bot\"}}");
    else if (strcmp(method, "setWebhook") == 0 || strcmp(method, "deleteWebhook") == 0)
        set_webhook(f, req, method[0] == 'd', out);
    else if (strcmp(method, "getWebhookInfo") == 0) {
        dstr_puts(&out->body, "{\"ok\":true,\"result\":");
        webhook_json(f, 0, &out->body);
        dstr_putc(&out->body, '}');
    } else tg_error(out, 404, "Not Found");
}

static void on_decorate(void *ctx, const fake_request *req, fake_reply *out) {
    (void)ctx, (void)req;
    fake_reply_header(out, "Content-Type", "application/json", 0);
}

static size_t sink(char *p, size_t sz, size_t n, void *ctx) {
    dstr_append(ctx, p, sz * n);
    return n;
}

/* POST /__fake/update {"text", "chat_id"?, "from_id"?, "chat_type"?}: the
 * update a user's message makes, posted to the webhook set (with its
 * secret, as Telegram sends it); answers {"update_id", "status", "body"}. */
static void post_update(tg_fake *f, const fake_request *req, fake_reply *out) {
    cJSON *in = cJSON_ParseWithLength(req->body, req->body_len);
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "text"));
    const cJSON *chat = cJSON_GetObjectItemCaseSensitive(in, "chat_id");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(in, "from_id");
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "chat_type"));
    pthread_mutex_lock(&f->lock);
    char *url = f->hook_url ? xstrdup(f->hook_url) : NULL;
    char *secret = f->hook_secret ? xstrdup(f->hook_secret) : NULL;
    long long id = ++f->next_update;
    pthread_mutex_unlock(&f->lock);
    if (!text || !url) {
        tg_error(out, 400, !text ? "want {\"text\": ...}" : "no webhook is set (setWebhook)");
    } else {
        long long chat_id = cJSON_IsNumber(chat) ? (long long)chat->valuedouble
                            : f->n_chats         ? atoll(f->chats[0])
                                                 : 4242;
        dstr up = {0}, answer = {0};
        dstr_printf(&up,
                    "{\"update_id\":%lld,\"message\":{\"message_id\":%lld,\"date\":%lld,"
                    "\"chat\":{\"id\":%lld,\"type\":",
                    id, id, (long long)time(NULL), chat_id);
        dstr_json_str(&up, type ? type : "private");
        dstr_printf(&up,
                    "},\"from\":{\"id\":%lld,\"is_bot\":false,\"first_name\":\"demo\"},"
                    "\"text\":",
                    cJSON_IsNumber(from) ? (long long)from->valuedouble : 7LL);
        dstr_json_str(&up, text);
        if (text[0] == '/')
            dstr_printf(&up,
                        ",\"entities\":[{\"type\":\"bot_command\",\"offset\":0,\"length\":%zu}]",
                        strcspn(text, " @"));
        dstr_puts(&up, "}}");
        CURL *c = curl_easy_init();
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
        dstr hdr = {0};
        if (secret) {
            dstr_printf(&hdr, "X-Telegram-Bot-Api-Secret-Token: %s", secret);
            h = curl_slist_append(h, hdr.ptr);
        }
        long status = 0;
        if (c) {
            curl_easy_setopt(c, CURLOPT_URL, url);
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, up.ptr);
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
            curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
            if (curl_easy_perform(c) == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_cleanup(c);
        }
        curl_slist_free_all(h);
        dstr_printf(&out->body, "{\"update_id\":%lld,\"status\":%ld,\"body\":", id, status);
        dstr_json_str(&out->body, dstr_cstr(&answer));
        dstr_putc(&out->body, '}');
        dstr_free(&hdr);
        dstr_free(&up);
        dstr_free(&answer);
    }
    free(url);
    free(secret);
    cJSON_Delete(in);
    fake_reply_header(out, "Content-Type", "application/json", 1);
}

static int on_control(void *ctx, const fake_request *req, fake_reply *out) {
    tg_fake *f = ctx;
    if (strcmp(req->path, "/__fake/update") == 0 && strcmp(req->method, "POST") == 0) {
        post_update(f, req, out);
        return 1;
    }
    if (strcmp(req->path, "/__fake/webhook") == 0 && strcmp(req->method, "GET") == 0) {
        webhook_json(f, 1, &out->body);
        fake_reply_header(out, "Content-Type", "application/json", 1);
        return 1;
    }
    if (strcmp(req->path, "/__fake/messages") != 0 || strcmp(req->method, "GET") != 0) return 0;
    pthread_mutex_lock(&f->lock);
    dstr_puts(&out->body, "{\"messages\":[");
    for (size_t i = 0; i < f->n_msgs; i++) {
        dstr_printf(&out->body, "%s{\"message_id\":%lld,\"chat_id\":", i ? "," : "",
                    f->msgs[i].message_id);
        dstr_json_str(&out->body, f->msgs[i].chat_id);
        dstr_puts(&out->body, ",\"text\":");
        dstr_json_str(&out->body, f->msgs[i].text);
        dstr_printf(&out->body, ",\"date\":%lld}", f->msgs[i].date);
    }
    dstr_puts(&out->body, "]}");
    pthread_mutex_unlock(&f->lock);
    fake_reply_header(out, "Content-Type", "application/json", 1);
    return 1;
}

static void drop_messages(tg_fake *f) {
    for (size_t i = 0; i < f->n_msgs; i++) {
        free(f->msgs[i].chat_id);
        free(f->msgs[i].text);
    }
    f->n_msgs = 0;
}

static void on_reset(void *ctx) {
    tg_fake *f = ctx;
    pthread_mutex_lock(&f->lock);
    drop_messages(f);
    drop_webhook(f);
    pthread_mutex_unlock(&f->lock);
}

/* ---- command line ------------------------------------------------------------ */

typedef struct options {
    long port;
    const char *port_file;
} options;

static void usage(FILE *to) {
    fprintf(to,
            "usage: fake_telegram [--port N] [--port-file FILE] [--token TOKEN] [--chat ID]...\n"
            "                     [--migrated OLD=NEW]\n"
            "  --port N          listen on 127.0.0.1:N (default 0: any free port)\n"
            "  --port-file F     write the chosen port to F once listening\n"
            "  --token TOKEN     the bot token it accepts (default " DEFAULT_TOKEN ")\n"
            "  --chat ID         a chat that exists (repeatable; default: every chat)\n"
            "  --migrated O=N    chat O became supergroup N (400 migrate_to_chat_id)\n");
}

static int parse_options(int argc, char **argv, options *o, tg_fake *f) {
    *o = (options){0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        int known = !strcmp(a, "--port") || !strcmp(a, "--port-file") || !strcmp(a, "--token") ||
                    !strcmp(a, "--chat") || !strcmp(a, "--migrated");
        if (!v || !known) {
            fprintf(stderr, "fake_telegram: %s: %s\n", a, v ? "unknown option" : "missing value");
            usage(stderr);
            return -1;
        }
        i++;
        if (strcmp(a, "--port") == 0) {
            char *end;
            errno = 0;
            long p = strtol(v, &end, 10);
            if (errno || *end || p < 0 || p > 65535) {
                fprintf(stderr, "fake_telegram: --port %s: want 0..65535\n", v);
                return -1;
            }
            o->port = p;
        } else if (strcmp(a, "--port-file") == 0) o->port_file = v;
        else if (strcmp(a, "--token") == 0) f->token = v;
        else if (strcmp(a, "--chat") == 0) {
            if (f->n_chats == MAX_CHATS) {
                fprintf(stderr, "fake_telegram: at most %d --chat\n", MAX_CHATS);
                return -1;
            }
            f->chats[f->n_chats++] = v;
        } else {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !cfg_valid_telegram_chat_id(eq + 1) || eq[1] == '@' ||
                (size_t)(eq - v) >= sizeof f->migrated_from) {
                fprintf(stderr, "fake_telegram: --migrated %s: want OLD=NEW (NEW an integer)\n", v);
                return -1;
            }
            snprintf(f->migrated_from, sizeof f->migrated_from, "%.*s", (int)(eq - v), v);
            snprintf(f->migrated_to, sizeof f->migrated_to, "%s", eq + 1);
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    tg_fake f = {.token = DEFAULT_TOKEN};
    options opt;
    if (parse_options(argc, argv, &opt, &f)) return 2;

    /* as fake_binance: SIGTERM always, SIGINT unless it came ignored */
    sigset_t stop_signals;
    gw_block_stop_signals(&stop_signals);
    signal(SIGPIPE, SIG_IGN);

    curl_global_init(CURL_GLOBAL_DEFAULT); /* before the connection threads post updates */
    pthread_mutex_init(&f.lock, NULL);
    dstr err = {0};
    int rc = 1;
    fake_http_hooks hooks = {.serve = on_serve,
                             .decorate = on_decorate,
                             .control = on_control,
                             .reset = on_reset,
                             .ctx = &f};
    fake_http *srv = fake_http_start((uint16_t)opt.port, &hooks, &err);
    if (!srv) {
        fprintf(stderr, "fake_telegram: %s\n", err.ptr);
        goto out;
    }
    unsigned port = fake_http_port(srv);
    if (opt.port_file && fake_write_port_file("fake_telegram", opt.port_file, port)) goto out;
    /* the token is a test value, but fakes stand in for real services: not printed */
    fprintf(stderr, "fake_telegram: listening on http://127.0.0.1:%u (%zu chats%s%s)\n", port,
            f.n_chats, f.migrated_from[0] ? ", migrated " : "",
            f.migrated_from[0] ? f.migrated_from : "");
    int sig;
    sigwait(&stop_signals, &sig);
    rc = 0;
out:
    fake_http_stop(srv);
    drop_messages(&f);
    drop_webhook(&f);
    free(f.msgs);
    pthread_mutex_destroy(&f.lock);
    curl_global_cleanup();
    dstr_free(&err);
    return rc;
}

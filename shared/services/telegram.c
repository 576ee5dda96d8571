/* telegram: the Bot API client of the operator channel (see telegram.h). */
#include "services/telegram.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "platform/clock.h"
#include "platform/log.h"
#include "platform/secret.h"

#define MAX_RETRY_AFTER_S (86400L * 7)

const char *telegram_status_name(telegram_status st) {
    switch (st) {
    case TELEGRAM_SENT: return "sent";
    case TELEGRAM_LATER: return "later";
    case TELEGRAM_REFUSED: return "refused";
    }
    return "unknown";
}

/* ---- UTF-8 / UTF-16 -------------------------------------------------------------- */

/* The code point at s[0..n): its byte length in *bytes (1 for an invalid
 * byte), its value, or -1 when invalid. */
static long decode(const unsigned char *s, size_t n, size_t *bytes) {
    *bytes = 1;
    unsigned c = s[0];
    if (c < 0x80) return c;
    size_t need;
    unsigned long cp, min;
    if (c >= 0xC2 && c <= 0xDF) need = 1, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) need = 2, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) need = 3, cp = c & 0x07, min = 0x10000;
    else return -1;
    if (n < need + 1) return -1;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    *bytes = need + 1;
    return (long)cp;
}

static size_t units_of(long cp) { return cp > 0xFFFF ? 2 : 1; }

size_t telegram_utf16_len(const char *text, size_t len) {
    size_t units = 0, b;
    for (size_t i = 0; i < len; i += b)
        units += units_of(decode((const unsigned char *)text + i, len - i, &b));
    return units;
}

void telegram_sanitize(const char *text, size_t len, dstr *out) {
    static const char replacement[] = "\xEF\xBF\xBD";
    size_t b, run = 0;
    dstr_reserve(out, len);
    for (size_t i = 0; i < len; i += b) {
        long cp = decode((const unsigned char *)text + i, len - i, &b);
        if (cp > 0) continue;
        dstr_append(out, text + run, i - run);
        dstr_append(out, replacement, 3);
        run = i + b;
    }
    dstr_append(out, text + run, len - run);
    if (!out->ptr) dstr_puts(out, "");
}

static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i])) return 0;
    return 1;
}

size_t telegram_split(const char *text, size_t len, size_t limit, telegram_chunk *out, size_t cap,
                      size_t *rest) {
    size_t n = 0, pos = 0, b;
    if (limit < 2) limit = 2; /* a surrogate pair must fit */
    for (;;) {
        while (pos < len && text[pos] == '\n') pos++;
        if (pos >= len || n == cap) break;
        size_t start = pos, i = pos, units = 0, line_end = 0;
        int have_line = 0;
        while (i < len) {
            size_t u = units_of(decode((const unsigned char *)text + i, len - i, &b));
            if (units + u > limit) break;
            if (text[i] == '\n') line_end = i, have_line = 1;
            units += u;
            i += b;
        }
        size_t end = i >= len ? len : have_line ? line_end : i;
        if (!blank(text + start, end - start)) out[n++] = (telegram_chunk){start, end - start};
        pos = end;
    }
    if (rest) *rest = pos < len && !blank(text + pos, len - pos) ? len - pos : 0;
    return n;
}

/* ---- the answer ------------------------------------------------------------------- */

static const cJSON *field(const cJSON *o, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A whole number within [min, max], else -1 (and *out untouched). */
static int whole(const cJSON *v, double min, double max, double *out) {
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < min ||
        v->valuedouble > max || v->valuedouble != floor(v->valuedouble))
        return -1;
    *out = v->valuedouble;
    return 0;
}

/* Up to cap - 1 bytes of s on one line, not cut inside a UTF-8 sequence. */
static void one_line(char *dst, size_t cap, const char *s) {
    size_t n = strlen(s);
    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    for (size_t i = 0; i < n; i++) dst[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    dst[n] = '\0';
}

int telegram_parse_answer(const char *body, size_t len, telegram_answer *out) {
    *out = (telegram_answer){.retry_after_s = -1};
    if (!body || len == 0 || len > TELEGRAM_ANSWER_MAX || memchr(body, '\0', len)) return -1;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *ok = field(root, "ok");
    if (!cJSON_IsObject(root) || !cJSON_IsBool(ok)) {
        cJSON_Delete(root);
        return -1;
    }
    out->ok = cJSON_IsTrue(ok);
    double v;
    if (whole(field(root, "error_code"), 100, 599, &v) == 0) out->error_code = (long)v;
    const cJSON *d = field(root, "description");
    if (cJSON_IsString(d)) one_line(out->description, sizeof out->description, d->valuestring);
    const cJSON *params = field(root, "parameters");
    if (cJSON_IsObject(params)) {
        if (whole(field(params, "retry_after"), 0, MAX_RETRY_AFTER_S, &v) == 0)
            out->retry_after_s = (long)v;
        /* chat ids fit 52 bits (Bot API): a double holds them exactly */
        if (whole(field(params, "migrate_to_chat_id"), -9007199254740991.0, 9007199254740991.0,
                  &v) == 0 &&
            v != 0)
            snprintf(out->migrate_to, sizeof out->migrate_to, "%lld", (long long)v);
    }
    const cJSON *result = field(root, "result");
    if (cJSON_IsObject(result) &&
        whole(field(result, "message_id"), 1, 9007199254740991.0, &v) == 0)
        out->message_id = (long long)v;
    cJSON_Delete(root);
    return 0;
}

long telegram_retry_delay_ms(const http_request *a) {
    if (a->err != HTTP_OK || a->status != 429) return HTTP_RETRY_DEFAULT;
    telegram_answer ans;
    if (telegram_parse_answer(dstr_cstr(&a->resp_body), a->resp_body.len, &ans) ||
        ans.retry_after_s < 0)
        return HTTP_RETRY_DEFAULT;
    return ans.retry_after_s * 1000L;
}

/* ---- the client ------------------------------------------------------------------- */

int telegram_client_init(telegram_client *t, const telegram_config *c, dstr *err) {
    memset(t, 0, sizeof *t);
    if (!c->token || !cfg_valid_telegram_token(c->token)) {
        dstr_error_line(err,
                        "TELEGRAM_BOT_TOKEN is missing or not a bot token (<digits>:<secret>)");
        return -1;
    }
    secret_register(c->token);
    if (!c->chat_id || !cfg_valid_telegram_chat_id(c->chat_id)) {
        dstr_error_line(err, "TELEGRAM_CHAT_ID '%.*s' is not a chat id (an integer or @channel)",
                        CFG_TELEGRAM_CHAT_ID_MAX, c->chat_id ? c->chat_id : "");
        return -1;
    }
    if (!c->base_url || !*c->base_url) {
        dstr_error_line(err, "TELEGRAM_BASE_URL is not set");
        return -1;
    }
    t->policy = (http_policy){.service = "telegram",
                              .timeout_ms = c->timeout_ms,
                              .retries = c->retries,
                              .backoff_ms = c->backoff_ms,
                              .retry_delay_ms = telegram_retry_delay_ms};
    t->base_url = c->base_url;
    t->token = c->token;
    snprintf(t->chat_id, sizeof t->chat_id, "%s", c->chat_id);
    return 0;
}

/* One sendMessage of a batch. */
typedef struct part {
    size_t msg;
    dstr text;
    http_request req;
    int prepared, migrated;
    telegram_status status;
    long http_status, error_code, retry_after_s;
    long long message_id;
    char why[TELEGRAM_DESCRIPTION_MAX + 64];
} part;

static void prepare(const telegram_client *t, part *p) {
    dstr url = {0};
    dstr_printf(&url, "%s/bot%s/sendMessage", t->base_url, t->token);
    if (p->prepared) http_request_free(&p->req);
    http_request_init(&p->req, "POST", url.ptr, &t->policy);
    dstr_free(&url);
    p->prepared = 1;
    p->req.idempotent = 1; /* at least once: a repeat is better than a lost alert */
    http_request_header(&p->req, "Content-Type", "application/json");
    dstr_puts(&p->req.body, "{\"chat_id\":");
    dstr_json_str(&p->req.body, t->chat_id);
    dstr_puts(&p->req.body, ",\"text\":");
    dstr_json_strn(&p->req.body, p->text.ptr, p->text.len);
    dstr_putc(&p->req.body, '}');
}

/* The part's "(k/n) " and chunk. */
static void part_text(part *p, const char *text, telegram_chunk c, size_t k, size_t n) {
    if (n > 1) dstr_printf(&p->text, "(%zu/%zu) ", k + 1, n);
    dstr_append(&p->text, text + c.off, c.len);
}

/* "head: tail" (or head alone), scrubbed: secrets never reach a result. */
static void set_why(part *p, const char *head, const char *tail) {
    dstr w = {0};
    dstr_puts(&w, head);
    if (tail && *tail) dstr_printf(&w, ": %s", tail);
    secret_scrub(&w);
    one_line(p->why, sizeof p->why, w.ptr);
    dstr_free(&w);
}

/* The outcome of p's request; 1 when it asks to follow a migration to *to. */
static int judge(part *p, char *to, size_t cap) {
    const http_request *r = &p->req;
    telegram_answer a;
    p->http_status = r->status;
    p->error_code = 0;
    p->retry_after_s = -1;
    p->why[0] = '\0';
    if (r->err != HTTP_OK) {
        p->status = TELEGRAM_LATER;
        char head[64];
        snprintf(head, sizeof head, "no answer: %s", http_err_name(r->err));
        set_why(p, head, r->errmsg);
        return 0;
    }
    int parsed = telegram_parse_answer(dstr_cstr(&r->resp_body), r->resp_body.len, &a) == 0;
    if (parsed) {
        p->error_code = a.error_code;
        p->retry_after_s = a.retry_after_s;
    }
    if (r->status >= 200 && r->status < 300) {
        if (parsed && a.ok) {
            p->status = TELEGRAM_SENT;
            p->message_id = a.message_id;
            return 0;
        }
        p->status = TELEGRAM_LATER;
        set_why(p, "a 2xx answer that is not a Bot API success", NULL);
        return 0;
    }
    char code[32];
    snprintf(code, sizeof code, "HTTP %ld", r->status);
    const char *said = parsed && a.description[0] ? a.description : "no description";
    if (r->status == 400 && parsed && a.migrate_to[0] && !p->migrated) {
        snprintf(to, cap, "%s", a.migrate_to);
        p->status = TELEGRAM_LATER;
        set_why(p, code, said);
        return 1;
    }
    if (r->status == 429 || r->status >= 500) {
        p->status = TELEGRAM_LATER;
        if (r->status == 429 && p->retry_after_s >= 0) {
            char w[96];
            snprintf(w, sizeof w,
                     "retry after %ld s (not waited: past the deadline or the retries)",
                     p->retry_after_s);
            set_why(p, code, w);
        } else set_why(p, code, said);
        return 0;
    }
    p->status = TELEGRAM_REFUSED;
    set_why(p, code, said);
    return 0;
}

static void log_failed(const telegram_result *res) {
    log_rec *lr = log_begin(LOG_WARN, "telegram.failed");
    log_str(lr, "status", telegram_status_name(res->status));
    log_int(lr, "http_status", res->http_status);
    if (res->error_code) log_int(lr, "error_code", res->error_code);
    log_str(lr, "description", res->description);
    if (res->retry_after_s >= 0) log_int(lr, "retry_after_s", res->retry_after_s);
    log_int(lr, "parts", (long long)res->parts);
    log_int(lr, "parts_sent", (long long)res->parts_sent);
    log_end(lr);
}

/* Folds the parts into their messages' results (the worst part decides). */
static size_t summarise(part *parts, size_t np, telegram_msg *msgs, size_t n) {
    size_t sent = 0;
    for (size_t i = 0; i < np; i++) {
        telegram_result *res = &msgs[parts[i].msg].res;
        part *p = &parts[i];
        if (p->status == TELEGRAM_SENT) {
            res->parts_sent++;
            if (!res->message_id) res->message_id = p->message_id;
            continue;
        }
        if (res->status == TELEGRAM_REFUSED && p->status != TELEGRAM_REFUSED) continue;
        if (res->status == TELEGRAM_LATER && p->status == TELEGRAM_LATER && res->description[0])
            continue;
        res->status = p->status;
        res->http_status = p->http_status;
        res->error_code = p->error_code;
        res->retry_after_s = p->retry_after_s;
        snprintf(res->description, sizeof res->description, "%s", p->why);
    }
    for (size_t m = 0; m < n; m++) {
        telegram_result *res = &msgs[m].res;
        if (res->status == TELEGRAM_SENT && res->parts_sent == res->parts && res->parts > 0) sent++;
        else if (res->status == TELEGRAM_SENT) { /* no part at all: nothing to say */
            res->status = TELEGRAM_REFUSED;
            snprintf(res->description, sizeof res->description, "empty text: nothing to send");
        }
        if (res->status != TELEGRAM_SENT) log_failed(res);
    }
    return sent;
}

static size_t split_messages(telegram_msg *msgs, size_t n, part **out) {
    size_t np = 0, cap = 0;
    part *parts = NULL;
    for (size_t m = 0; m < n; m++) {
        telegram_result *res = &msgs[m].res;
        *res = (telegram_result){.status = TELEGRAM_SENT, .retry_after_s = -1};
        dstr clean = {0};
        const char *text = msgs[m].text ? msgs[m].text : "";
        telegram_sanitize(text, strlen(text), &clean);
        telegram_chunk chunks[TELEGRAM_PARTS_MAX];
        size_t rest = 0, k = 0;
        if (telegram_utf16_len(clean.ptr, clean.len) <= TELEGRAM_TEXT_MAX)
            k = telegram_split(clean.ptr, clean.len, TELEGRAM_TEXT_MAX, chunks, 1, &rest);
        if (k == 0 || rest)
            k = telegram_split(clean.ptr, clean.len, TELEGRAM_TEXT_MAX - TELEGRAM_PART_RESERVE,
                               chunks, TELEGRAM_PARTS_MAX, &rest);
        res->truncated = rest != 0;
        res->parts = k;
        if (np + k > cap) {
            cap = (np + k) * 2;
            parts = realloc(parts, cap * sizeof *parts);
            if (!parts) abort();
        }
        for (size_t i = 0; i < k; i++) {
            part *p = &parts[np++];
            memset(p, 0, sizeof *p);
            p->msg = m;
            part_text(p, clean.ptr, chunks[i], i, k);
        }
        dstr_free(&clean);
    }
    *out = parts;
    return np;
}

static void run_round(http_client *h, part *parts, size_t np, int only_migrated,
                      int64_t deadline_ms) {
    http_request **batch = calloc(np ? np : 1, sizeof *batch);
    if (!batch) abort();
    size_t nb = 0;
    for (size_t i = 0; i < np; i++)
        if (!only_migrated || parts[i].migrated == 1) batch[nb++] = &parts[i].req;
    if (nb) http_run(h, batch, nb, deadline_ms);
    free(batch);
}

size_t telegram_send_batch(http_client *h, telegram_client *t, telegram_msg *msgs, size_t n,
                           int64_t deadline_ms) {
    if (n == 0) return 0;
    int64_t started = clock_mono_ms();
    part *parts = NULL;
    size_t np = split_messages(msgs, n, &parts);
    for (size_t i = 0; i < np; i++) prepare(t, &parts[i]);
    run_round(h, parts, np, 0, deadline_ms);

    /* a migrated group: every part that met it goes again to the new chat */
    char to[CFG_TELEGRAM_CHAT_ID_MAX + 1] = "", from[sizeof t->chat_id];
    int migrate = 0;
    for (size_t i = 0; i < np; i++) {
        char said[sizeof to] = "";
        if (judge(&parts[i], said, sizeof said) && cfg_valid_telegram_chat_id(said)) {
            parts[i].migrated = 1;
            if (!migrate) snprintf(to, sizeof to, "%s", said);
            migrate = 1;
        }
    }
    if (migrate) {
        snprintf(from, sizeof from, "%s", t->chat_id);
        snprintf(t->chat_id, sizeof t->chat_id, "%s", to);
        log_rec *lr = log_begin(LOG_WARN, "telegram.migrated");
        log_str(lr, "from", from);
        log_str(lr, "to", to);
        log_str(lr, "hint", "set TELEGRAM_CHAT_ID to the new id");
        log_end(lr);
        for (size_t i = 0; i < np; i++) {
            if (parts[i].migrated != 1) continue;
            prepare(t, &parts[i]);
            snprintf(msgs[parts[i].msg].res.migrated_to, sizeof msgs[0].res.migrated_to, "%s", to);
        }
        run_round(h, parts, np, 1, deadline_ms);
        for (size_t i = 0; i < np; i++)
            if (parts[i].migrated == 1) {
                parts[i].migrated = 2; /* once: a second migration is not followed */
                char ignored[sizeof to];
                judge(&parts[i], ignored, sizeof ignored);
            }
    }

    size_t sent = summarise(parts, np, msgs, n);
    size_t later = 0, refused = 0;
    for (size_t m = 0; m < n; m++) {
        later += msgs[m].res.status == TELEGRAM_LATER;
        refused += msgs[m].res.status == TELEGRAM_REFUSED;
    }
    log_rec *lr = log_begin(later || refused ? LOG_WARN : LOG_INFO, "telegram.send");
    log_int(lr, "messages", (long long)n);
    log_int(lr, "parts", (long long)np);
    log_int(lr, "sent", (long long)sent);
    log_int(lr, "later", (long long)later);
    log_int(lr, "refused", (long long)refused);
    log_str(lr, "chat_id", t->chat_id);
    log_int(lr, "elapsed_ms", clock_mono_ms() - started);
    log_end(lr);
    for (size_t i = 0; i < np; i++) {
        if (parts[i].prepared) http_request_free(&parts[i].req);
        dstr_free(&parts[i].text);
    }
    free(parts);
    return sent;
}

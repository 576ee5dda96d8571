/* telegram_update: the webhook's Update JSON (see telegram_update.h). */
#include "services/telegram_update.h"

#include <cJSON.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

#define WHOLE_MAX 9007199254740992.0 /* 2^53: beyond it a double is no longer exact */

static const char *const message_kinds[] = {"message", "edited_message", "channel_post"};

/* obj's member name as a whole number within [min, WHOLE_MAX]: 0, else -1. */
static int whole(const cJSON *obj, const char *name, double min, int64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= min) || v->valuedouble > WHOLE_MAX ||
        v->valuedouble != floor(v->valuedouble))
        return -1;
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* The bot_command entity at offset 0, if any: its length in units, else 0. */
static size_t command_length(const cJSON *msg) {
    const cJSON *ents = cJSON_GetObjectItemCaseSensitive(msg, "entities");
    const cJSON *e, *list = cJSON_IsArray(ents) ? ents : NULL;
    cJSON_ArrayForEach(e, list) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
        int64_t off, len;
        if (cJSON_IsString(type) && strcmp(type->valuestring, "bot_command") == 0 &&
            whole(e, "offset", 0, &off) == 0 && off == 0 && whole(e, "length", 2, &len) == 0 &&
            len <= 1 + TELEGRAM_UPDATE_COMMAND_MAX + 1 + 64)
            return (size_t)len;
    }
    return 0;
}

/* "/name[@bot]" text[0..n): the lowercased name into out, 0; -1 when not a command. */
static int command_name(const char *text, size_t n, char *out) {
    if (strlen(text) < n || text[0] != '/') return -1;
    size_t name = strspn(text + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_");
    if (name == 0 || name > TELEGRAM_UPDATE_COMMAND_MAX || name + 1 > n) return -1;
    if (name + 1 < n) { /* the rest of the entity is "@botname" */
        const char *at = text + 1 + name;
        size_t bot = n - name - 1;
        if (at[0] != '@' ||
            strspn(at + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") <
                bot - 1)
            return -1;
    }
    for (size_t i = 0; i < name; i++) out[i] = (char)tolower((unsigned char)text[1 + i]);
    out[name] = '\0';
    return 0;
}

/* The text after the command: trimmed, its first line, at most ARGS_MAX
 * bytes, cut on a character, printable ASCII kept as is and everything
 * else dropped (the commands' arguments are ASCII words). */
static void command_args(const char *rest, char *out) {
    size_t k = 0;
    while (*rest == ' ' || *rest == '\t') rest++;
    for (; *rest && *rest != '\n' && *rest != '\r' && k < TELEGRAM_UPDATE_ARGS_MAX; rest++)
        if ((unsigned char)*rest >= 0x20 && (unsigned char)*rest < 0x7f) out[k++] = *rest;
    while (k > 0 && out[k - 1] == ' ') k--;
    out[k] = '\0';
}

static const char *parse_message(const cJSON *msg, telegram_update *out) {
    const cJSON *chat = cJSON_GetObjectItemCaseSensitive(msg, "chat");
    if (!cJSON_IsObject(chat) || whole(chat, "id", -WHOLE_MAX, &out->chat_id))
        return "the message has no chat with a whole id";
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(chat, "type");
    if (cJSON_IsString(type) && strlen(type->valuestring) < sizeof out->chat_type)
        memcpy(out->chat_type, type->valuestring, strlen(type->valuestring) + 1);
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(msg, "from");
    if (whole(from, "id", 1, &out->from_id)) out->from_id = 0;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(msg, "text");
    size_t n = cJSON_IsString(text) ? command_length(msg) : 0;
    if (n && command_name(text->valuestring, n, out->command) == 0)
        command_args(text->valuestring + n, out->args);
    return NULL;
}

int telegram_parse_update(const char *body, size_t len, telegram_update *out, dstr *why) {
    *out = (telegram_update){.kind = ""};
    const char *broken = NULL;
    cJSON *root = NULL;
    if (!body || len > TELEGRAM_UPDATE_MAX) broken = "the update is missing or too large";
    else if (memchr(body, '\0', len)) broken = "the update holds a NUL byte";
    else if (!cJSON_IsObject(root = cJSON_ParseWithLength(body, len)))
        broken = "the update is not a JSON object";
    else if (whole(root, "update_id", 0, &out->update_id))
        broken = "the update has no whole update_id";
    for (size_t i = 0; !broken && i < sizeof message_kinds / sizeof *message_kinds; i++) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, message_kinds[i]);
        if (!msg) continue;
        if (!cJSON_IsObject(msg) || (broken = parse_message(msg, out)) != NULL) {
            if (!broken) broken = "the message is not an object";
            break;
        }
        out->has_message = 1;
        out->kind = message_kinds[i];
        break;
    }
    cJSON_Delete(root);
    if (!broken) return 0;
    *out = (telegram_update){.kind = ""};
    if (why) dstr_puts(why, broken);
    return -1;
}

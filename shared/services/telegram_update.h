/* telegram_update: a Telegram Update, as the webhook receives it, parsed
 * (service; outside input: whoever knows the webhook's secret can send any
 * bytes).
 *
 * Contract: telegram_parse_update() takes the JSON body of a webhook POST,
 * {"update_id": N, "message"|"edited_message"|"channel_post": {...}} (the
 * first of those three present wins), and keeps what the commands need:
 * the update id, the chat's id and type, the sender's id, and the command.
 * A command is a "bot_command" entity at offset 0 of the text: "/status",
 * "/status@SomeBot" (the bot's name is dropped), its name lowercased; what
 * follows it (trimmed, at most TELEGRAM_UPDATE_ARGS_MAX bytes, one line)
 * is its argument text ("confirm", "reset"). Entity offsets count UTF-16
 * units; a command is ASCII, so its units are its bytes, and one that is
 * not (or not [A-Za-z0-9_] after the '/') is no command. Other kinds of
 * update (callback queries, member changes) parse with has_message 0.
 * Refused (-1, why appended, *out zeroed): over TELEGRAM_UPDATE_MAX bytes,
 * a NUL inside, not a JSON object, no whole update_id in 0..2^53, a message
 * whose chat.id is not a whole number within +-2^53. Fields of a wrong type
 * elsewhere (from.id a string, text a number) are taken as absent. Of
 * duplicated keys the first counts (cJSON). */
#ifndef TELEGRAM_UPDATE_H
#define TELEGRAM_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dstr.h"

#define TELEGRAM_UPDATE_MAX (1 << 20)  /* bytes of an update the parser reads */
#define TELEGRAM_UPDATE_COMMAND_MAX 32 /* bytes of a command's name */
#define TELEGRAM_UPDATE_ARGS_MAX 64    /* bytes of its argument text kept */

typedef struct telegram_update {
    int64_t update_id;
    int has_message;    /* a message, edited_message or channel_post */
    const char *kind;   /* "message", "edited_message", "channel_post"; "" when none */
    int64_t chat_id;    /* the chat it was posted in */
    char chat_type[16]; /* "private", "group", "supergroup", "channel"; "" unknown */
    int64_t from_id;    /* the sender; 0 when absent (channel posts) */
    char command[TELEGRAM_UPDATE_COMMAND_MAX + 1]; /* "status"; "" when no command */
    char args[TELEGRAM_UPDATE_ARGS_MAX + 1];       /* "confirm"; "" */
} telegram_update;

/* Parses body[0..len) (see the contract): 0, or -1 with why appended. */
int telegram_parse_update(const char *body, size_t len, telegram_update *out, dstr *why);

#endif

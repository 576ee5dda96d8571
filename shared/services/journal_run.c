/* journal_run: one create-only record per finished run (see journal_run.h). */
#include "services/journal_run.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

#include "platform/config.h"
#include "services/recordkey.h"

int journal_run_check(const journal_run *r, dstr *why) {
    const char *broken = NULL;
    cJSON *actions = r && r->actions_json ? cJSON_Parse(r->actions_json) : NULL;
    if (!r) broken = "no run";
    else if (!journal_valid_id(r->run_id, JOURNAL_ID_MAX))
        broken = "run_id must be 1-128 of A-Z a-z 0-9 . _ : -";
    else if (!journal_valid_word(r->trigger, JOURNAL_WORD_MAX))
        broken = "trigger must be 1-32 of a-z 0-9 _";
    else if (r->trigger_id && !journal_valid_id(r->trigger_id, JOURNAL_ID_MAX))
        broken = "trigger_id must be 1-128 of A-Z a-z 0-9 . _ : -";
    else if (r->started_ms < 0 || r->started_ms > RECORDKEY_MAX_AT_MS)
        broken = "started_ms must be unix ms from 1970 to 9999";
    else if (r->finished_ms < r->started_ms || r->finished_ms > RECORDKEY_MAX_AT_MS)
        broken = "finished_ms must be unix ms, not before started_ms";
    else if (r->n_symbols > JOURNAL_RUN_SYMBOLS_MAX || (r->n_symbols && !r->symbols))
        broken = "at most 64 symbols";
    else if (r->actions_json && !cJSON_IsArray(actions)) broken = "actions must be a JSON array";
    else if (!journal_valid_word(r->outcome, JOURNAL_WORD_MAX))
        broken = "outcome must be 1-32 of a-z 0-9 _";
    else if (r->build && !journal_valid_tag(r->build, JOURNAL_TAG_MAX))
        broken = "build must be 1-64 of A-Z a-z 0-9 . _ : + -";
    else if (r->config_hash && !journal_valid_tag(r->config_hash, JOURNAL_TAG_MAX))
        broken = "config_hash must be 1-64 of A-Z a-z 0-9 . _ : + -";
    for (size_t i = 0; !broken && r && i < r->n_symbols; i++)
        if (!r->symbols[i] || !cfg_valid_symbol(r->symbols[i]))
            broken = "every symbol must be 2-20 uppercase letters or digits";
    cJSON_Delete(actions);
    if (!broken) return 0;
    if (why) dstr_puts(why, broken);
    return -1;
}

void journal_run_json(const journal_run *r, dstr *out) {
    dstr_puts(out, "{\"run_id\":");
    dstr_json_str(out, r->run_id);
    dstr_puts(out, ",\"trigger\":");
    dstr_json_str(out, r->trigger);
    dstr_puts(out, ",\"trigger_id\":");
    dstr_json_str(out, r->trigger_id);
    dstr_printf(out, ",\"started_ms\":%lld,\"finished_ms\":%lld,\"execute\":%s,\"symbols\":[",
                (long long)r->started_ms, (long long)r->finished_ms, r->execute ? "true" : "false");
    for (size_t i = 0; i < r->n_symbols; i++) {
        if (i) dstr_putc(out, ',');
        dstr_json_str(out, r->symbols[i]);
    }
    dstr_puts(out, "],\"actions\":");
    dstr_puts(out, r->actions_json ? r->actions_json : "[]");
    dstr_puts(out, ",\"outcome\":");
    dstr_json_str(out, r->outcome);
    dstr_puts(out, ",\"build\":");
    dstr_json_str(out, r->build);
    dstr_puts(out, ",\"config_hash\":");
    dstr_json_str(out, r->config_hash);
    dstr_putc(out, '}');
}

int journal_run_key(const journal_run *r, char *buf, size_t cap) {
    char stem[JOURNAL_ID_MAX + 64];
    if (journal_run_check(r, NULL) ||
        recordkey_stem(JOURNAL_RUN_PREFIX, r->started_ms, r->run_id, stem, sizeof stem))
        return -1;
    int n = snprintf(buf, cap, "%s.json", stem);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

journal_status journal_run_put(store *s, const journal_run *r, dstr *key_out, dstr *err) {
    dstr why = {0}, json = {0};
    char key[JOURNAL_ID_MAX + 64];
    journal_status st = JOURNAL_INVALID;
    if (key_out) dstr_clear(key_out);
    if (journal_run_check(r, &why) == 0) journal_run_json(r, &json);
    if (why.len || journal_run_key(r, key, sizeof key)) {
        if (!why.len) dstr_puts(&why, "no key for this run");
        journal_log_unwritten("run", NULL, NULL, dstr_cstr(&why), json.ptr, json.len);
        dstr_error_line(err, "run record not written: %s", dstr_cstr(&why));
    } else {
        st = journal_put_exact(s, "run", NULL, key, json.ptr, json.len, err);
        if (st == JOURNAL_OK && key_out) dstr_puts(key_out, key);
    }
    dstr_free(&why);
    dstr_free(&json);
    return st;
}

/* ---- reading ------------------------------------------------------------------------ */

static int symbols_ok(const cJSON *arr, size_t *n) {
    if (!cJSON_IsArray(arr)) return -1;
    *n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        if (!cJSON_IsString(v) || !cfg_valid_symbol(v->valuestring) ||
            ++*n > JOURNAL_RUN_SYMBOLS_MAX)
            return -1;
    }
    return 0;
}

int journal_run_parse(const char *json, size_t len, journal_run_info *out, dstr *why) {
    *out = (journal_run_info){0};
    cJSON *obj = json ? cJSON_ParseWithLength(json, len) : NULL;
    const cJSON *execute = cJSON_GetObjectItemCaseSensitive(obj, "execute");
    const cJSON *actions = cJSON_GetObjectItemCaseSensitive(obj, "actions");
    const char *broken = NULL;
    if (!cJSON_IsObject(obj)) broken = "not a JSON object";
    else if (journal_json_text(obj, "run_id", 0, journal_valid_id, JOURNAL_ID_MAX, out->run_id,
                               sizeof out->run_id))
        broken = "run_id is not an id";
    else if (journal_json_text(obj, "trigger", 0, journal_valid_word, JOURNAL_WORD_MAX,
                               out->trigger, sizeof out->trigger))
        broken = "trigger is not a word";
    else if (journal_json_text(obj, "trigger_id", 1, journal_valid_id, JOURNAL_ID_MAX,
                               out->trigger_id, sizeof out->trigger_id))
        broken = "trigger_id is not an id";
    else if (journal_json_ms(obj, "started_ms", &out->started_ms) ||
             journal_json_ms(obj, "finished_ms", &out->finished_ms) ||
             out->finished_ms < out->started_ms)
        broken = "started_ms and finished_ms are not unix ms in order";
    else if (!cJSON_IsBool(execute)) broken = "execute is not a bool";
    else if (symbols_ok(cJSON_GetObjectItemCaseSensitive(obj, "symbols"), &out->n_symbols))
        broken = "symbols is not an array of at most 64 symbols";
    else if (!cJSON_IsArray(actions)) broken = "actions is not an array";
    else if (journal_json_text(obj, "outcome", 0, journal_valid_word, JOURNAL_WORD_MAX,
                               out->outcome, sizeof out->outcome))
        broken = "outcome is not a word";
    else if (journal_json_stamp(obj, out->build, out->config_hash))
        broken = "build or config_hash is not a tag";
    if (!broken) {
        out->execute = cJSON_IsTrue(execute);
        out->n_actions = (size_t)cJSON_GetArraySize(actions);
    }
    cJSON_Delete(obj);
    if (!broken) return 0;
    *out = (journal_run_info){0};
    if (why) dstr_puts(why, broken);
    return -1;
}

typedef struct latest_run {
    journal_run_info *out;
    dstr *json_out;
    dstr buf, why;
    int found;
} latest_run;

static journal_step visit_run(void *ctx, store *s, const char *key) {
    latest_run *l = ctx;
    if (journal_load(s, key, &l->buf)) return JOURNAL_WALK_MORE;
    dstr_clear(&l->why);
    if (journal_run_parse(l->buf.ptr, l->buf.len, l->out, &l->why)) {
        journal_warn_corrupt(key, l->buf.len, dstr_cstr(&l->why));
        return JOURNAL_WALK_MORE;
    }
    if (l->json_out) {
        dstr_clear(l->json_out);
        dstr_append(l->json_out, l->buf.ptr, l->buf.len);
    }
    l->found = 1;
    return JOURNAL_WALK_DONE;
}

journal_status journal_latest_run(store *s, journal_run_info *out, dstr *json_out, dstr *err) {
    *out = (journal_run_info){0};
    if (json_out) dstr_clear(json_out);
    latest_run l = {.out = out, .json_out = json_out};
    journal_walk w = {.root = JOURNAL_RUN_PREFIX, .ext = ".json", .visit = visit_run, .ctx = &l};
    int rc = journal_walk_newest(s, &w, err);
    dstr_free(&l.buf);
    dstr_free(&l.why);
    if (rc) {
        *out = (journal_run_info){0};
        if (json_out) dstr_clear(json_out);
        return JOURNAL_UNAVAILABLE;
    }
    return l.found ? JOURNAL_OK : JOURNAL_NOT_FOUND;
}

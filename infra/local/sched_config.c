/* sched_config: strict scheduler.yaml parsing (libyaml document API). */
#include "sched_config.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "gw_file.h"
#include "gw_routes.h"

#define SC_MAX_FILE (4 * 1024 * 1024)

typedef struct sc_ctx {
    yaml_document_t *doc;
    const char *source;
    char *err;
    size_t errlen;
} sc_ctx;

__attribute__((format(printf, 3, 4))) static int sc_fail(sc_ctx *x, const yaml_node_t *at,
                                                         const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->errlen, "%s:%lu: %s", x->source,
             at ? (unsigned long)at->start_mark.line + 1 : 1ul, msg);
    return -1;
}

static const char *sc_scalar(const yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int sc_name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static char *sc_dup(const char *s) {
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

void sched_schedule_arn(char *out, size_t cap, const char *region, const char *name) {
    snprintf(out, cap, "arn:aws:scheduler:%s:000000000000:schedule/default/%s", region, name);
}

int sched_input_render(const char *tmpl, const sched_vars *v, dstr *out, char *err, size_t errlen) {
    char attempt[16];
    snprintf(attempt, sizeof attempt, "%d", v->attempt);
    const struct {
        const char *key, *val;
    } subs[] = {{"<aws.scheduler.schedule-arn>", v->schedule_arn},
                {"<aws.scheduler.scheduled-time>", v->scheduled_time},
                {"<aws.scheduler.execution-id>", v->execution_id},
                {"<aws.scheduler.attempt-number>", attempt}};
    size_t start = out->len;
    const char *p = tmpl;
    while (*p) {
        size_t i = 0;
        for (; i < sizeof subs / sizeof subs[0]; i++)
            if (strncmp(p, subs[i].key, strlen(subs[i].key)) == 0) break;
        if (i < sizeof subs / sizeof subs[0]) {
            dstr_puts(out, subs[i].val ? subs[i].val : "");
            p += strlen(subs[i].key);
        } else {
            dstr_putc(out, *p++);
        }
    }
    /* the whole text, NUL included: cJSON alone would take "0-x" as the number 0 */
    cJSON *j = cJSON_ParseWithLengthOpts(out->ptr + start, out->len - start + 1, NULL, 1);
    if (!j) {
        snprintf(err, errlen, "input is not valid JSON after substituting placeholders");
        return -1;
    }
    cJSON_Delete(j);
    return 0;
}

static int sc_entry_field(sc_ctx *x, sched_entry *e, const char *key, const yaml_node_t *val) {
    const char *s = sc_scalar(val);
    if (!s) return sc_fail(x, val, "'%s' must be a single value (quote JSON input)", key);
    if (!*s) return sc_fail(x, val, "'%s' is empty", key);
    char msg[256];
    if (strcmp(key, "name") == 0) {
        if (!sc_name_ok(s)) return sc_fail(x, val, "name '%s': use 1-64 of [A-Za-z0-9._-]", s);
        e->name = sc_dup(s);
    } else if (strcmp(key, "function") == 0) {
        if (!gw_function_name_ok(s))
            return sc_fail(x, val, "function '%s': use 1-64 of [A-Za-z0-9_-]", s);
        e->function = sc_dup(s);
    } else if (strcmp(key, "expression") == 0) {
        if (sched_expr_parse(s, &e->expr, msg, sizeof msg) != 0) return sc_fail(x, val, "%s", msg);
        e->expression = sc_dup(s);
    } else if (strcmp(key, "timezone") == 0) {
        if (!(e->tz = tzone_load(s, msg, sizeof msg))) return sc_fail(x, val, "%s", msg);
        e->timezone = sc_dup(s);
    } else if (strcmp(key, "enabled") == 0) {
        if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
            return sc_fail(x, val, "enabled must be true or false, not '%s'", s);
        e->enabled = strcmp(s, "true") == 0;
    } else if (strcmp(key, "input") == 0) {
        if (strlen(s) > SCHED_MAX_INPUT) return sc_fail(x, val, "%s", "input is larger than 1 MB");
        dstr probe = {0};
        sched_vars sample = {"arn:aws:scheduler:us-east-1:000000000000:schedule/default/x",
                             "2022-03-22T18:59:43Z", "00000000-0000-4000-8000-000000000000", 1};
        int rc = sched_input_render(s, &sample, &probe, msg, sizeof msg);
        dstr_free(&probe);
        if (rc != 0) return sc_fail(x, val, "%s", msg);
        e->input = sc_dup(s);
    } else {
        return sc_fail(x, val,
                       "unknown key '%s' (known: name, function, expression, timezone, "
                       "enabled, input)",
                       key);
    }
    return 0;
}

static int sc_entry(sc_ctx *x, const yaml_node_t *n, sched_entry *e) {
    e->enabled = 1;
    e->line = (int)n->start_mark.line + 1;
    if (n->type != YAML_MAPPING_NODE)
        return sc_fail(x, n, "%s", "each schedule must be a mapping (name, function, ...)");
    unsigned seen = 0;
    static const char *const keys[] = {"name",     "function", "expression",
                                       "timezone", "enabled",  "input"};
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
        const char *key = sc_scalar(k);
        if (!key) return sc_fail(x, k, "%s", "keys must be plain words");
        for (unsigned i = 0; i < 6; i++)
            if (strcmp(key, keys[i]) == 0) {
                if (seen & (1u << i)) return sc_fail(x, k, "duplicate key '%s'", key);
                seen |= 1u << i;
            }
        if (sc_entry_field(x, e, key, v) != 0) return -1;
    }
    for (unsigned i = 0; i < 3; i++)
        if (!(seen & (1u << i))) return sc_fail(x, n, "schedule without '%s'", keys[i]);
    if (e->timezone && e->expr.kind == SCHED_RATE)
        return sc_fail(x, n, "schedule '%s': timezone only applies to cron() expressions", e->name);
    if (!e->input) e->input = sc_dup("{}");
    return 0;
}

static void sc_entry_free(sched_entry *e) {
    free(e->name);
    free(e->function);
    free(e->expression);
    free(e->timezone);
    free(e->input);
    tzone_free(e->tz);
}

static int sc_root(sc_ctx *x, sched_config *out) {
    const yaml_node_t *root = yaml_document_get_root_node(x->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return sc_fail(x, root, "%s", "expected a mapping with the key 'schedules'");
    const yaml_node_t *list = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
        const char *key = sc_scalar(k);
        if (!key || strcmp(key, "schedules") != 0)
            return sc_fail(x, k, "unknown top-level key '%s' (only 'schedules')", key ? key : "?");
        if (list) return sc_fail(x, k, "%s", "duplicate key 'schedules'");
        list = yaml_document_get_node(x->doc, p->value);
    }
    if (!list) return sc_fail(x, root, "%s", "missing 'schedules'");
    const char *s = sc_scalar(list);
    if (s && (!*s || strcmp(s, "null") == 0 || strcmp(s, "~") == 0)) return 0; /* none */
    if (list->type != YAML_SEQUENCE_NODE)
        return sc_fail(x, list, "%s", "'schedules' must be a list");
    size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    out->items = calloc(n ? n : 1, sizeof *out->items);
    if (!out->items) abort();
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item =
            yaml_document_get_node(x->doc, list->data.sequence.items.start[i]);
        sched_entry *e = &out->items[out->n++];
        if (sc_entry(x, item, e) != 0) return -1;
        for (size_t j = 0; j + 1 < out->n; j++)
            if (strcmp(out->items[j].name, e->name) == 0)
                return sc_fail(x, item, "duplicate schedule name '%s'", e->name);
    }
    return 0;
}

int sched_config_parse(const char *text, size_t len, const char *source, sched_config *out,
                       char *err, size_t errlen) {
    *out = (sched_config){0};
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) abort();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    sc_ctx x = {&doc, source, err, errlen};
    int rc = 0;
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "%s:%lu: YAML error: %s%s%s", source,
                 (unsigned long)parser.problem_mark.line + 1, parser.problem ? parser.problem : "?",
                 parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return -1;
    }
    rc = sc_root(&x, out);
    yaml_document_delete(&doc);
    if (rc == 0) { /* one document only */
        if (!yaml_parser_load(&parser, &doc)) {
            snprintf(err, errlen, "%s:%lu: YAML error: %s", source,
                     (unsigned long)parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "?");
            rc = -1;
        } else {
            if (yaml_document_get_root_node(&doc)) {
                snprintf(err, errlen, "%s: only one YAML document is allowed", source);
                rc = -1;
            }
            yaml_document_delete(&doc);
        }
    }
    yaml_parser_delete(&parser);
    if (rc != 0) sched_config_free(out);
    return rc;
}

int sched_config_load(const char *path, sched_config *out, char *err, size_t errlen) {
    dstr text = {0};
    *out = (sched_config){0};
    int rc = gw_read_file(path, SC_MAX_FILE, &text, err, errlen);
    if (rc == 0) rc = sched_config_parse(dstr_cstr(&text), text.len, path, out, err, errlen);
    dstr_free(&text);
    return rc;
}

void sched_config_free(sched_config *c) {
    for (size_t i = 0; i < c->n; i++) sc_entry_free(&c->items[i]);
    free(c->items);
    *c = (sched_config){0};
}

const sched_entry *sched_config_find(const sched_config *c, const char *name) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].name, name) == 0) return &c->items[i];
    return NULL;
}

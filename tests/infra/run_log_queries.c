/* log queries: every saved Logs Insights query of the template
 * (AWS::Logs::QueryDefinition) asks for fields the functions really log.
 *
 *   run_log_queries LOG_FILE...     (from the repo root)
 *
 * The LOG_FILEs are JSON lines the tests produced (tests/run.sh passes the
 * execution scenarios' function output) plus tests/infra/platform_report.jsonl,
 * a documented fixture of Lambda's own JSON records (platform.report), which
 * the functions never print. For each query: its filters on event, type and
 * level (`x = "v"`, `x in ["a", "b"]`, `x like /re/`, joined by or) select
 * lines; at least one line must match, and every other field the query
 * names (in fields, filter, stats and by; dotted names are paths into the
 * object; @-fields, aliases after `as`, functions and literals excluded)
 * must be present in at least one of the selected lines. And every alarm on
 * a metric of the namespace "Trader" names one that some Embedded Metric
 * Format line publishes (with its value). Prints
 * "log_queries: N passed, N failed". */
#include <cJSON.h>
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "driver.h"
#include "yamldoc.h"

#define MAX_LINES 200000
#define MAX_SEL 16
#define MAX_FIELDS 64

/* ---- the query -------------------------------------------------------------------------- */

typedef struct selector {
    char field[16]; /* "event", "type", "level" */
    char value[128];
    int is_regex;
    regex_t re;
} selector;

typedef struct query {
    selector sel[MAX_SEL];
    size_t n_sel;
    char fields[MAX_FIELDS][96];
    size_t n_fields;
} query;

static const char *const keywords[] = {"fields", "filter", "stats",   "sort", "limit", "by",
                                       "desc",   "asc",    "as",      "and",  "or",    "not",
                                       "in",     "like",   "display", NULL};

static int keyword(const char *w) {
    for (size_t i = 0; keywords[i]; i++)
        if (strcmp(keywords[i], w) == 0) return 1;
    return 0;
}

static int selectable(const char *f) {
    return !strcmp(f, "event") || !strcmp(f, "type") || !strcmp(f, "level");
}

static void add_field(query *q, const char *f) {
    for (size_t i = 0; i < q->n_fields; i++)
        if (strcmp(q->fields[i], f) == 0) return;
    if (q->n_fields < MAX_FIELDS) snprintf(q->fields[q->n_fields++], 96, "%s", f);
}

static void add_sel(query *q, const char *field, const char *value, int regex) {
    if (q->n_sel == MAX_SEL) return;
    selector *s = &q->sel[q->n_sel];
    snprintf(s->field, sizeof s->field, "%s", field);
    snprintf(s->value, sizeof s->value, "%s", value);
    s->is_regex = regex;
    if (regex && regcomp(&s->re, value, REG_EXTENDED | REG_NOSUB)) return;
    q->n_sel++;
}

/* A literal at p ("..." or /.../) into out; returns the byte after it. */
static const char *literal(const char *p, char *out, size_t cap) {
    char end = *p == '/' ? '/' : '"';
    size_t n = 0;
    for (p++; *p && *p != end; p++) {
        if (*p == '\\' && p[1]) {
            if (end == '/' && n + 1 < cap) out[n++] = '\\'; /* a regex keeps its escapes */
            p++;
        }
        if (n + 1 < cap) out[n++] = *p;
    }
    out[n] = '\0';
    return *p ? p + 1 : p;
}

/* Words and literals, left to right, remembering the last two words: a
 * literal after `f =`, `f in [` or `f like` selects lines by f (event,
 * type, level); a word is a field unless it is a keyword, a function (a
 * '(' follows), an alias (after `as`), an @-field or a number. */
static void parse_query(const char *text, query *q) {
    memset(q, 0, sizeof *q);
    const char *p = text;
    char prev[96] = "", prev2[96] = "";
    while (*p) {
        int like = !strcmp(prev, "like");
        if (*p == '"' || (*p == '/' && like)) {
            char lit[128];
            p = literal(p, lit, sizeof lit);
            if (selectable(prev)) add_sel(q, prev, lit, 0);
            else if ((like || !strcmp(prev, "in")) && selectable(prev2))
                add_sel(q, prev2, lit, like);
            continue;
        }
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '@') {
            p++;
            continue;
        }
        char w[96];
        size_t n = 0;
        for (; *p && (isalnum((unsigned char)*p) || strchr("_.@", *p)); p++)
            if (n + 1 < sizeof w) w[n++] = *p;
        w[n] = '\0';
        const char *after = p;
        while (*after == ' ') after++;
        if (*after != '(' && w[0] != '@' && !isdigit((unsigned char)w[0]) && !keyword(w) &&
            strcmp(prev, "as") != 0)
            add_field(q, w);
        snprintf(prev2, sizeof prev2, "%s", prev);
        snprintf(prev, sizeof prev, "%s", w);
    }
}

/* ---- the lines -------------------------------------------------------------------------- */

static const cJSON *path_get(const cJSON *obj, const char *path) {
    char buf[96];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = obj;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    return cur;
}

static int selected(const query *q, const cJSON *line) {
    if (!q->n_sel) return 1;
    for (size_t i = 0; i < q->n_sel; i++) { /* the query's selectors are alternatives */
        const char *v =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line, q->sel[i].field));
        if (!v) continue;
        if (q->sel[i].is_regex ? regexec(&q->sel[i].re, v, 0, NULL, 0) == 0
                               : strcmp(v, q->sel[i].value) == 0)
            return 1;
    }
    return 0;
}

static cJSON **lines;
static size_t n_lines;

static void load_lines(const char *path) {
    FILE *f = fopen(path, "r");
    drv_check(f != NULL, "log_file", "cannot read %s", path);
    if (!f) return;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&buf, &cap, f)) > 0 && n_lines < MAX_LINES) {
        const char *brace = strchr(buf, '{'); /* a runner's prefix before the JSON */
        cJSON *o = brace ? cJSON_Parse(brace) : NULL;
        if (cJSON_IsObject(o)) lines[n_lines++] = o;
        else cJSON_Delete(o);
    }
    free(buf);
    fclose(f);
}

int main(int argc, char **argv) {
    lines = calloc(MAX_LINES, sizeof *lines);
    if (!lines) return 2;
    for (int i = 1; i < argc; i++) load_lines(argv[i]);
    drv_check(n_lines > 0, "log_lines", "no JSON log lines in the files given");
    yaml_document_t doc;
    int ok = yamldoc_load("infra/template.yaml", &doc) == 0;
    drv_check(ok, "template", "cannot parse infra/template.yaml");
    size_t n_queries = 0;
    yaml_node_t *res =
        ok ? yamldoc_get(&doc, yaml_document_get_root_node(&doc), "Resources") : NULL;
    for (yaml_node_pair_t *p = res ? res->data.mapping.pairs.start : NULL;
         res && p < res->data.mapping.pairs.top; p++) {
        yaml_node_t *r = yaml_document_get_node(&doc, p->value);
        const char *type = yamldoc_scalar(yamldoc_get(&doc, r, "Type"));
        if (!type || strcmp(type, "AWS::Logs::QueryDefinition")) continue;
        const char *id = yamldoc_scalar(yaml_document_get_node(&doc, p->key));
        const char *text =
            yamldoc_scalar(yamldoc_get(&doc, yamldoc_get(&doc, r, "Properties"), "QueryString"));
        n_queries++;
        drv_check(text != NULL, id, "no QueryString");
        if (!text) continue;
        query q;
        parse_query(text, &q);
        size_t sel = 0;
        for (size_t i = 0; i < n_lines; i++) sel += (size_t)selected(&q, lines[i]);
        drv_check(sel > 0, id, "no log line matches its filter (%zu selectors)", q.n_sel);
        for (size_t k = 0; k < q.n_fields && sel; k++) {
            int found = 0;
            for (size_t i = 0; i < n_lines && !found; i++)
                found = selected(&q, lines[i]) && path_get(lines[i], q.fields[k]) != NULL;
            drv_check(found, id, "field %s is in none of the %zu lines its filter selects",
                      q.fields[k], sel);
        }
        for (size_t i = 0; i < q.n_sel; i++)
            if (q.sel[i].is_regex) regfree(&q.sel[i].re);
    }
    /* an alarm on the project's own metrics: some EMF line publishes it */
    for (yaml_node_pair_t *p = res ? res->data.mapping.pairs.start : NULL;
         res && p < res->data.mapping.pairs.top; p++) {
        yaml_node_t *r = yaml_document_get_node(&doc, p->value);
        const char *type = yamldoc_scalar(yamldoc_get(&doc, r, "Type"));
        yaml_node_t *props = yamldoc_get(&doc, r, "Properties");
        const char *ns = yamldoc_scalar(yamldoc_get(&doc, props, "Namespace"));
        const char *name = yamldoc_scalar(yamldoc_get(&doc, props, "MetricName"));
        if (!type || strcmp(type, "AWS::CloudWatch::Alarm") || !ns || strcmp(ns, "Trader"))
            continue;
        int found = 0;
        for (size_t i = 0; i < n_lines && !found; i++) {
            const cJSON *d, *m;
            cJSON_ArrayForEach(d, path_get(lines[i], "_aws.CloudWatchMetrics")) {
                const cJSON *dns = cJSON_GetObjectItemCaseSensitive(d, "Namespace");
                if (!cJSON_IsString(dns) || strcmp(dns->valuestring, ns)) continue;
                cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(d, "Metrics")) {
                    const char *mn =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "Name"));
                    found |=
                        mn && !strcmp(mn, name) && cJSON_GetObjectItemCaseSensitive(lines[i], name);
                }
            }
        }
        drv_check(found, yamldoc_scalar(yaml_document_get_node(&doc, p->key)),
                  "no EMF line publishes %s/%s", ns, name);
    }
    drv_check(n_queries >= 7, "queries", "the template has %zu saved queries, want at least 7",
              n_queries);
    if (ok) yaml_document_delete(&doc);
    for (size_t i = 0; i < n_lines; i++) cJSON_Delete(lines[i]);
    free(lines);
    return drv_summary("log_queries");
}

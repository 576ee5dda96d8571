/* infra check: the SAM template must follow the single sources of truth.
 *   - every route of infra/routes.tsv whose function exists in functions/ is
 *     an HttpApi event (Method ANY) of that function's resource, and the
 *     template has no HTTP route the table lacks;
 *   - every function in functions/ has a resource <Name>Function;
 *   - every schedule of scheduler.yaml whose function exists is a ScheduleV2
 *     event of that function with the same expression and input;
 *   - the journal policies follow the README's journal table ("| record |
 *     key | written by | read by |"): a function that writes a prefix has
 *     s3:PutObject and s3:GetObject on journal/<prefix>*, one that reads it
 *     s3:GetObject and s3:ListBucket (s3:prefix journal/<prefix>*), and no
 *     function has a grant on a prefix the table does not give it (PutObject
 *     only to writers, GetObject and ListBucket to readers and writers).
 * Prints "infra: N passed, N failed". Run from the repo root. */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "yamldoc.h"

static int passed, failed;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static int function_exists(const char *fn) {
    char path[256];
    snprintf(path, sizeof path, "functions/%s", fn);
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "candles" -> "CandlesFunction" */
static void logical_id(const char *fn, char *out, size_t cap) {
    snprintf(out, cap, "%c%sFunction", toupper((unsigned char)fn[0]), fn + 1);
}

static yaml_node_t *resource_events(yaml_document_t *d, const char *fn) {
    char id[128];
    logical_id(fn, id, sizeof id);
    yaml_node_t *root = yaml_document_get_root_node(d);
    yaml_node_t *res = yamldoc_get(d, yamldoc_get(d, root, "Resources"), id);
    return yamldoc_get(d, yamldoc_get(d, res, "Properties"), "Events");
}

/* Finds an event of the given type whose Properties[key] equals value. */
static yaml_node_t *find_event(yaml_document_t *d, yaml_node_t *events, const char *type,
                               const char *key, const char *value) {
    if (!events || events->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = events->data.mapping.pairs.start; p < events->data.mapping.pairs.top;
         p++) {
        yaml_node_t *ev = yaml_document_get_node(d, p->value);
        const char *t = yamldoc_scalar(yamldoc_get(d, ev, "Type"));
        yaml_node_t *props = yamldoc_get(d, ev, "Properties");
        const char *v = yamldoc_scalar(yamldoc_get(d, props, key));
        if (t && v && strcmp(t, type) == 0 && strcmp(v, value) == 0) return props;
    }
    return NULL;
}

static int in_routes(const char *path, const char *fn) {
    FILE *f = fopen("infra/routes.tsv", "r");
    char line[512];
    int found = 0;
    while (f && fgets(line, sizeof line, f)) {
        char p[256], name[64];
        if (line[0] == '#' || sscanf(line, "%255s %63s", p, name) != 2) continue;
        found |= strcmp(p, path) == 0 && strcmp(name, fn) == 0;
    }
    if (f) fclose(f);
    return found;
}

/* ---- journal policies against the README's journal table ------------------------- */

#define MAX_ROWS 32
#define MAX_GRANTS 64

typedef struct journal_row {
    char prefix[64];                 /* "payloads/" */
    char writers[512], readers[512]; /* the cells, code spans and parentheses removed */
} journal_row;

typedef struct grant {
    char action[32]; /* "s3:PutObject", "s3:GetObject", "s3:ListBucket" */
    char prefix[64];
} grant;

/* The cell without `code spans` and (parenthesised remarks). */
static void plain_cell(const char *cell, size_t n, char *out, size_t cap) {
    size_t k = 0;
    int code = 0, paren = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        char c = cell[i];
        if (c == '`') code = !code;
        else if (!code && c == '(') paren++;
        else if (!code && c == ')' && paren) paren--;
        else if (!code && !paren) out[k++] = c;
    }
    out[k] = '\0';
}

/* 1 when the plain cell names function fn as a word, or says "every function". */
static int names_function(const char *cell, const char *fn) {
    if (strstr(cell, "every function")) return 1;
    size_t n = strlen(fn);
    for (const char *p = strstr(cell, fn); p; p = strstr(p + 1, fn)) {
        int before = p == cell || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        int after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (before && after) return 1;
    }
    return 0;
}

static size_t load_journal_table(journal_row *rows) {
    FILE *f = fopen("README.md", "r");
    char line[4096];
    size_t n = 0;
    int in_table = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (!in_table) {
            in_table = strncmp(line, "| record | key | written by | read by |", 39) == 0;
            continue;
        }
        if (line[0] != '|') break;
        if (strncmp(line, "|---", 4) == 0) continue;
        const char *cell[5];
        size_t len[5], k = 0;
        for (const char *p = line + 1; k < 4 && *p;) {
            const char *end = strchr(p, '|');
            if (!end) break;
            cell[k] = p;
            len[k++] = (size_t)(end - p);
            p = end + 1;
        }
        if (k < 4 || n == MAX_ROWS) continue;
        const char *tick = memchr(cell[1], '`', len[1]);
        const char *slash = tick ? strchr(tick + 1, '/') : NULL;
        if (!slash || slash - tick > 60) continue;
        journal_row *r = &rows[n++];
        snprintf(r->prefix, sizeof r->prefix, "%.*s/", (int)(slash - tick - 1), tick + 1);
        plain_cell(cell[2], len[2], r->writers, sizeof r->writers);
        plain_cell(cell[3], len[3], r->readers, sizeof r->readers);
    }
    if (f) fclose(f);
    return n;
}

/* "...journal/<prefix>*" -> "<prefix>" (ending in '/'); 0 when it has that form. */
static int journal_prefix_of(const char *text, char *out, size_t cap) {
    const char *j = text ? strstr(text, "journal/") : NULL;
    if (!j) return -1;
    j += strlen("journal/");
    const char *star = strchr(j, '*');
    if (!star || star == j || star[-1] != '/' || (size_t)(star - j) >= cap) return -1;
    snprintf(out, cap, "%.*s", (int)(star - j), j);
    return 0;
}

static void add_grant(grant *g, size_t *n, const char *action, const char *prefix) {
    if (*n == MAX_GRANTS) return;
    snprintf(g[*n].action, sizeof g[*n].action, "%s", action);
    snprintf(g[*n].prefix, sizeof g[*n].prefix, "%s", prefix);
    (*n)++;
}

/* The scalars of a scalar or a sequence node. */
static size_t scalars(yaml_document_t *d, yaml_node_t *node, const char **out, size_t cap) {
    if (!node) return 0;
    if (node->type == YAML_SCALAR_NODE) {
        out[0] = yamldoc_scalar(node);
        return 1;
    }
    size_t n = 0;
    if (node->type != YAML_SEQUENCE_NODE) return 0;
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top && n < cap; it++)
        out[n++] = yamldoc_scalar(yaml_document_get_node(d, *it));
    return n;
}

/* Every journal grant of function fn's policies (managed policies by !Ref). */
static size_t function_grants(yaml_document_t *d, const char *fn, grant *g) {
    char id[128];
    logical_id(fn, id, sizeof id);
    yaml_node_t *resources = yamldoc_get(d, yaml_document_get_root_node(d), "Resources");
    yaml_node_t *pols =
        yamldoc_get(d, yamldoc_get(d, yamldoc_get(d, resources, id), "Properties"), "Policies");
    const char *names[16];
    size_t np = scalars(d, pols, names, 16), n = 0;
    for (size_t i = 0; i < np; i++) {
        yaml_node_t *doc = yamldoc_get(
            d, yamldoc_get(d, yamldoc_get(d, resources, names[i] ? names[i] : ""), "Properties"),
            "PolicyDocument");
        yaml_node_t *stmts = yamldoc_get(d, doc, "Statement");
        for (yaml_node_item_t *it = stmts && stmts->type == YAML_SEQUENCE_NODE
                                        ? stmts->data.sequence.items.start
                                        : NULL;
             it && it < stmts->data.sequence.items.top; it++) {
            yaml_node_t *st = yaml_document_get_node(d, *it);
            const char *effect = yamldoc_scalar(yamldoc_get(d, st, "Effect"));
            if (!effect || strcmp(effect, "Allow")) continue;
            const char *actions[8], *res[16], *prefixes[16];
            size_t na = scalars(d, yamldoc_get(d, st, "Action"), actions, 8);
            size_t nr = scalars(d, yamldoc_get(d, st, "Resource"), res, 16);
            yaml_node_t *cond = yamldoc_get(d, yamldoc_get(d, st, "Condition"), "StringLike");
            size_t nx = scalars(d, yamldoc_get(d, cond, "s3:prefix"), prefixes, 16);
            char pre[64];
            for (size_t a = 0; a < na; a++) {
                if (!actions[a]) continue;
                int list = strcmp(actions[a], "s3:ListBucket") == 0;
                for (size_t k = 0; k < (list ? nx : nr); k++)
                    if (journal_prefix_of(list ? prefixes[k] : res[k], pre, sizeof pre) == 0)
                        add_grant(g, &n, actions[a], pre);
            }
        }
    }
    return n;
}

static int granted(const grant *g, size_t n, const char *action, const char *prefix) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(g[i].action, action) && !strcmp(g[i].prefix, prefix)) return 1;
    return 0;
}

static void check_journal_policies(yaml_document_t *tpl) {
    journal_row rows[MAX_ROWS];
    size_t nrows = load_journal_table(rows);
    check(nrows >= 4, "README has the journal table (| record | key | written by | read by |)");
    DIR *dir = opendir("functions");
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (de->d_name[0] == '.') continue;
        const char *fn = de->d_name;
        grant g[MAX_GRANTS];
        size_t ng = function_grants(tpl, fn, g);
        for (size_t r = 0; r < nrows; r++) {
            const char *p = rows[r].prefix;
            int writes = names_function(rows[r].writers, fn);
            int reads = names_function(rows[r].readers, fn);
            if (writes)
                check(granted(g, ng, "s3:PutObject", p) && granted(g, ng, "s3:GetObject", p),
                      "%s writes journal/%s (README) but lacks s3:PutObject/s3:GetObject on it", fn,
                      p);
            if (reads)
                check(granted(g, ng, "s3:GetObject", p) && granted(g, ng, "s3:ListBucket", p),
                      "%s reads journal/%s (README) but lacks s3:GetObject/s3:ListBucket on it", fn,
                      p);
        }
        for (size_t i = 0; i < ng; i++) {
            int writes = 0, reads = 0;
            for (size_t r = 0; r < nrows; r++)
                if (!strcmp(rows[r].prefix, g[i].prefix)) {
                    writes |= names_function(rows[r].writers, fn);
                    reads |= names_function(rows[r].readers, fn);
                }
            int put = !strcmp(g[i].action, "s3:PutObject");
            check(put ? writes : writes || reads,
                  "%s has %s on journal/%s, which the README's journal table does not give it", fn,
                  g[i].action, g[i].prefix);
        }
    }
    if (dir) closedir(dir);
}

int main(void) {
    yaml_document_t tpl, sched;
    if (yamldoc_load("infra/template.yaml", &tpl) || yamldoc_load("scheduler.yaml", &sched)) {
        printf(
            "FAIL cannot parse infra/template.yaml or scheduler.yaml\ninfra: 0 passed, 1 failed\n");
        return 1;
    }
    /* routes.tsv -> template */
    FILE *f = fopen("infra/routes.tsv", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char path[256], fn[64];
        if (line[0] == '#' || sscanf(line, "%255s %63s", path, fn) != 2) continue;
        if (!function_exists(fn)) continue;
        yaml_node_t *props = find_event(&tpl, resource_events(&tpl, fn), "HttpApi", "Path", path);
        check(props != NULL, "route %s -> %s has no HttpApi event in the template", path, fn);
        const char *method = props ? yamldoc_scalar(yamldoc_get(&tpl, props, "Method")) : "ANY";
        check(method && strcmp(method, "ANY") == 0, "route %s (%s): Method must be ANY", path, fn);
    }
    if (f) fclose(f);
    /* functions/ -> template, and template routes -> routes.tsv */
    DIR *dir = opendir("functions");
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (de->d_name[0] == '.') continue;
        yaml_node_t *events = resource_events(&tpl, de->d_name);
        check(events != NULL, "function %s has no resource with Events in the template",
              de->d_name);
        if (!events) continue;
        for (yaml_node_pair_t *p = events->data.mapping.pairs.start;
             p < events->data.mapping.pairs.top; p++) {
            yaml_node_t *ev = yaml_document_get_node(&tpl, p->value);
            const char *t = yamldoc_scalar(yamldoc_get(&tpl, ev, "Type"));
            if (!t || strcmp(t, "HttpApi")) continue;
            const char *path =
                yamldoc_scalar(yamldoc_get(&tpl, yamldoc_get(&tpl, ev, "Properties"), "Path"));
            check(path && in_routes(path, de->d_name),
                  "template route %s of %s is not in infra/routes.tsv", path ? path : "?",
                  de->d_name);
        }
    }
    if (dir) closedir(dir);
    /* scheduler.yaml -> template */
    yaml_node_t *list = yamldoc_get(&sched, yaml_document_get_root_node(&sched), "schedules");
    for (yaml_node_item_t *it =
             list && list->type == YAML_SEQUENCE_NODE ? list->data.sequence.items.start : NULL;
         it && it < list->data.sequence.items.top; it++) {
        yaml_node_t *s = yaml_document_get_node(&sched, *it);
        const char *fn = yamldoc_scalar(yamldoc_get(&sched, s, "function"));
        const char *expr = yamldoc_scalar(yamldoc_get(&sched, s, "expression"));
        const char *input = yamldoc_scalar(yamldoc_get(&sched, s, "input"));
        if (!fn || !expr || !function_exists(fn)) continue;
        yaml_node_t *props =
            find_event(&tpl, resource_events(&tpl, fn), "ScheduleV2", "ScheduleExpression", expr);
        check(props != NULL, "schedule of %s (%s) is not a ScheduleV2 event in the template", fn,
              expr);
        const char *tin = props ? yamldoc_scalar(yamldoc_get(&tpl, props, "Input")) : NULL;
        check(!input || (tin && strcmp(tin, input) == 0),
              "schedule of %s: Input differs from scheduler.yaml", fn);
    }
    check_journal_policies(&tpl);
    yaml_document_delete(&tpl);
    yaml_document_delete(&sched);
    printf("infra: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

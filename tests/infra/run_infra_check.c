/* infra check: the SAM template must follow the single sources of truth.
 *   - every route of infra/routes.tsv whose function exists in functions/ is
 *     an HttpApi event (Method ANY) of that function's resource, and the
 *     template has no HTTP route the table lacks;
 *   - every function in functions/ has a resource <Name>Function;
 *   - every schedule of scheduler.yaml whose function exists is a ScheduleV2
 *     event of that function with the same expression and input.
 * Prints "infra: N passed, N failed". Run from the repo root. */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

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

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key) {
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static const char *scalar(yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int load(const char *path, yaml_document_t *doc) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    int ok = yaml_parser_load(&p, doc);
    yaml_parser_delete(&p);
    fclose(f);
    return ok ? 0 : -1;
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
    yaml_node_t *res = map_get(d, map_get(d, root, "Resources"), id);
    return map_get(d, map_get(d, res, "Properties"), "Events");
}

/* Finds an event of the given type whose Properties[key] equals value. */
static yaml_node_t *find_event(yaml_document_t *d, yaml_node_t *events, const char *type,
                               const char *key, const char *value) {
    if (!events || events->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = events->data.mapping.pairs.start; p < events->data.mapping.pairs.top;
         p++) {
        yaml_node_t *ev = yaml_document_get_node(d, p->value);
        const char *t = scalar(map_get(d, ev, "Type"));
        yaml_node_t *props = map_get(d, ev, "Properties");
        const char *v = scalar(map_get(d, props, key));
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

int main(void) {
    yaml_document_t tpl, sched;
    if (load("infra/template.yaml", &tpl) || load("scheduler.yaml", &sched)) {
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
        const char *method = props ? scalar(map_get(&tpl, props, "Method")) : "ANY";
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
            const char *t = scalar(map_get(&tpl, ev, "Type"));
            if (!t || strcmp(t, "HttpApi")) continue;
            const char *path = scalar(map_get(&tpl, map_get(&tpl, ev, "Properties"), "Path"));
            check(path && in_routes(path, de->d_name),
                  "template route %s of %s is not in infra/routes.tsv", path ? path : "?",
                  de->d_name);
        }
    }
    if (dir) closedir(dir);
    /* scheduler.yaml -> template */
    yaml_node_t *list = map_get(&sched, yaml_document_get_root_node(&sched), "schedules");
    for (yaml_node_item_t *it =
             list && list->type == YAML_SEQUENCE_NODE ? list->data.sequence.items.start : NULL;
         it && it < list->data.sequence.items.top; it++) {
        yaml_node_t *s = yaml_document_get_node(&sched, *it);
        const char *fn = scalar(map_get(&sched, s, "function"));
        const char *expr = scalar(map_get(&sched, s, "expression"));
        const char *input = scalar(map_get(&sched, s, "input"));
        if (!fn || !expr || !function_exists(fn)) continue;
        yaml_node_t *props =
            find_event(&tpl, resource_events(&tpl, fn), "ScheduleV2", "ScheduleExpression", expr);
        check(props != NULL, "schedule of %s (%s) is not a ScheduleV2 event in the template", fn,
              expr);
        const char *tin = props ? scalar(map_get(&tpl, props, "Input")) : NULL;
        check(!input || (tin && strcmp(tin, input) == 0),
              "schedule of %s: Input differs from scheduler.yaml", fn);
    }
    yaml_document_delete(&tpl);
    yaml_document_delete(&sched);
    printf("infra: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

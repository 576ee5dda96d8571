/* gw_routes: parse and look up the path -> function table. */
#include "gw_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/dstr.h"
#include "gw_file.h"

#define ROUTES_MAX_FILE (1024 * 1024)

int gw_function_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int routes_path_ok(const char *p) {
    if (p[0] != '/') return 0;
    for (; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == '?' || *p == '#' || *p == 0x7f) return 0;
    return 1;
}

/* Splits one line (comment removed) into at most 3 whitespace-separated
 * fields; returns how many were found (3 means "too many"). */
static int routes_fields(char *line, char *fields[3]) {
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
        if (n == 3) break;
        fields[n++] = tok;
    }
    return n;
}

int gw_routes_parse(const char *text, size_t len, const char *source, gw_routes *out, char *err,
                    size_t errlen) {
    *out = (gw_routes){0};
    const char *p = text, *end = text + len;
    int lineno = 0;
    while (p < end) {
        lineno++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = strndup(p, n);
        if (!line) abort();
        p += n + (nl ? 1 : 0);
        if (strlen(line) != n) {
            free(line);
            snprintf(err, errlen, "%s:%d: NUL byte in line", source, lineno);
            gw_routes_free(out);
            return -1;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *f[3];
        int nf = routes_fields(line, f);
        const char *problem = NULL;
        if (nf == 0) {
            free(line);
            continue;
        }
        if (nf != 2) problem = "expected PATH<TAB>FUNCTION";
        else if (!routes_path_ok(f[0])) problem = "PATH must start with '/' and have no '?' or '#'";
        else if (!gw_function_name_ok(f[1])) problem = "FUNCTION must be 1-64 of [A-Za-z0-9_-]";
        else if (gw_routes_lookup(out, f[0], strlen(f[0]))) problem = "duplicate PATH";
        if (problem) {
            snprintf(err, errlen, "%s:%d: %s", source, lineno, problem);
            free(line);
            gw_routes_free(out);
            return -1;
        }
        gw_route *items = realloc(out->items, (out->n + 1) * sizeof *items);
        if (!items) abort();
        out->items = items;
        items[out->n] = (gw_route){strdup(f[0]), strdup(f[1]), lineno};
        if (!items[out->n].path || !items[out->n].function) abort();
        out->n++;
        free(line);
    }
    return 0;
}

int gw_routes_load(const char *path, gw_routes *out, char *err, size_t errlen) {
    dstr text = {0};
    *out = (gw_routes){0};
    int rc = gw_read_file(path, ROUTES_MAX_FILE, &text, err, errlen);
    if (rc == 0) rc = gw_routes_parse(dstr_cstr(&text), text.len, path, out, err, errlen);
    dstr_free(&text);
    return rc;
}

const char *gw_routes_lookup(const gw_routes *r, const char *path, size_t path_len) {
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->items[i].path) == path_len && memcmp(r->items[i].path, path, path_len) == 0)
            return r->items[i].function;
    return NULL;
}

void gw_routes_free(gw_routes *r) {
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].path);
        free(r->items[i].function);
    }
    free(r->items);
    *r = (gw_routes){0};
}

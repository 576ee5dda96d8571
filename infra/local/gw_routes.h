/* gw_routes: the route table (infra/routes.tsv) mapping request paths to
 * functions, like the ANY routes of an API Gateway HTTP API.
 *
 * Format: one route a line, "PATH<TAB>FUNCTION" (any run of tabs or spaces
 * separates the two fields); '#' starts a comment; blank lines are ignored.
 * PATH starts with '/', has no whitespace, '?' or '#', and appears once.
 * FUNCTION is a Lambda-style name: 1-64 of [A-Za-z0-9_-]. Matching is
 * exact on the raw path (no query string), whatever the method. */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stddef.h>

typedef struct gw_route {
    char *path;
    char *function;
    int line;
} gw_route;

typedef struct gw_routes {
    gw_route *items;
    size_t n;
} gw_routes;

/* Returns 0, or -1 with "source:line: message" in err (out is then empty). */
int gw_routes_parse(const char *text, size_t len, const char *source, gw_routes *out, char *err,
                    size_t errlen);
int gw_routes_load(const char *path, gw_routes *out, char *err, size_t errlen);
/* The function serving path[0..path_len), or NULL (API Gateway: 404). */
const char *gw_routes_lookup(const gw_routes *r, const char *path, size_t path_len);
void gw_routes_free(gw_routes *r);

/* 1 when name is a valid function name: 1-64 of [A-Za-z0-9_-]. */
int gw_function_name_ok(const char *name);

#endif

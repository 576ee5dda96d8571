/* gw_event: payload format 2.0 events and Lambda proxy response mapping. */
#include "gw_event.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw_codec.h"

/* One header name with its comma-joined values, or one query parameter. */
typedef struct ev_group {
    char *name;
    dstr value;
} ev_group;

typedef struct ev_groups {
    ev_group *items;
    size_t n, cap;
} ev_groups;

static ev_group *ev_groups_find(const ev_groups *g, const char *name, size_t name_len) {
    for (size_t i = 0; i < g->n; i++)
        if (strlen(g->items[i].name) == name_len && memcmp(g->items[i].name, name, name_len) == 0)
            return &g->items[i];
    return NULL;
}

/* Appends value to the group called name (created on first use), joining
 * repeated names with a comma as API Gateway does. */
static void ev_groups_add(ev_groups *g, const char *name, size_t name_len, const char *value,
                          size_t value_len) {
    ev_group *it = ev_groups_find(g, name, name_len);
    if (it) {
        dstr_putc(&it->value, ',');
        dstr_append(&it->value, value, value_len);
        return;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        ev_group *items = realloc(g->items, cap * sizeof *items);
        if (!items) abort();
        g->items = items;
        g->cap = cap;
    }
    it = &g->items[g->n++];
    it->name = strndup(name, name_len);
    if (!it->name) abort();
    it->value = (dstr){0};
    dstr_append(&it->value, value, value_len);
}

static void ev_groups_free(ev_groups *g) {
    for (size_t i = 0; i < g->n; i++) {
        free(g->items[i].name);
        dstr_free(&g->items[i].value);
    }
    free(g->items);
    *g = (ev_groups){0};
}

static void ev_put_groups(dstr *out, const ev_groups *g) {
    dstr_putc(out, '{');
    for (size_t i = 0; i < g->n; i++) {
        if (i) dstr_putc(out, ',');
        gw_json_str_utf8(out, g->items[i].name, strlen(g->items[i].name));
        dstr_putc(out, ':');
        gw_json_str_utf8(out, dstr_cstr(&g->items[i].value), g->items[i].value.len);
    }
    dstr_putc(out, '}');
}

void gw_split_uri(const char *raw_uri, const char **path, size_t *path_len, const char **query,
                  size_t *query_len) {
    const char *q = strchr(raw_uri, '?');
    *path = raw_uri;
    *path_len = q ? (size_t)(q - raw_uri) : strlen(raw_uri);
    *query = q ? q + 1 : raw_uri + *path_len;
    *query_len = q ? strlen(q + 1) : 0;
}

/* Cookie: "a=1; b=2" -> ["a=1", "b=2"] */
static void ev_split_cookies(ev_groups *cookies, const char *v) {
    while (*v) {
        while (*v == ' ' || *v == ';') v++;
        const char *end = strchr(v, ';');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        size_t trimmed = n;
        while (trimmed > 0 && v[trimmed - 1] == ' ') trimmed--;
        if (trimmed > 0) {
            /* cookies are not joined: keep each one, even repeated */
            if (cookies->n == cookies->cap) {
                size_t cap = cookies->cap ? cookies->cap * 2 : 8;
                ev_group *items = realloc(cookies->items, cap * sizeof *items);
                if (!items) abort();
                cookies->items = items;
                cookies->cap = cap;
            }
            ev_group *it = &cookies->items[cookies->n++];
            it->name = strndup(v, trimmed);
            if (!it->name) abort();
            it->value = (dstr){0};
        }
        v += n;
    }
}

static void ev_collect_headers(const gw_request *req, ev_groups *headers, ev_groups *cookies) {
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *name = req->headers[i].name;
        const char *value = req->headers[i].value ? req->headers[i].value : "";
        if (strcasecmp(name, "cookie") == 0) {
            ev_split_cookies(cookies, value);
            continue;
        }
        size_t nl = strlen(name);
        char *lower = malloc(nl + 1);
        if (!lower) abort();
        for (size_t k = 0; k <= nl; k++) lower[k] = (char)tolower((unsigned char)name[k]);
        ev_groups_add(headers, lower, nl, value, strlen(value));
        free(lower);
    }
    /* what API Gateway adds on its way to the integration */
    const char *ip = req->source_ip ? req->source_ip : "127.0.0.1";
    ev_groups_add(headers, "x-forwarded-for", 15, ip, strlen(ip));
    if (!ev_groups_find(headers, "x-forwarded-port", 16)) {
        char port[16];
        snprintf(port, sizeof port, "%d", req->server_port);
        ev_groups_add(headers, "x-forwarded-port", 16, port, strlen(port));
    }
    if (!ev_groups_find(headers, "x-forwarded-proto", 17))
        ev_groups_add(headers, "x-forwarded-proto", 17, "http", 4);
    if (req->trace_root && !ev_groups_find(headers, "x-amzn-trace-id", 15)) {
        char trace[48];
        snprintf(trace, sizeof trace, "Root=%s", req->trace_root);
        ev_groups_add(headers, "x-amzn-trace-id", 15, trace, strlen(trace));
    }
}

static void ev_collect_query(const char *q, size_t n, ev_groups *params) {
    size_t i = 0;
    dstr key = {0}, val = {0};
    while (i < n) {
        size_t end = i;
        while (end < n && q[end] != '&') end++;
        if (end > i) {
            const char *eq = memchr(q + i, '=', end - i);
            size_t klen = eq ? (size_t)(eq - (q + i)) : end - i;
            dstr_clear(&key);
            dstr_clear(&val);
            gw_url_decode(&key, q + i, klen, 1);
            if (eq) gw_url_decode(&val, eq + 1, (size_t)(q + end - eq - 1), 1);
            if (key.len > 0)
                ev_groups_add(params, dstr_cstr(&key), key.len, dstr_cstr(&val), val.len);
        }
        i = end + 1;
    }
    dstr_free(&key);
    dstr_free(&val);
}

static void ev_put_request_context(dstr *out, const gw_request *req, const char *path,
                                   size_t path_len, const ev_groups *headers) {
    ev_group *ua = ev_groups_find(headers, "user-agent", 10);
    char when[32];
    gw_fmt_apigw_time(when, req->time_epoch_ms);
    dstr_puts(out,
              "{\"accountId\":\"000000000000\",\"apiId\":\"local\","
              "\"domainName\":\"localhost\",\"domainPrefix\":\"localhost\",\"http\":{\"method\":");
    gw_json_str_utf8(out, req->method, strlen(req->method));
    dstr_puts(out, ",\"path\":");
    gw_json_str_utf8(out, path, path_len);
    dstr_puts(out, ",\"protocol\":");
    dstr_json_str(out, req->protocol ? req->protocol : "HTTP/1.1");
    dstr_puts(out, ",\"sourceIp\":");
    dstr_json_str(out, req->source_ip ? req->source_ip : "127.0.0.1");
    dstr_puts(out, ",\"userAgent\":");
    if (ua) gw_json_str_utf8(out, dstr_cstr(&ua->value), ua->value.len);
    else dstr_puts(out, "\"\"");
    dstr_puts(out, "},\"requestId\":");
    dstr_json_str(out, req->request_id ? req->request_id : "");
    dstr_puts(out, ",\"routeKey\":\"$default\",\"stage\":\"$default\",\"time\":");
    dstr_json_str(out, when);
    dstr_printf(out, ",\"timeEpoch\":%lld}", (long long)req->time_epoch_ms);
}

void gw_event_build(const gw_request *req, dstr *out) {
    const char *path, *query;
    size_t path_len, query_len;
    gw_split_uri(req->raw_uri, &path, &path_len, &query, &query_len);

    ev_groups headers = {0}, cookies = {0}, params = {0};
    ev_collect_headers(req, &headers, &cookies);
    ev_collect_query(query, query_len, &params);

    dstr_puts(out, "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":");
    gw_json_str_utf8(out, path, path_len);
    dstr_puts(out, ",\"rawQueryString\":");
    gw_json_str_utf8(out, query, query_len);
    if (cookies.n) {
        dstr_puts(out, ",\"cookies\":[");
        for (size_t i = 0; i < cookies.n; i++) {
            if (i) dstr_putc(out, ',');
            gw_json_str_utf8(out, cookies.items[i].name, strlen(cookies.items[i].name));
        }
        dstr_putc(out, ']');
    }
    dstr_puts(out, ",\"headers\":");
    ev_put_groups(out, &headers);
    if (params.n) {
        dstr_puts(out, ",\"queryStringParameters\":");
        ev_put_groups(out, &params);
    }
    dstr_puts(out, ",\"requestContext\":");
    ev_put_request_context(out, req, path, path_len, &headers);
    int b64 = 0;
    if (req->body_len > 0) {
        dstr_puts(out, ",\"body\":");
        if (gw_utf8_valid(req->body, req->body_len)) {
            dstr_json_strn(out, req->body, req->body_len);
        } else {
            b64 = 1;
            dstr_putc(out, '"');
            base64_encode(out, req->body, req->body_len);
            dstr_putc(out, '"');
        }
    }
    dstr_printf(out, ",\"isBase64Encoded\":%s}", b64 ? "true" : "false");

    ev_groups_free(&headers);
    ev_groups_free(&cookies);
    ev_groups_free(&params);
}

/* ---- response mapping ---------------------------------------------------- */

static int resp_fail(gw_response *r, const char *why) {
    snprintf(r->why, sizeof r->why, "%s", why);
    return -1;
}

/* RFC 7230 token characters: what a header name may contain. */
static int resp_is_token(const char *s) {
    if (!*s) return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c)) return 0;
    }
    return 1;
}

static int resp_value_ok(const char *s) {
    for (; *s; s++)
        if (*s == '\r' || *s == '\n') return 0;
    return 1;
}

/* Headers the HTTP layer owns; API Gateway does not pass them through. */
static int resp_is_hop_header(const char *name) {
    static const char *const hop[] = {"content-length", "transfer-encoding", "connection",
                                      "keep-alive", "upgrade"};
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
        if (strcasecmp(name, hop[i]) == 0) return 1;
    return 0;
}

static char *resp_scalar_text(const cJSON *v) {
    char buf[64];
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    if (cJSON_IsBool(v)) return strdup(cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNumber(v)) {
        dstr s = {0};
        dstr_json_num(&s, v->valuedouble);
        snprintf(buf, sizeof buf, "%s", dstr_cstr(&s));
        dstr_free(&s);
        return strdup(buf);
    }
    return NULL;
}

static int resp_add_header(gw_response *r, const char *name, const char *value) {
    gw_kv *h = realloc(r->headers, (r->n_headers + 1) * sizeof *h);
    if (!h) abort();
    r->headers = h;
    h[r->n_headers].name = strdup(name);
    h[r->n_headers].value = strdup(value);
    if (!h[r->n_headers].name || !h[r->n_headers].value) abort();
    r->n_headers++;
    return 0;
}

static int resp_structured(const cJSON *root, gw_response *r) {
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "statusCode");
    if (!cJSON_IsNumber(sc) || !(sc->valuedouble >= 100 && sc->valuedouble <= 599) ||
        sc->valuedouble != (double)(int)sc->valuedouble)
        return resp_fail(r, "statusCode is not an integer between 100 and 599");
    r->status = (int)sc->valuedouble;

    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(root, "headers");
    if (hs && !cJSON_IsNull(hs)) {
        if (!cJSON_IsObject(hs)) return resp_fail(r, "headers is not an object");
        const cJSON *h;
        cJSON_ArrayForEach(h, hs) {
            char *text = resp_scalar_text(h);
            if (!text) return resp_fail(r, "a header value is not a string");
            int ok = resp_is_token(h->string) && resp_value_ok(text);
            if (ok && !resp_is_hop_header(h->string)) resp_add_header(r, h->string, text);
            free(text);
            if (!ok) return resp_fail(r, "a header name or value is not valid HTTP");
        }
    }

    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(root, "cookies");
    if (cs && !cJSON_IsNull(cs)) {
        if (!cJSON_IsArray(cs)) return resp_fail(r, "cookies is not an array");
        const cJSON *c;
        cJSON_ArrayForEach(c, cs) {
            if (!cJSON_IsString(c) || !resp_value_ok(c->valuestring))
                return resp_fail(r, "a cookie is not a valid string");
            char **list = realloc(r->cookies, (r->n_cookies + 1) * sizeof *list);
            if (!list) abort();
            r->cookies = list;
            list[r->n_cookies] = strdup(c->valuestring);
            if (!list[r->n_cookies]) abort();
            r->n_cookies++;
        }
    }

    const cJSON *body = cJSON_GetObjectItemCaseSensitive(root, "body");
    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(root, "isBase64Encoded");
    if (b64 && !cJSON_IsNull(b64) && !cJSON_IsBool(b64))
        return resp_fail(r, "isBase64Encoded is not a boolean");
    if (body && !cJSON_IsNull(body)) {
        if (!cJSON_IsString(body)) return resp_fail(r, "body is not a string");
        size_t n = strlen(body->valuestring);
        if (cJSON_IsTrue(b64)) {
            if (base64_decode(&r->body, body->valuestring, n) != 0)
                return resp_fail(r, "body is not valid base64");
        } else {
            dstr_append(&r->body, body->valuestring, n);
        }
    }
    return 0;
}

int gw_response_map(const char *payload, size_t len, gw_response *out) {
    *out = (gw_response){0};
    out->status = 500;
    cJSON *root = cJSON_ParseWithLength(payload, len);
    if (!root) return resp_fail(out, "response is not valid JSON");
    int rc = 0;
    if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "statusCode")) {
        rc = resp_structured(root, out);
    } else {
        out->status = 200;
        resp_add_header(out, "content-type", "application/json");
        if (cJSON_IsString(root)) {
            dstr_puts(&out->body, root->valuestring);
        } else {
            char *text = cJSON_PrintUnformatted(root);
            if (!text) abort();
            dstr_puts(&out->body, text);
            cJSON_free(text);
        }
    }
    cJSON_Delete(root);
    if (rc != 0) {
        char why[sizeof out->why];
        memcpy(why, out->why, sizeof why);
        gw_response_free(out);
        out->status = 500;
        memcpy(out->why, why, sizeof why);
    }
    return rc;
}

void gw_response_free(gw_response *r) {
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    for (size_t i = 0; i < r->n_cookies; i++) free(r->cookies[i]);
    free(r->cookies);
    dstr_free(&r->body);
    *r = (gw_response){0};
}

/* apigw: Lambda event parsing and API Gateway response rendering. */
#include "frame/apigw.h"

#include <stdlib.h>
#include <string.h>

#include "platform/base64.h"

static const char *str_field(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "/prod/api/x" with stage "prod" -> "/api/x"; "$default" has no prefix. */
static const char *strip_stage(const char *raw_path, const char *stage) {
    if (!stage || !*stage || strcmp(stage, "$default") == 0) return raw_path;
    size_t n = strlen(stage);
    if (raw_path[0] == '/' && strncmp(raw_path + 1, stage, n) == 0) {
        const char *rest = raw_path + 1 + n;
        if (*rest == '/') return rest;
        if (*rest == '\0') return "/";
    }
    return raw_path;
}

static int parse_http(apigw_event *ev, const cJSON *ctx, dstr *err) {
    const cJSON *http = cJSON_GetObjectItemCaseSensitive(ctx, "http");
    const char *raw_path = str_field(ev->root, "rawPath");
    ev->method = str_field(http, "method");
    if (!ev->method || !raw_path || raw_path[0] != '/') {
        dstr_puts(err, "payload 2.0 event without requestContext.http.method or rawPath");
        return -1;
    }
    ev->path = strip_stage(raw_path, str_field(ctx, "stage"));
    const char *q = str_field(ev->root, "rawQueryString");
    ev->raw_query = q ? q : "";
    const cJSON *qp = cJSON_GetObjectItemCaseSensitive(ev->root, "queryStringParameters");
    ev->query = cJSON_IsObject(qp) ? qp : NULL;
    const cJSON *hd = cJSON_GetObjectItemCaseSensitive(ev->root, "headers");
    ev->headers = cJSON_IsObject(hd) ? hd : NULL;
    const char *body = str_field(ev->root, "body");
    if (body) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev->root, "isBase64Encoded"))) {
            dstr raw = {0};
            if (base64_decode(&raw, body, strlen(body))) {
                dstr_free(&raw);
                dstr_puts(err, "body is marked isBase64Encoded but is not valid base64");
                return -1;
            }
            ev->body_len = raw.len;
            ev->body = dstr_take(&raw);
        } else {
            ev->body_len = strlen(body);
            ev->body = strdup(body);
            if (!ev->body) abort();
        }
    }
    ev->kind = APIGW_HTTP;
    return 0;
}

int apigw_parse(const char *payload, size_t len, apigw_event *ev, dstr *err) {
    memset(ev, 0, sizeof *ev);
    ev->root = cJSON_ParseWithLength(payload, len);
    if (!cJSON_IsObject(ev->root)) {
        dstr_puts(err, ev->root ? "event is JSON but not an object" : "event is not valid JSON");
        return -1;
    }
    const char *version = str_field(ev->root, "version");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(ev->root, "requestContext");
    if (version && strcmp(version, "2.0") == 0 && cJSON_IsObject(ctx))
        return parse_http(ev, ctx, err);
    const char *source = str_field(ev->root, "source");
    const char *detail_type = str_field(ev->root, "detail-type");
    ev->kind = source && detail_type && strcmp(source, "aws.events") == 0 &&
                       strcmp(detail_type, "Scheduled Event") == 0
                   ? APIGW_SCHEDULED
                   : APIGW_OBJECT;
    ev->input = ev->root;
    return 0;
}

void apigw_event_free(apigw_event *ev) {
    cJSON_Delete(ev->root);
    free(ev->body);
    memset(ev, 0, sizeof *ev);
}

const char *apigw_query(const apigw_event *ev, const char *name) {
    return ev->query ? str_field(ev->query, name) : NULL;
}

static int is_control(unsigned char b) { return b < 0x20 || b == 0x7f; }

static int hex_val(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Whether s[0..n), %XX-decoded, holds a control byte. A '%' without two hex
 * digits stays itself, as API Gateway passes it on. */
static int raw_has_control(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b == '%' && i + 2 < n && hex_val(s[i + 1]) >= 0 && hex_val(s[i + 2]) >= 0) {
            b = (unsigned char)(hex_val(s[i + 1]) * 16 + hex_val(s[i + 2]));
            i += 2;
        }
        if (is_control(b)) return 1;
    }
    return 0;
}

static int str_has_control(const char *s) {
    for (; s && *s; s++)
        if (is_control((unsigned char)*s)) return 1;
    return 0;
}

const char *apigw_query_control(const apigw_event *ev, size_t *name_len) {
    /* the raw query first: its %00 is lost in the parsed strings */
    for (const char *p = ev->raw_query ? ev->raw_query : ""; *p;) {
        size_t n = strcspn(p, "&");
        if (raw_has_control(p, n)) {
            *name_len = strcspn(p, "=");
            if (*name_len > n) *name_len = n;
            return p;
        }
        p += n + (p[n] ? 1 : 0);
    }
    const cJSON *q;
    cJSON_ArrayForEach(q, ev->query) {
        if (str_has_control(q->string) || str_has_control(cJSON_GetStringValue(q))) {
            for (*name_len = 0; !is_control((unsigned char)q->string[*name_len]); ++*name_len) {
            }
            return q->string;
        }
    }
    return NULL;
}

const char *apigw_header(const apigw_event *ev, const char *name) {
    return ev->headers ? str_field(ev->headers, name) : NULL;
}

void apigw_add_header(apigw_response *res, const char *name, const char *value) {
    dstr_putc(&res->extra_headers, ',');
    dstr_json_str(&res->extra_headers, name);
    dstr_putc(&res->extra_headers, ':');
    dstr_json_str(&res->extra_headers, value);
}

void apigw_response_format(const apigw_response *res, dstr *out) {
    dstr_printf(out, "{\"statusCode\":%d,\"headers\":{\"content-type\":", res->status);
    dstr_json_str(out, res->content_type ? res->content_type : "application/json");
    dstr_puts(out, ",\"cache-control\":\"no-store\"");
    dstr_append(out, dstr_cstr(&res->extra_headers), res->extra_headers.len);
    dstr_puts(out, "},\"isBase64Encoded\":false,\"body\":");
    dstr_json_strn(out, dstr_cstr(&res->body), res->body.len);
    dstr_putc(out, '}');
}

void apigw_response_free(apigw_response *res) {
    dstr_free(&res->body);
    dstr_free(&res->extra_headers);
}

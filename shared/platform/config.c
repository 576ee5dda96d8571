/* config: environment → validated struct cfg (see config.h). */
#include "platform/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "platform/log.h"
#include "platform/secret.h"

int cfg_parse_bool(const char *text, int *out) {
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) return *out = 1, 0;
        if (strcasecmp(text, no[i]) == 0) return *out = 0, 0;
    }
    return -1;
}

int cfg_parse_long(const char *text, long min, long max, long *out) {
    if (!text || !*text || isspace((unsigned char)*text)) return -1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cfg_parse_double(const char *text, double min, double max, double *out) {
    if (!text || !*text || isspace((unsigned char)*text)) return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || *end || !isfinite(v) || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cfg_valid_symbol(const char *text) {
    size_t n = 0;
    for (; text[n]; n++)
        if (!(isupper((unsigned char)text[n]) || isdigit((unsigned char)text[n]))) return 0;
    return n >= 2 && n <= 20;
}

int cfg_valid_order_id_prefix(const char *text) {
    size_t n = 0;
    for (; text[n]; n++)
        if (!isalnum((unsigned char)text[n])) return 0;
    return n >= 1 && n <= CFG_ORDER_ID_PREFIX_MAX;
}

/* Gemini model ids go into the request path: nothing but [A-Za-z0-9._-]. */
static int model_id_valid(const char *id) {
    size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
    return n > 0 && n <= 100 && id[n] == '\0';
}

/* ---- Telegram and alerts ------------------------------------------------ */

static const char *const alert_names[CFG_ALERT_N] = {
    "entry", "exit", "emergency", "reconcile", "risk", "journal", "upstream", "config", "alarm"};

const char *cfg_alert_type_name(cfg_alert_type t) {
    return (unsigned)t < CFG_ALERT_N ? alert_names[t] : NULL;
}

int cfg_alert_type_parse(const char *name) {
    for (int i = 0; i < CFG_ALERT_N; i++)
        if (name && strcasecmp(name, alert_names[i]) == 0) return i;
    return -1;
}

int cfg_parse_alerts(const char *text, unsigned *mask) {
    if (!text) return -1;
    char *copy = xstrdup(text), *save = NULL;
    unsigned m = 0;
    int rc = 0, words = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        char *end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ') *--end = '\0';
        words++;
        int t = cfg_alert_type_parse(tok);
        if (strcasecmp(tok, "all") == 0) m = CFG_ALERTS_ALL;
        else if (strcasecmp(tok, "none") == 0) m |= 0;
        else if (t < 0) rc = -1;
        else m |= 1u << t;
    }
    free(copy);
    if (rc || words == 0) return -1;
    *mask = m;
    return 0;
}

int cfg_alert_on(const cfg *c, cfg_alert_type t) {
    return c && (unsigned)t < CFG_ALERT_N && (c->alert_types >> t) & 1u;
}

int cfg_valid_telegram_chat_id(const char *text) {
    if (!text || !*text) return 0;
    if (text[0] == '@') {
        size_t n =
            strspn(text + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
        return text[1 + n] == '\0' && n >= 5 && n <= 32;
    }
    const char *d = text + (text[0] == '-');
    size_t n = strspn(d, "0123456789");
    return d[n] == '\0' && n >= 1 && n <= 20 && !(n > 1 && d[0] == '0');
}

int cfg_valid_telegram_token(const char *text) {
    if (!text) return 0;
    size_t id = strspn(text, "0123456789");
    if (id == 0 || id > 20 || text[id] != ':') return 0;
    const char *rest = text + id + 1;
    size_t n = strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
    return rest[n] == '\0' && n >= 1 && n <= 128;
}

int cfg_valid_telegram_webhook_secret(const char *text) {
    if (!text) return 0;
    size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
    return text[n] == '\0' && n >= 16 && n <= 256;
}

int cfg_parse_telegram_users(const char *text, long long *ids, size_t *n) {
    *n = 0;
    const char *p = text ? text : "";
    while (*p == ' ') p++;
    if (!*p) return 0;
    for (;;) {
        while (*p == ' ') p++;
        size_t d = strspn(p, "0123456789");
        if (d == 0 || d > 16 || *n == CFG_TELEGRAM_USERS_MAX) return -1;
        long long id = strtoll(p, NULL, 10);
        if (id < 1 || id > (1LL << 53)) return -1;
        ids[(*n)++] = id;
        p += d;
        while (*p == ' ') p++;
        if (!*p) return 0;
        if (*p++ != ',') return -1;
    }
}

/* The loader keeps the first problem per variable and goes on, so one run
 * reports every mistake in the environment at once. */
typedef struct loader {
    dstr *err;
    int failed;
} loader;

static void bad(loader *L, const char *name, const char *given, const char *allowed) {
    L->failed = 1;
    dstr_error_line(L->err, "%s=\"%s\" is invalid: %s", name, given, allowed);
}

/* The values of SECRET_ID's secret (cfg_use_secret_values): they win over
 * the environment for the variables of cfg_secret_names. */
const char *const cfg_secret_names[CFG_SECRET_N] = {"BINANCE_API_KEY",         "BINANCE_API_SECRET",
                                                    "GOOGLE_API_KEY",          "TELEGRAM_BOT_TOKEN",
                                                    "TELEGRAM_WEBHOOK_SECRET", "TRADER_TOKEN"};
static char *secret_values[CFG_SECRET_N];
static int secret_values_set;

void cfg_use_secret_values(char **values) {
    for (size_t i = 0; i < CFG_SECRET_N; i++) {
        free(secret_values[i]);
        secret_values[i] = values ? values[i] : NULL;
        if (values) values[i] = NULL;
    }
    secret_values_set = values != NULL;
}

/* A variable's value: the secret's, else the environment's. */
static const char *env_get(const char *name) {
    for (size_t i = 0; secret_values_set && i < CFG_SECRET_N; i++)
        if (strcmp(cfg_secret_names[i], name) == 0 && secret_values[i]) return secret_values[i];
    return getenv(name);
}

/* config.secret_sources: where each secret variable came from, never its value. */
static void log_secret_sources(const cfg *c) {
    if (!c->secret_id || !secret_values_set) return; /* the first load, before the read */
    log_rec *r = log_begin(LOG_INFO, "config.secret_sources");
    log_str(r, "secret_id", c->secret_id);
    for (size_t i = 0; i < CFG_SECRET_N; i++) {
        const char *e = getenv(cfg_secret_names[i]);
        log_str(r, cfg_secret_names[i], secret_values[i] ? "secret" : e && *e ? "env" : "unset");
    }
    log_end(r);
}

static char *env_str(const char *name, const char *def) {
    const char *v = env_get(name);
    if (!v || !*v) v = def;
    return v ? xstrdup(v) : NULL;
}

static void env_bool(loader *L, const char *name, int def, int *out) {
    const char *v = getenv(name);
    *out = def;
    if (v && *v && cfg_parse_bool(v, out)) bad(L, name, v, "use true or false");
}

static void env_long(loader *L, const char *name, long def, long min, long max, long *out) {
    const char *v = getenv(name);
    *out = def;
    if (v && *v && cfg_parse_long(v, min, max, out)) {
        dstr allowed = {0};
        dstr_printf(&allowed, "expected a whole number from %ld to %ld", min, max);
        bad(L, name, v, allowed.ptr);
        dstr_free(&allowed);
    }
}

static void env_int(loader *L, const char *name, int def, int min, int max, int *out) {
    long v;
    env_long(L, name, def, min, max, &v);
    *out = (int)v;
}

static void env_double(loader *L, const char *name, double def, double min, double max,
                       double *out) {
    const char *v = getenv(name);
    *out = def;
    if (v && *v && cfg_parse_double(v, min, max, out)) {
        dstr allowed = {0};
        dstr_printf(&allowed, "expected a number from %g to %g", min, max);
        bad(L, name, v, allowed.ptr);
        dstr_free(&allowed);
    }
}

static void env_enum(loader *L, const char *name, const char *def, const char *const *allowed,
                     size_t n, char **out) {
    const char *v = getenv(name);
    if (!v || !*v) v = def;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(v, allowed[i]) == 0) {
            *out = xstrdup(allowed[i]);
            return;
        }
    }
    dstr list = {0};
    dstr_puts(&list, "one of");
    for (size_t i = 0; i < n; i++) dstr_printf(&list, " %s", allowed[i]);
    bad(L, name, v, list.ptr);
    dstr_free(&list);
    *out = xstrdup(def);
}

/* http(s)://host..., without query, user part or blank; a trailing '/'
 * only where the client drops it. */
static int http_url_ok(const char *v, int trailing_slash_ok) {
    int ok = (strncmp(v, "https://", 8) == 0 && v[8]) || (strncmp(v, "http://", 7) == 0 && v[7]);
    return ok && (trailing_slash_ok || v[strlen(v) - 1] != '/') && !strchr(v, '?') &&
           !strchr(v, ' ') && !strchr(v, '@');
}

static void env_base_url(loader *L, const char *name, const char *def, char **out) {
    *out = env_str(name, def);
    if (!http_url_ok(*out, 0))
        bad(L, name, *out, "expected an http(s) base URL without a trailing slash or query");
}

/* The first of two variables that is set and non-empty; *name says which
 * (a when neither is). NULL when neither is. */
static char *env_first(const char *a, const char *b, const char **name) {
    const char *v = getenv(a);
    *name = a;
    if ((!v || !*v) && b) {
        const char *w = getenv(b);
        if (w && *w) v = w, *name = b;
    }
    return v && *v ? xstrdup(v) : NULL;
}

static void env_symbols(loader *L, cfg *c) {
    const char *v = getenv("SYMBOLS");
    if (!v || !*v) v = "BTCUSDT,ETHUSDT";
    char *copy = xstrdup(v), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        char *end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ') *--end = '\0';
        if (!cfg_valid_symbol(tok)) {
            bad(L, "SYMBOLS", v,
                "comma-separated Binance symbols (2-20 uppercase letters or digits)");
            break;
        }
        int dup = 0;
        for (size_t i = 0; i < c->n_symbols; i++) dup |= strcmp(c->symbols[i], tok) == 0;
        if (dup) continue;
        if (c->n_symbols == CFG_MAX_SYMBOLS) {
            bad(L, "SYMBOLS", v, "at most 32 symbols");
            break;
        }
        c->symbols[c->n_symbols++] = xstrdup(tok);
    }
    free(copy);
    if (!c->n_symbols && !L->failed) bad(L, "SYMBOLS", v, "at least one symbol");
}

/* True when the zone named by TZ can be loaded. glibc silently falls back
 * to UTC for a zone it cannot find, which would put wrong offsets in every
 * log line; so names are checked against the zone database here. POSIX
 * strings such as "KST-9" or "EST5EDT" need no database. */
static int tz_loadable(const char *tz) {
    const char *name = tz[0] == ':' ? tz + 1 : tz;
    if (!*name) return 0;
    if (strcmp(name, "UTC") == 0 || strcmp(name, "GMT") == 0) return 1;
    int has_digit = 0;
    for (const char *p = name; *p; p++) has_digit |= isdigit((unsigned char)*p);
    if (tz[0] != ':' && has_digit && !strchr(name, '/')) return 1; /* POSIX rule */
    if (strstr(name, "..")) return 0;
    if (name[0] == '/') {
        struct stat st;
        return stat(name, &st) == 0 && S_ISREG(st.st_mode);
    }
    const char *dir = getenv("TZDIR");
    dstr path = {0};
    dstr_printf(&path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    struct stat st;
    int ok = stat(path.ptr, &st) == 0 && S_ISREG(st.st_mode);
    dstr_free(&path);
    return ok;
}

int cfg_apply_tz(const char *tz) {
    if (!tz || !*tz) tz = CFG_DEFAULT_TZ;
    if (!tz_loadable(tz) || setenv("TZ", tz, 1) != 0) return -1;
    tzset();
    return 0;
}

/* On AWS Lambda itself (not the local gateway, which marks its functions
 * with TRADER_LOCAL_GATEWAY) only /tmp is writable: the task root is not. */
static int on_aws_lambda(void) {
    const char *name = getenv("AWS_LAMBDA_FUNCTION_NAME"), *api = getenv("AWS_LAMBDA_RUNTIME_API");
    const char *local = getenv("TRADER_LOCAL_GATEWAY");
    return name && *name && api && *api && !(local && *local);
}

/* 1 when url is a file journal outside /tmp ("/tmp" itself, or below it
 * without a ".." segment, is fine). */
static int file_journal_outside_tmp(const char *url) {
    if (strncasecmp(url, "file://", 7) != 0) return 0;
    const char *path = url + 7;
    if (strncmp(path, "/tmp", 4) != 0 || (path[4] != '\0' && path[4] != '/')) return 1;
    for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
        if (p[-1] == '/' && (p[2] == '\0' || p[2] == '/')) return 1;
    return 0;
}

/* ---- store URLs ---------------------------------------------------------- */

/* S3 bucket naming: 3-63 of [a-z0-9.-], starting and ending alphanumeric. */
static int bucket_valid(const char *b, size_t n) {
    if (n < 3 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '.' && c != '-') return 0;
        if ((i == 0 || i == n - 1) && !alnum) return 0;
    }
    return 1;
}

cfg_url_status cfg_parse_store_url(const char *url, cfg_store_url *out) {
    *out = (cfg_store_url){0};
    const char *sep = url ? strstr(url, "://") : NULL;
    size_t slen = sep ? (size_t)(sep - url) : 0;
    if (sep && slen == 4 && strncasecmp(url, "file", 4) == 0) {
        out->scheme = "file";
        if (!sep[3]) return CFG_URL_NO_PATH;
        out->path = xstrdup(sep + 3);
        return CFG_URL_OK;
    }
    if (!sep || slen != 2 || strncasecmp(url, "s3", 2) != 0) return CFG_URL_SCHEME;
    out->scheme = "s3";
    const char *rest = sep + 3, *slash = strchr(rest, '/');
    size_t blen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!bucket_valid(rest, blen)) return CFG_URL_BUCKET;
    out->bucket = strndup(rest, blen);
    const char *p = slash ? slash + 1 : "";
    size_t plen = strlen(p);
    if (plen > 0 && p[plen - 1] == '/') plen--;
    out->prefix = strndup(p, plen);
    if (!out->bucket || !out->prefix) abort();
    return CFG_URL_OK;
}

void cfg_store_url_free(cfg_store_url *u) {
    free(u->path);
    free(u->bucket);
    free(u->prefix);
    *u = (cfg_store_url){0};
}

/* An empty, "." or ".." segment would make keys the store refuses. */
static int prefix_usable(const char *prefix) {
    if (!*prefix) return 1;
    for (const char *seg = prefix;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!end) break;
        seg = end + 1;
    }
    return 1;
}

static void check_journal_url(loader *L, const cfg *c) {
    if (!on_aws_lambda() || !file_journal_outside_tmp(c->journal_url)) return;
    const char *set = getenv("JOURNAL_URL");
    bad(L, set && *set ? "JOURNAL_URL" : "LOG_DIR", set && *set ? set : c->log_dir,
        "on AWS Lambda a file journal must be under /tmp (the task root is read-only); "
        "use JOURNAL_URL=s3://bucket/prefix");
}

static void env_journal(loader *L, cfg *c) {
    dstr journal = {0};
    dstr_printf(&journal, "file://%s", c->log_dir);
    c->journal_url = env_str("JOURNAL_URL", journal.ptr);
    if (c->paper) {
        /* the paper account's journal is a journal of its own: its trades,
         * runs, risk state and claims never mix with a live account's */
        dstr_clear(&journal);
        dstr_puts(&journal, c->journal_url);
        while (journal.len && journal.ptr[journal.len - 1] == '/') journal.ptr[--journal.len] = 0;
        dstr_puts(&journal, "/" CFG_PAPER_JOURNAL);
        free(c->journal_url);
        c->journal_url = xstrdup(journal.ptr);
    }
    dstr_free(&journal);
    const char *set = getenv("JOURNAL_URL");
    const char *name = set && *set ? "JOURNAL_URL" : "LOG_DIR";
    const char *v = set && *set ? set : c->log_dir;
    switch (cfg_parse_store_url(c->journal_url, &c->journal)) {
    case CFG_URL_OK:
        if (c->journal.prefix && !prefix_usable(c->journal.prefix))
            bad(L, name, v, "the s3:// prefix must not have empty, \".\" or \"..\" segments");
        else check_journal_url(L, c);
        break;
    case CFG_URL_SCHEME:
        bad(L, name, v, "expected file://<path> or s3://<bucket>[/<prefix>]");
        break;
    case CFG_URL_NO_PATH: bad(L, name, v, "file:// needs a path, e.g. file:///tmp/journal"); break;
    case CFG_URL_BUCKET:
        bad(L, name, v,
            "the bucket must be 3-63 characters of a-z, 0-9, '.' and '-', starting and ending "
            "with a letter or digit");
        break;
    }
}

/* Region and credentials are required only by an s3:// journal: a file
 * journal runs without AWS. */
static void env_aws(loader *L, cfg *c) {
    const char *name;
    int s3 = c->journal.scheme && strcmp(c->journal.scheme, "s3") == 0;
    c->aws_region = env_first("AWS_REGION", "AWS_DEFAULT_REGION", &name);
    if (c->aws_region) {
        int ok = 1;
        for (const char *p = c->aws_region; *p; p++) ok &= isalnum((unsigned char)*p) || *p == '-';
        if (!ok) bad(L, name, c->aws_region, "a region name such as eu-west-1");
    } else if (s3) {
        bad(L, "AWS_REGION", "", "an s3:// journal needs a region (or AWS_DEFAULT_REGION)");
    }
    c->aws_access_key_id = env_first("AWS_ACCESS_KEY_ID", NULL, &name);
    c->aws_secret_access_key = env_first("AWS_SECRET_ACCESS_KEY", NULL, &name);
    c->aws_session_token = env_first("AWS_SESSION_TOKEN", NULL, &name);
    if (s3 && !c->aws_access_key_id)
        bad(L, "AWS_ACCESS_KEY_ID", "", "an s3:// journal needs credentials");
    if (s3 && !c->aws_secret_access_key)
        bad(L, "AWS_SECRET_ACCESS_KEY", "", "an s3:// journal needs credentials");
    c->s3_endpoint = env_first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", &name);
    if (c->s3_endpoint && !http_url_ok(c->s3_endpoint, 1))
        bad(L, name, c->s3_endpoint, "expected an http(s) URL without a query or user part");
    env_long(L, "S3_HTTP_TIMEOUT_MS", 5000, 1, 600000, &c->s3_timeout_ms);
    env_int(L, "S3_HTTP_RETRIES", 3, 0, 10, &c->s3_retries);
    env_long(L, "S3_HTTP_BACKOFF_MS", 200, 0, 60000, &c->s3_backoff_ms);
    c->secret_id = env_str("SECRET_ID", NULL);
    if (c->secret_id) {
        size_t n = strlen(c->secret_id), ok = n <= 2048;
        for (const char *p = c->secret_id; *p; p++)
            ok &= isalnum((unsigned char)*p) || strchr("/_+=.@-:", *p) != NULL;
        if (!ok)
            bad(L, "SECRET_ID", c->secret_id,
                "a secret name or ARN: 1-2048 of A-Z a-z 0-9 / _ + = . @ - :");
        if (!c->aws_region)
            bad(L, "AWS_REGION", "", "SECRET_ID needs a region (or AWS_DEFAULT_REGION)");
        if (!c->aws_access_key_id || !c->aws_secret_access_key)
            bad(L, "AWS_ACCESS_KEY_ID", "",
                "SECRET_ID needs credentials (Lambda's role gives them)");
    }
    if (c->secret_id) { /* only used to read the secret */
        c->secrets_endpoint =
            env_first("AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL", &name);
        if (c->secrets_endpoint && !http_url_ok(c->secrets_endpoint, 1))
            bad(L, name, c->secrets_endpoint,
                "expected an http(s) URL without a query or user part");
    }
    env_long(L, "SECRET_TIMEOUT_MS", 3000, 100, 60000, &c->secret_timeout_ms);
}

/* A CA location that is not there would fail every TLS call later, far from
 * its cause. */
static void env_tls(loader *L, cfg *c) {
    const char *name;
    struct stat st;
    c->ca_path = env_first("HTTP_CA_PATH", "SSL_CERT_DIR", &name);
    if (c->ca_path && (stat(c->ca_path, &st) != 0 || !S_ISDIR(st.st_mode)))
        bad(L, name, c->ca_path, "not an existing directory");
    c->ca_file = env_first("HTTP_CA_FILE", "SSL_CERT_FILE", &name);
    if (c->ca_file &&
        (stat(c->ca_file, &st) != 0 || !S_ISREG(st.st_mode) || access(c->ca_file, R_OK) != 0))
        bad(L, name, c->ca_file, "not an existing readable file");
}

/* The execution settings (README "Configuration" gives the why of each
 * default). */
static void env_execution(loader *L, cfg *c) {
    static const char *const entry_types[] = {"MARKET", "LIMIT"};
    env_double(L, "SLIPPAGE_BPS", 5, 0, 1000, &c->slippage_bps);
    env_double(L, "MAX_NOTIONAL_USDT", 10000, 1, 1e9, &c->max_notional_usdt);
    env_double(L, "FEE_TAKER", 0.0005, 0, 0.1, &c->fee_taker);
    env_double(L, "FEE_MAKER", 0.0002, -0.01, 0.1, &c->fee_maker);
    env_enum(L, "ENTRY_ORDER_TYPE", "MARKET", entry_types, 2, &c->entry_order_type);
    env_int(L, "MAX_OPEN_POSITIONS", 2, 1, CFG_MAX_SYMBOLS, &c->max_open_positions);
    env_double(L, "DAILY_LOSS_LIMIT_USDT", 200, 0.01, 1e9, &c->daily_loss_limit_usdt);
    env_double(L, "MAX_DRAWDOWN_PCT", 10, 0.1, 100, &c->max_drawdown_pct);
    env_int(L, "COOLDOWN_MINUTES", 60, 0, 10080, &c->cooldown_minutes);
    env_double(L, "MAX_FUNDING_RATE", 0.001, 0, 0.1, &c->max_funding_rate);
    env_long(L, "BINANCE_RECV_WINDOW_MS", 5000, 1, 60000, &c->recv_window_ms);
    c->order_id_prefix = env_str("ORDER_ID_PREFIX", "atr");
    if (!cfg_valid_order_id_prefix(c->order_id_prefix))
        bad(L, "ORDER_ID_PREFIX", c->order_id_prefix,
            "1-4 ASCII letters or digits (the rest of a 36-character client id is the symbol, "
            "the candle time and the leg)");
    c->trader_token = env_str("TRADER_TOKEN", NULL);
    if (c->trader_token) {
        size_t n = strlen(c->trader_token);
        int printable = 1;
        for (size_t i = 0; i < n; i++)
            printable &= c->trader_token[i] > ' ' && c->trader_token[i] < 0x7f;
        /* the value is a secret: the message never shows it */
        if (n < 16 || n > 256 || !printable)
            bad(L, "TRADER_TOKEN", "(hidden)",
                "16-256 printable ASCII characters without spaces (it is sent as a header)");
    }
}

/* The probe gate's settings (pipelines/probe.h; README "A probe before going
 * live"). Read here with the rest; the gate itself needs the journal, so
 * the trader's init applies it. */
static void env_probe(loader *L, cfg *c) {
    env_bool(L, "LIVE_REQUIRES_PROBE", 0, &c->live_requires_probe);
    env_int(L, "PROBE_MAX_AGE_DAYS", 14, 1, 365, &c->probe_max_age_days);
    env_double(L, "PROBE_MAX_DRAWDOWN_PCT", 15, 0.1, 100, &c->probe_max_drawdown_pct);
    env_int(L, "PROBE_MIN_TRADES", 10, 0, 1000000, &c->probe_min_trades);
}

/* EXECUTE_TRADES: true, false, or paper (orders on the simulated exchange,
 * fed with the live market; its account in the journal). */
static void env_execute_trades(loader *L, cfg *c) {
    const char *v = getenv("EXECUTE_TRADES");
    c->execute_trades = c->paper = 0;
    if (v && strcasecmp(v, "paper") == 0) c->execute_trades = c->paper = 1;
    else if (v && *v && cfg_parse_bool(v, &c->execute_trades))
        bad(L, "EXECUTE_TRADES", v, "use true, false or paper");
    env_double(L, "PAPER_BALANCE", 10000, 1, 1e12, &c->paper_balance);
}

/* EXECUTE_TRADES=true: what real orders need (paper needs no key). */
static void check_execute_trades(loader *L, const cfg *c) {
    if (!c->execute_trades) return;
    if (c->paper) {
        if (c->position_mode && strcmp(c->position_mode, "HEDGE") == 0)
            bad(L, "POSITION_MODE", "HEDGE", "EXECUTE_TRADES=paper simulates ONEWAY only");
        return;
    }
    if (!c->binance_api_key)
        bad(L, "BINANCE_API_KEY", "", "EXECUTE_TRADES=true needs the API key (orders are signed)");
    if (!c->binance_api_secret)
        bad(L, "BINANCE_API_SECRET", "",
            "EXECUTE_TRADES=true needs the API secret (orders are signed)");
    if (c->position_mode && strcmp(c->position_mode, "HEDGE") == 0)
        bad(L, "POSITION_MODE", "HEDGE",
            "EXECUTE_TRADES=true needs ONEWAY: the bot protects and closes positions with "
            "reduce-only orders, which Hedge mode does not accept");
}

/* The operator channel: a token without a chat (or the reverse) is a
 * mistake, not "alerts off"; the token is a secret, never shown. */
static void env_telegram(loader *L, cfg *c) {
    c->telegram_bot_token = env_str("TELEGRAM_BOT_TOKEN", NULL);
    if (c->telegram_bot_token && !cfg_valid_telegram_token(c->telegram_bot_token))
        bad(L, "TELEGRAM_BOT_TOKEN", "(hidden)",
            "a bot token as BotFather gives it: <digits>:<1-128 of A-Z a-z 0-9 _ ->");
    c->telegram_chat_id = env_str("TELEGRAM_CHAT_ID", NULL);
    if (c->telegram_chat_id && !cfg_valid_telegram_chat_id(c->telegram_chat_id))
        bad(L, "TELEGRAM_CHAT_ID", c->telegram_chat_id,
            "an integer chat id (groups: -100...) or @channelusername (5-32 of A-Z a-z 0-9 _)");
    if (c->telegram_bot_token && !c->telegram_chat_id)
        bad(L, "TELEGRAM_CHAT_ID", "",
            "TELEGRAM_BOT_TOKEN is set: alerts need the chat to send to");
    if (c->telegram_chat_id && !c->telegram_bot_token)
        bad(L, "TELEGRAM_BOT_TOKEN", "", "TELEGRAM_CHAT_ID is set: alerts need the bot's token");
    env_base_url(L, "TELEGRAM_BASE_URL", "https://api.telegram.org", &c->telegram_base_url);
    env_long(L, "TELEGRAM_HTTP_TIMEOUT_MS", 5000, 100, 120000, &c->telegram_timeout_ms);
    env_int(L, "TELEGRAM_HTTP_RETRIES", 2, 0, 10, &c->telegram_retries);
    env_long(L, "TELEGRAM_HTTP_BACKOFF_MS", 500, 0, 60000, &c->telegram_backoff_ms);
    c->telegram_webhook_secret = env_str("TELEGRAM_WEBHOOK_SECRET", NULL);
    if (c->telegram_webhook_secret &&
        !cfg_valid_telegram_webhook_secret(c->telegram_webhook_secret))
        bad(L, "TELEGRAM_WEBHOOK_SECRET", "(hidden)",
            "16-256 of A-Z a-z 0-9 _ - (Telegram's characters for secret_token)");
    const char *users = getenv("TELEGRAM_ALLOWED_USER_IDS");
    if (cfg_parse_telegram_users(users, c->telegram_allowed_users, &c->n_telegram_allowed_users)) {
        c->n_telegram_allowed_users = 0;
        bad(L, "TELEGRAM_ALLOWED_USER_IDS", users,
            "comma-separated Telegram user ids (whole numbers), at most 32");
    }
    env_long(L, "ALERT_BUDGET_MS", 3000, 100, 60000, &c->alert_budget_ms);
    const char *alerts = getenv("ALERTS");
    c->alert_types = CFG_ALERTS_ALL;
    if (alerts && *alerts && cfg_parse_alerts(alerts, &c->alert_types)) {
        dstr allowed = {0};
        dstr_puts(&allowed, "all, none, or a comma-separated list of");
        for (int i = 0; i < CFG_ALERT_N; i++) dstr_printf(&allowed, " %s", alert_names[i]);
        bad(L, "ALERTS", alerts, allowed.ptr);
        dstr_free(&allowed);
        c->alert_types = CFG_ALERTS_ALL;
    }
}

int cfg_load(cfg *c, dstr *err) {
    memset(c, 0, sizeof *c);
    loader L = {.err = err};
    static const char *const margin[] = {"ISOLATED", "CROSSED"};
    static const char *const modes[] = {"ONEWAY", "HEDGE"};

    env_int(&L, "PORT", 8080, 1, 65535, &c->port);
    const char *level = getenv("LOG_LEVEL");
    c->log_level = LOG_INFO;
    if (level && *level && log_level_parse(level, &c->log_level))
        bad(&L, "LOG_LEVEL", level, "one of debug info warn error");
    c->log_dir = env_str("LOG_DIR", "./logs");
    c->tz = env_str("TZ", CFG_DEFAULT_TZ);
    if (cfg_apply_tz(c->tz) != 0)
        bad(&L, "TZ", c->tz,
            "no zone data for it (install tzdata or use an IANA name such as UTC)");

    env_symbols(&L, c);
    env_execute_trades(&L, c);
    env_double(&L, "MIN_PROB", 0.60, 0, 1, &c->min_prob);
    env_double(&L, "RR_MIN", 1.20, 0.01, 100, &c->rr_min);
    env_double(&L, "ATR_MULT_TP", 1.8, 0.01, 100, &c->atr_mult_tp);
    env_double(&L, "ATR_MULT_SL", 1.0, 0.01, 100, &c->atr_mult_sl);
    env_int(&L, "LEVERAGE", 5, 1, 125, &c->leverage);
    env_enum(&L, "MARGIN_TYPE", "ISOLATED", margin, 2, &c->margin_type);
    env_enum(&L, "POSITION_MODE", "ONEWAY", modes, 2, &c->position_mode);
    env_double(&L, "MAX_SPREAD_BPS", 2.0, 0, 10000, &c->max_spread_bps);
    env_double(&L, "RISK_USDT", 100, 0.01, 1e9, &c->risk_usdt);
    env_execution(&L, c);
    env_probe(&L, c);

    c->binance_api_key = env_str("BINANCE_API_KEY", NULL);
    c->binance_api_secret = env_str("BINANCE_API_SECRET", NULL);
    int sdk_testnet;
    env_bool(&L, "BINANCE_USE_TESTNET", 0, &c->use_testnet);
    env_bool(&L, "BINANCE_FUTURES_TESTNET", 0, &sdk_testnet);
    c->use_testnet |= sdk_testnet;
    env_base_url(&L, "BINANCE_FAPI_BASE", "https://fapi.binance.com", &c->fapi_base);
    env_base_url(&L, "BINANCE_FAPI_TESTNET_BASE", "https://demo-fapi.binance.com",
                 &c->fapi_testnet_base);
    env_long(&L, "BINANCE_HTTP_TIMEOUT_MS", 10000, 100, 120000, &c->binance_timeout_ms);
    env_int(&L, "BINANCE_HTTP_RETRIES", 3, 0, 10, &c->binance_retries);
    env_long(&L, "BINANCE_HTTP_BACKOFF_MS", 1000, 0, 60000, &c->binance_backoff_ms);

    c->google_api_key = env_str("GOOGLE_API_KEY", NULL);
    c->gemini_model = env_str("GEMINI_MODEL", "gemini-2.5-flash-lite");
    if (!model_id_valid(c->gemini_model))
        bad(&L, "GEMINI_MODEL", c->gemini_model,
            "a bare model id: 1-100 letters, digits, '.', '_' or '-' (e.g. gemini-2.5-flash-lite)");
    env_base_url(&L, "GEMINI_BASE_URL", "https://generativelanguage.googleapis.com",
                 &c->gemini_base_url);
    env_double(&L, "G_TEMPERATURE", 0.0, 0, 2, &c->g_temperature);
    env_int(&L, "G_MAX_TOKENS", 512, 16, 65536, &c->g_max_tokens);

    env_long(&L, "GEMINI_HTTP_TIMEOUT_MS", 20000, 100, 120000, &c->gemini_timeout_ms);
    env_int(&L, "GEMINI_HTTP_RETRIES", 2, 0, 10, &c->gemini_retries);
    env_long(&L, "GEMINI_HTTP_BACKOFF_MS", 1000, 0, 60000, &c->gemini_backoff_ms);

    static const char *const predictors[] = {"gemini", "builtin"};
    static const char *const fallbacks[] = {"none", "builtin"};
    static const char *const atr_tfs[] = {"1h", "5m", "4h", "1d"};
    env_enum(&L, "PREDICTOR", c->google_api_key ? "gemini" : "builtin", predictors, 2,
             &c->predictor);
    if (strcmp(c->predictor, "gemini") == 0 && !c->google_api_key)
        bad(&L, "PREDICTOR", "gemini", "the gemini predictor needs GOOGLE_API_KEY");
    env_enum(&L, "PREDICTOR_FALLBACK", "none", fallbacks, 2, &c->predictor_fallback);
    env_int(&L, "ATR_PERIOD", 14, 1, 200, &c->atr_period);
    env_enum(&L, "ATR_TF", "1h", atr_tfs, 4, &c->atr_tf);

    env_telegram(&L, c);
    env_journal(&L, c);
    env_aws(&L, c);
    env_tls(&L, c);
    check_execute_trades(&L, c);

    secret_register(c->binance_api_key);
    secret_register(c->binance_api_secret);
    secret_register(c->google_api_key);
    secret_register(c->aws_secret_access_key);
    secret_register(c->aws_session_token);
    secret_register(c->trader_token);
    secret_register(c->telegram_bot_token);
    secret_register(c->telegram_webhook_secret);
    log_secret_sources(c);
    return L.failed ? -1 : 0;
}

const char *cfg_account(const cfg *c) { return c->paper ? "paper" : "live"; }

const char *cfg_fapi_base(const cfg *c) {
    return c->use_testnet ? c->fapi_testnet_base : c->fapi_base;
}

void cfg_free(cfg *c) {
    char **strs[] = {&c->log_dir,
                     &c->tz,
                     &c->margin_type,
                     &c->position_mode,
                     &c->binance_api_key,
                     &c->binance_api_secret,
                     &c->fapi_base,
                     &c->fapi_testnet_base,
                     &c->google_api_key,
                     &c->gemini_model,
                     &c->gemini_base_url,
                     &c->ca_path,
                     &c->ca_file,
                     &c->predictor,
                     &c->predictor_fallback,
                     &c->atr_tf,
                     &c->journal_url,
                     &c->aws_region,
                     &c->s3_endpoint,
                     &c->aws_access_key_id,
                     &c->aws_secret_access_key,
                     &c->aws_session_token,
                     &c->entry_order_type,
                     &c->trader_token,
                     &c->order_id_prefix,
                     &c->telegram_bot_token,
                     &c->telegram_chat_id,
                     &c->telegram_base_url,
                     &c->telegram_webhook_secret,
                     &c->secret_id,
                     &c->secrets_endpoint};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    for (size_t i = 0; i < c->n_symbols; i++) free(c->symbols[i]);
    c->n_symbols = 0;
    cfg_store_url_free(&c->journal);
}

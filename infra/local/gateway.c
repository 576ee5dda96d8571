/* gateway: local stand-in for API Gateway (HTTP API, payload 2.0) + Lambda +
 * EventBridge Scheduler. Routes HTTP requests (infra/routes.tsv) to the real
 * bootstrap of each function through the Lambda Runtime API, and fires the
 * schedules of scheduler.yaml. See infra/local/README.md. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/config.h"
#include "platform/dstr.h"
#include "gw_hosts.h"
#include "gw_http.h"
#include "gw_ids.h"
#include "gw_log.h"
#include "gw_routes.h"
#include "gw_signals.h"
#include "sched_config.h"
#include "scheduler.h"

#define GW_MAX_FIRE_NOW 16

typedef struct gw_opts {
    const char *bind;
    long port;
    const char *routes;
    const char *schedules;
    int schedules_given;
    const char *functions_dir;
    int no_scheduler;
    const char *fire_now[GW_MAX_FIRE_NOW];
    int n_fire_now;
    const char *port_file;
    long function_timeout_ms, integration_timeout_ms, init_timeout_ms, memory_mb;
    long request_timeout_ms;
    const char *region;
} gw_opts;

static void usage(FILE *f) {
    fputs("usage: gateway [--port N] [--bind ADDR] [--routes FILE] [--schedules FILE]\n"
          "               [--functions-dir DIR] [--no-scheduler] [--fire-now NAME]...\n"
          "               [--port-file FILE]\n"
          "  --port N           listen port (env PORT, default 8080; 0 = any free port)\n"
          "  --bind ADDR        listen address (env BIND_ADDR, default 127.0.0.1)\n"
          "  --routes FILE      route table (default infra/routes.tsv)\n"
          "  --schedules FILE   schedules (default scheduler.yaml)\n"
          "  --functions-dir D  bootstraps are D/<function>/bootstrap (default build)\n"
          "  --no-scheduler     do not run schedule timers (--fire-now still works)\n"
          "  --fire-now NAME    fire schedule NAME once at start (repeatable)\n"
          "  --port-file FILE   write the listening port there once ready\n"
          "env: LOCAL_FUNCTION_TIMEOUT_MS (30000), LOCAL_INTEGRATION_TIMEOUT_MS (30000),\n"
          "     LOCAL_INIT_TIMEOUT_MS (10000), LOCAL_FUNCTION_MEMORY_MB (128),\n"
          "     LOCAL_REQUEST_TIMEOUT_MS (10000), TZ (Asia/Seoul),\n"
          "     AWS_REGION (us-east-1), LOG_LEVEL\n",
          f);
}

static long env_long(const char *name, long def, long lo, long hi) {
    const char *v = getenv(name);
    if (!v || !*v) return def;
    char *e;
    errno = 0;
    long x = strtol(v, &e, 10);
    if (errno || *e || x < lo || x > hi) {
        fprintf(stderr, "gateway: %s=%s is not a number in %ld..%ld\n", name, v, lo, hi);
        exit(2);
    }
    return x;
}

static int parse_opts(int argc, char **argv, gw_opts *o) {
    const char *bind = getenv("BIND_ADDR");
    o->bind = bind && *bind ? bind : "127.0.0.1";
    o->port = env_long("PORT", 8080, 0, 65535);
    o->routes = "infra/routes.tsv";
    o->schedules = "scheduler.yaml";
    o->functions_dir = "build";
    o->function_timeout_ms = env_long("LOCAL_FUNCTION_TIMEOUT_MS", 30000, 1, 900000);
    /* HTTP API integrations accept 50 ms .. 30 s */
    o->integration_timeout_ms = env_long("LOCAL_INTEGRATION_TIMEOUT_MS", 30000, 50, 30000);
    o->init_timeout_ms = env_long("LOCAL_INIT_TIMEOUT_MS", 10000, 1, 600000);
    o->request_timeout_ms = env_long("LOCAL_REQUEST_TIMEOUT_MS", 10000, 100, 600000);
    o->memory_mb = env_long("LOCAL_FUNCTION_MEMORY_MB", 128, 128, 10240);
    const char *region = getenv("AWS_REGION");
    o->region = region && *region ? region : "us-east-1";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-scheduler") == 0) {
            o->no_scheduler = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (!val) {
            fprintf(stderr, "gateway: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--port") == 0) {
            char *e;
            o->port = strtol(val, &e, 10);
            if (*e || o->port < 0 || o->port > 65535) {
                fprintf(stderr, "gateway: bad port '%s'\n", val);
                return -1;
            }
        } else if (strcmp(a, "--bind") == 0) o->bind = val;
        else if (strcmp(a, "--routes") == 0) o->routes = val;
        else if (strcmp(a, "--schedules") == 0) o->schedules = val, o->schedules_given = 1;
        else if (strcmp(a, "--functions-dir") == 0) o->functions_dir = val;
        else if (strcmp(a, "--port-file") == 0) o->port_file = val;
        else if (strcmp(a, "--fire-now") == 0 && o->n_fire_now < GW_MAX_FIRE_NOW)
            o->fire_now[o->n_fire_now++] = val;
        else {
            fprintf(stderr, "gateway: unknown option '%s'\n", a);
            return -1;
        }
    }
    return 0;
}

/* One host per function named by a route or a schedule. */
static int start_hosts(const gw_opts *o, const gw_routes *routes, const sched_config *sc,
                       gw_hosts *hosts) {
    size_t total = routes->n + sc->n;
    for (size_t i = 0; i < total; i++) {
        const char *fn =
            i < routes->n ? routes->items[i].function : sc->items[i - routes->n].function;
        if (gw_hosts_get(hosts, fn)) continue;
        dstr boot = {0};
        dstr_printf(&boot, "%s/%s/bootstrap", o->functions_dir, fn);
        fnhost_config fcfg = {fn,
                              dstr_cstr(&boot),
                              o->function_timeout_ms,
                              o->init_timeout_ms,
                              (int)o->memory_mb,
                              o->region};
        char err[256];
        int rc = gw_hosts_add(hosts, &fcfg, err, sizeof err);
        dstr_free(&boot);
        if (rc != 0) {
            fprintf(stderr, "gateway: %s\n", err);
            return -1;
        }
    }
    return 0;
}

static void log_start(const gw_opts *o, const gw_http *http, const gw_routes *routes,
                      const sched_config *sc, const gw_hosts *hosts) {
    dstr fns = {0}, missing = {0};
    dstr_putc(&fns, '[');
    dstr_putc(&missing, '[');
    for (size_t i = 0; i < hosts->n; i++) {
        const fnhost *h = hosts->items[i];
        if (fns.len > 1) dstr_putc(&fns, ',');
        dstr_json_str(&fns, fnhost_function(h));
        if (fnhost_binary_present(h)) continue;
        if (missing.len > 1) dstr_putc(&missing, ',');
        dstr_json_str(&missing, fnhost_function(h));
        log_rec *r = gw_log_begin(LOG_WARN, "gateway.function_missing");
        log_str(r, "function", fnhost_function(h));
        log_str(r, "bootstrap", fnhost_bootstrap(h));
        log_str(r, "message", "not built yet: its routes answer 502 until it is");
        gw_log_end(r);
    }
    dstr_putc(&fns, ']');
    dstr_putc(&missing, ']');
    log_rec *r = gw_log_begin(LOG_INFO, "gateway.start");
    log_str(r, "bind", o->bind);
    log_int(r, "port", gw_http_port(http));
    log_int(r, "routes", (long long)routes->n);
    log_json(r, "functions", dstr_cstr(&fns));
    log_json(r, "functions_missing", dstr_cstr(&missing));
    log_int(r, "schedules", (long long)sc->n);
    log_bool(r, "scheduler", !o->no_scheduler);
    log_int(r, "function_timeout_ms", o->function_timeout_ms);
    log_int(r, "integration_timeout_ms", o->integration_timeout_ms);
    log_int(r, "request_timeout_ms", o->request_timeout_ms);
    gw_log_end(r);
    dstr_free(&fns);
    dstr_free(&missing);
}

static int write_port_file(const char *path, unsigned port) {
    dstr tmp = {0};
    dstr_printf(&tmp, "%s.tmp", path);
    FILE *f = fopen(dstr_cstr(&tmp), "w");
    int ok = f && fprintf(f, "%u\n", port) > 0;
    if (f && fclose(f) != 0) ok = 0;
    ok = ok && rename(dstr_cstr(&tmp), path) == 0; /* readers never see a partial file */
    dstr_free(&tmp);
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    gw_opts o = {0};
    if (parse_opts(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    /* the functions log with the TZ rule of platform/config; the gateway's
     * lines share their stream, so they follow the same rule */
    const char *tz = getenv("TZ");
    if (cfg_apply_tz(tz) != 0) {
        fprintf(stderr, "gateway: TZ=%s: no zone data for it (install tzdata or use UTC)\n", tz);
        return 2;
    }
    log_init("gateway");
    log_level level; /* the gateway has no cfg: its own LOG_LEVEL, as lenient as before */
    const char *lv = getenv("LOG_LEVEL");
    if (lv && log_level_parse(lv, &level) == 0) log_set_level(level);
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop; /* before any thread: every thread inherits the mask; main waits below */
    gw_block_stop_signals(&stop);

    char err[512];
    gw_routes routes = {0};
    sched_config sc = {0};
    gw_hosts hosts = {0};
    gw_http *http = NULL;
    scheduler *sched = NULL;
    int rc = 2, sig = 0;
    int64_t stop_began = 0;
    if (gw_routes_load(o.routes, &routes, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        goto out;
    }
    int want_schedules = !o.no_scheduler || o.n_fire_now > 0;
    if (want_schedules && (o.schedules_given || access(o.schedules, F_OK) == 0) &&
        sched_config_load(o.schedules, &sc, err, sizeof err) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        goto out;
    }
    if (start_hosts(&o, &routes, &sc, &hosts) != 0) goto out;
    gw_http_config hc = {o.bind, (unsigned short)o.port,   &routes,
                         &hosts, o.integration_timeout_ms, o.request_timeout_ms};
    if (!(http = gw_http_start(&hc, err, sizeof err))) {
        fprintf(stderr, "gateway: %s\n", err);
        goto out;
    }
    log_start(&o, http, &routes, &sc, &hosts);
    if (!(sched = scheduler_start(&sc, &hosts, o.region, !o.no_scheduler, err, sizeof err))) {
        fprintf(stderr, "gateway: %s\n", err);
        goto out;
    }
    for (int i = 0; i < o.n_fire_now; i++)
        if (scheduler_fire_now(sched, o.fire_now[i]) != 0) {
            fprintf(stderr, "gateway: --fire-now: no schedule named '%s' in %s\n", o.fire_now[i],
                    o.schedules);
            goto out;
        }
    if (o.port_file && write_port_file(o.port_file, gw_http_port(http)) != 0) {
        fprintf(stderr, "gateway: cannot write %s: %s\n", o.port_file, strerror(errno));
        goto out;
    }
    while (sigwait(&stop, &sig) != 0) {
    }
    stop_began = gw_now_ms();
    log_rec *r = gw_log_begin(LOG_INFO, "gateway.stop");
    log_str(r, "signal", gw_signal_name(sig));
    gw_log_end(r);
    rc = 0;
out:
    if (http) gw_http_quiesce(http);
    scheduler_stop(sched);
    gw_hosts_shutdown(&hosts); /* ends waits so the HTTP threads can finish */
    gw_http_stop(http);
    gw_hosts_free(&hosts);
    sched_config_free(&sc);
    gw_routes_free(&routes);
    if (stop_began) { /* the last line: nothing of the gateway runs any more */
        log_rec *end = gw_log_begin(LOG_INFO, "gateway.stopped");
        log_str(end, "signal", gw_signal_name(sig));
        log_int(end, "stop_ms", gw_now_ms() - stop_began);
        gw_log_end(end);
    }
    return rc;
}

/* rt_echo_fn: a Lambda function on rt_run() whose behaviour is chosen by its
 * event, for the runtime conformance test and the runtime benchmark.
 *
 *   {"do":"echo"}                 answers the event itself (its content type too)
 *   {"do":"fail","message":"m"}   rt_response_fail(Function.EchoFailure, m)
 *   {"do":"big","bytes":N}        answers N bytes of 'x' (text/plain)
 *   {"do":"env"}                  answers what the runtime handed over: request id,
 *                                 _X_AMZN_TRACE_ID, ARN, deadline, remaining ms, ...
 *   {"do":"slow","ms":N}          sleeps N ms (a stop signal does not cut it short), then echoes
 * An event that is not such JSON fails with Function.BadEvent.
 * Init fails (Runtime.ConfigInvalid) when RT_ECHO_FAIL_INIT=1. RT_ECHO_SECRET
 * is registered as a secret at init (as config registers API keys) and the
 * init failure's message echoes it, as a careless error text would. */
#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform/dstr.h"
#include "platform/log.h"
#include "platform/runtime.h"
#include "platform/secret.h"
#include "platform/clock.h"

#define ECHO_MAX_BIG (64u * 1024u * 1024u)

static int echo_init(void *ctx, dstr *err, const char **err_type) {
    (void)ctx;
    const char *secret = getenv("RT_ECHO_SECRET");
    secret_register(secret);
    const char *fail = getenv("RT_ECHO_FAIL_INIT");
    if (fail && strcmp(fail, "1") == 0) {
        dstr_puts(err, "RT_ECHO_FAIL_INIT=1: refusing to start");
        if (secret) dstr_printf(err, " (secret %s)", secret);
        *err_type = "Runtime.ConfigInvalid";
        return -1;
    }
    return 0;
}

static void put_field(dstr *out, const char *key, const char *val) {
    dstr_printf(out, "%s\"%s\":", out->len > 1 ? "," : "", key);
    dstr_json_str(out, val);
}

static void answer_env(const rt_invocation *inv, rt_response *res) {
    dstr *out = &res->body;
    dstr_putc(out, '{');
    put_field(out, "request_id", inv->request_id);
    put_field(out, "trace", getenv("_X_AMZN_TRACE_ID"));
    put_field(out, "trace_id", inv->trace_id);
    put_field(out, "arn", inv->function_arn);
    put_field(out, "client_context", inv->client_context);
    put_field(out, "cognito_identity", inv->cognito_identity);
    put_field(out, "content_type", inv->content_type);
    put_field(out, "tenant_id", inv->tenant_id);
    dstr_printf(out, ",\"deadline_ms\":%lld,\"remaining_ms\":%lld}", (long long)inv->deadline_ms,
                (long long)(inv->deadline_ms - clock_wall_ms()));
}

static void echo(const rt_invocation *inv, rt_response *res) {
    dstr_append(&res->body, inv->payload, inv->payload_len);
    res->content_type = inv->content_type; /* lives as long as inv: allowed */
}

static void echo_invoke(void *ctx, const rt_invocation *inv, rt_response *res) {
    (void)ctx;
    cJSON *ev = cJSON_ParseWithLength(inv->payload, inv->payload_len);
    const char *action = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "do"));
    const cJSON *num = NULL;
    if (!action) {
        rt_response_fail(res, "Function.BadEvent", "event is not JSON with a \"do\" string");
    } else if (strcmp(action, "echo") == 0) {
        echo(inv, res);
    } else if (strcmp(action, "fail") == 0) {
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "message"));
        rt_response_fail(res, "Function.EchoFailure", "%s", msg ? msg : "asked to fail");
    } else if (strcmp(action, "big") == 0) {
        num = cJSON_GetObjectItemCaseSensitive(ev, "bytes");
        if (!cJSON_IsNumber(num) || num->valuedouble < 0 || num->valuedouble > ECHO_MAX_BIG) {
            rt_response_fail(res, "Function.BadEvent", "\"bytes\" must be 0..%u", ECHO_MAX_BIG);
        } else {
            size_t n = (size_t)num->valuedouble;
            dstr_reserve(&res->body, n);
            memset(res->body.ptr, 'x', n);
            res->body.len = n;
            res->body.ptr[n] = '\0';
            res->content_type = "text/plain";
        }
    } else if (strcmp(action, "env") == 0) {
        answer_env(inv, res);
    } else if (strcmp(action, "slow") == 0) {
        num = cJSON_GetObjectItemCaseSensitive(ev, "ms");
        long ms = cJSON_IsNumber(num) && num->valuedouble > 0 && num->valuedouble < 60000
                      ? (long)num->valuedouble
                      : 0;
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) { /* a stop signal: work on */
        }
        echo(inv, res);
    } else {
        rt_response_fail(res, "Function.UnknownAction", "unknown action \"%s\"", action);
    }
    cJSON_Delete(ev);
}

int main(void) {
    log_init("rt_echo_fn");
    rt_handler h = {.ctx = NULL, .init = echo_init, .invoke = echo_invoke};
    int rc = rt_run(&h);
    secret_clear();
    return rc;
}

/* telegram: the operator channel's function (pipelines/operator.h).
 *   POST /telegram/webhook   a Telegram Update (setWebhook with secret_token)
 *     The header X-Telegram-Bot-Api-Secret-Token must equal
 *     TELEGRAM_WEBHOOK_SECRET (compared in constant time); missing, wrong,
 *     or no secret configured: 401 and nothing is done (nothing parsed,
 *     nothing journaled but the invocation log). Every authenticated update
 *     is answered 200 {"ok":true,"outcome":...}, whatever it held (an
 *     unknown command, another chat): Telegram redelivers anything else
 *     until it gives up. The command's answer goes to the chat through the
 *     Bot API, never in this HTTP answer. Then the pending alert outbox is
 *     delivered (alerts a trader run left behind).
 *   SNS event (the stack's alarm topic subscribes this function): each
 *     notification becomes an outbox alert of type "alarm", delivered at
 *     once; the result {"alarms","skipped","queued","delivered","later"}.
 *     An event that is not an SNS event is a function error
 *     (Function.BadEvent).
 * The route has no gateway authorizer (Telegram cannot sign requests): the
 * secret header is the authentication. */
#include <string.h>

#include "frame/api.h"
#include "pipelines/operator.h"
#include "platform/log.h"
#include "platform/secret.h"

static void webhook(api_ctx *ctx, const apigw_event *ev, apigw_response *res) {
    const char *given = apigw_header(ev, "x-telegram-bot-api-secret-token");
    if (!ctx->cfg->telegram_webhook_secret ||
        !secret_equal(given, ctx->cfg->telegram_webhook_secret)) {
        log_msg(LOG_WARN, "telegram.bad_secret", "a webhook request was refused: %s",
                !ctx->cfg->telegram_webhook_secret ? "TELEGRAM_WEBHOOK_SECRET is not configured"
                : given                            ? "wrong secret token"
                                                   : "no secret token");
        api_error(res, 401, "invalid_token", "X-Telegram-Bot-Api-Secret-Token is missing or wrong");
        return;
    }
    const pl_env *env = api_env(ctx);
    operator_result r;
    operator_update(env, ev->body ? ev->body : "", ev->body ? ev->body_len : 0, &r);
    alerts_report rep;
    operator_deliver(env, &rep, NULL);
    res->status = 200;
    dstr_printf(&res->body, "{\"ok\":true,\"outcome\":\"%s\",\"replied\":%s}",
                operator_outcome_name(r.outcome), r.replied ? "true" : "false");
    operator_result_free(&r);
}

static void on_event(api_ctx *ctx, const cJSON *input, rt_response *res) {
    operator_alarm_report rep;
    dstr err = {0};
    if (operator_alarms(api_env(ctx), input, &rep, &err) && rep.alarms == 0) {
        log_msg(LOG_WARN, "telegram.bad_event", "%s", dstr_cstr(&err));
        rt_response_fail(res, "Function.BadEvent", "%s", dstr_cstr(&err));
    } else {
        dstr_printf(&res->body,
                    "{\"alarms\":%zu,\"skipped\":%zu,\"queued\":%zu,\"delivered\":%zu,"
                    "\"later\":%zu}",
                    rep.alarms, rep.skipped, rep.queued, rep.delivery.delivered,
                    rep.delivery.later + rep.delivery.refused);
    }
    dstr_free(&err);
}

static const char *const params[] = {NULL};
static const api_route routes[] = {{"POST", "/telegram/webhook", webhook, params}};

int main(void) {
    api_function fn = {.name = "telegram", .routes = routes, .n_routes = 1, .on_event = on_event};
    return api_main(&fn);
}

#!/usr/bin/env bash
# Registers the telegram function's webhook with the Bot API (setWebhook with
# secret_token), shows it, or removes it (README "Telegram commands").
#
#   infra/telegram_webhook.sh set URL   URL: the deployed POST /telegram/webhook,
#                                        e.g. https://<api>.execute-api.<region>.amazonaws.com/telegram/webhook
#   infra/telegram_webhook.sh info      getWebhookInfo (the URL, pending updates, last error)
#   infra/telegram_webhook.sh delete    deleteWebhook
#   make telegram-webhook WEBHOOK_URL=URL   is "set URL"
#
# Reads TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET (set only) and
# TELEGRAM_BASE_URL (default https://api.telegram.org; the tests' fake_telegram
# otherwise). The token and the secret go to curl in a config file only this
# user can read, never on a command line (ps shows those), and are printed
# nowhere: the output is Telegram's answer. allowed_updates: message,
# edited_message, channel_post (all the function acts on). Exit status: 0 when
# Telegram answered "ok": true.
set -euo pipefail
base=${TELEGRAM_BASE_URL:-https://api.telegram.org}
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
: "${TELEGRAM_BOT_TOKEN:?TELEGRAM_BOT_TOKEN is not set}"
conf=$(umask 077 && mktemp)
trap 'rm -f "$conf"' EXIT
# one curl config line: key = "value", with \ and " escaped
put() { printf '%s = "%s"\n' "$1" "$(printf '%s' "$2" | sed 's/[\\"]/\\&/g')" >>"$conf"; }
case "$1" in
  set)
    [ $# -eq 2 ] || usage
    : "${TELEGRAM_WEBHOOK_SECRET:?TELEGRAM_WEBHOOK_SECRET is not set}"
    put url "$base/bot$TELEGRAM_BOT_TOKEN/setWebhook"
    put data-urlencode "url=$2"
    put data-urlencode "secret_token=$TELEGRAM_WEBHOOK_SECRET"
    put data-urlencode 'allowed_updates=["message","edited_message","channel_post"]'
    ;;
  info) put url "$base/bot$TELEGRAM_BOT_TOKEN/getWebhookInfo" ;;
  delete) put url "$base/bot$TELEGRAM_BOT_TOKEN/deleteWebhook"; put request POST ;;
  *) usage ;;
esac
answer=$(curl -sS --max-time 30 -K "$conf") || { echo "telegram_webhook: the Bot API did not answer" >&2; exit 1; }
echo "$answer"
case "$answer" in *'"ok":true'*) exit 0 ;; *) exit 1 ;; esac

/* journal_read: the journal's read endpoints (see journal_read.h). */
#include "pipelines/journal_read.h"

#include "services/journal_logs.h"
#include "services/journal_trade.h"

static int opened(const pl_env *env, dstr *err) {
    if (env->journal) return 1;
    dstr_error_line(err, "the store did not open");
    return 0;
}

int journal_read_decisions(const pl_env *env, size_t limit, dstr *out, dstr *err) {
    if (!opened(env, err)) return -1;
    return journal_recent_decisions(env->journal, limit, out, err) ? -1 : 0;
}

int journal_read_trades_csv(const pl_env *env, size_t limit, dstr *out, dstr *err) {
    if (!opened(env, err)) return -1;
    return journal_trade_csv(env->journal, limit, out, err) ? -1 : 0;
}

int journal_read_logs(const pl_env *env, size_t lines, dstr *out, dstr *err) {
    if (!opened(env, err)) return -1;
    return journal_logs_tail(env->journal, lines, out, NULL, err) ? -1 : 0;
}

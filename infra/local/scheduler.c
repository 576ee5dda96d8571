/* scheduler: timers for sched_config entries, fired into function hosts. */
#include "scheduler.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_codec.h"
#include "gw_ids.h"
#include "gw_log.h"

struct scheduler {
    const sched_config *cfg;
    gw_hosts *hosts;
    char region[64];
    int timers;
    int64_t anchor_s; /* when rate schedules start */
    int64_t *next_s;  /* per entry; -1 = never */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stop;
};

/* What the completion callback needs after the config may be gone. */
typedef struct sch_fire {
    char schedule[65];
    char function[65];
    char execution_id[37];
    char scheduled[24];
} sch_fire;

static void sch_done(void *ctx, const fn_result *r) {
    sch_fire *f = ctx;
    log_rec *rec = gw_log_begin(r->status == FN_OK ? LOG_INFO : LOG_WARN, "scheduler.result");
    log_str(rec, "schedule", f->schedule);
    log_str(rec, "function", f->function);
    log_str(rec, "execution_id", f->execution_id);
    log_str(rec, "scheduled_time", f->scheduled);
    log_str(rec, "status", fn_status_name(r->status));
    log_str(rec, "lambda_request_id", r->request_id);
    log_int(rec, "duration_ms", r->duration_ms);
    log_bool(rec, "lambda_cold_start", r->cold_start);
    if (r->status == FN_ERROR) log_str(rec, "error_type", r->error_type);
    if (r->status != FN_OK) log_str(rec, "detail", r->detail);
    gw_log_end(rec);
    free(f);
}

static void sch_fire_entry(scheduler *s, const sched_entry *e, int64_t scheduled_s) {
    sch_fire *f = calloc(1, sizeof *f);
    if (!f) abort();
    snprintf(f->schedule, sizeof f->schedule, "%s", e->name);
    snprintf(f->function, sizeof f->function, "%s", e->function);
    gw_uuid4(f->execution_id);
    gw_fmt_iso_utc(f->scheduled, scheduled_s);
    char arn[256], err[256];
    sched_schedule_arn(arn, sizeof arn, s->region, e->name);
    sched_vars v = {arn, f->scheduled, f->execution_id, 1};
    dstr payload = {0};
    if (sched_input_render(e->input, &v, &payload, err, sizeof err) != 0) {
        gw_log_msg(LOG_ERROR, "scheduler.bad_input", "%s: %s", e->name, err);
        dstr_free(&payload);
        free(f);
        return;
    }
    log_rec *rec = gw_log_begin(LOG_INFO, "scheduler.fire");
    log_str(rec, "schedule", e->name);
    log_str(rec, "function", e->function);
    log_str(rec, "scheduled_time", f->scheduled);
    log_str(rec, "execution_id", f->execution_id);
    gw_log_end(rec);
    fnhost *h = gw_hosts_get(s->hosts, e->function);
    fn_call call = {dstr_cstr(&payload), payload.len, NULL, 0};
    if (!h || fnhost_invoke_async(h, &call, sch_done, f) != 0) {
        gw_log_msg(LOG_WARN, "scheduler.not_delivered", "%s: no function host for '%s'", e->name,
                   e->function);
        free(f);
    }
    dstr_free(&payload);
}

static void *sch_main(void *arg) {
    scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        int64_t soonest = -1;
        for (size_t i = 0; i < s->cfg->n; i++)
            if (s->next_s[i] >= 0 && (soonest < 0 || s->next_s[i] < soonest))
                soonest = s->next_s[i];
        if (soonest < 0) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        int64_t now_ms = gw_now_ms();
        if (now_ms < soonest * 1000) {
            struct timespec ts = {.tv_sec = (time_t)soonest, .tv_nsec = 0};
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            continue;
        }
        int64_t now_s = now_ms / 1000;
        for (size_t i = 0; i < s->cfg->n; i++) {
            const sched_entry *e = &s->cfg->items[i];
            if (s->next_s[i] < 0 || s->next_s[i] > now_s) continue;
            sch_fire_entry(s, e, s->next_s[i]);
            /* from now, not from the fire time: missed times are not replayed */
            s->next_s[i] = sched_expr_next(&e->expr, e->tz, s->anchor_s, now_s);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

scheduler *scheduler_start(const sched_config *cfg, gw_hosts *hosts, const char *region, int timers,
                           char *err, size_t errlen) {
    scheduler *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->cfg = cfg;
    s->hosts = hosts;
    s->timers = timers;
    snprintf(s->region, sizeof s->region, "%s", region && *region ? region : "us-east-1");
    s->anchor_s = gw_now_ms() / 1000;
    s->next_s = calloc(cfg->n ? cfg->n : 1, sizeof *s->next_s);
    if (!s->next_s) abort();
    for (size_t i = 0; i < cfg->n; i++) {
        const sched_entry *e = &cfg->items[i];
        s->next_s[i] = timers && e->enabled
                           ? sched_expr_next(&e->expr, e->tz, s->anchor_s, s->anchor_s - 1)
                           : -1;
        if (timers && e->enabled) {
            char when[24] = "never";
            if (s->next_s[i] >= 0) gw_fmt_iso_utc(when, s->next_s[i]);
            log_rec *r = gw_log_begin(LOG_INFO, "scheduler.schedule");
            log_str(r, "schedule", e->name);
            log_str(r, "function", e->function);
            log_str(r, "expression", e->expression);
            log_str(r, "timezone", e->timezone ? e->timezone : "UTC");
            log_str(r, "next_fire", when);
            gw_log_end(r);
        }
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    int rc = pthread_create(&s->thread, NULL, sch_main, s);
    if (rc != 0) {
        snprintf(err, errlen, "scheduler: pthread_create: %s", strerror(rc));
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s->next_s);
        free(s);
        return NULL;
    }
    return s;
}

int scheduler_fire_now(scheduler *s, const char *name) {
    const sched_entry *e = sched_config_find(s->cfg, name);
    if (!e) return -1;
    pthread_mutex_lock(&s->mu);
    sch_fire_entry(s, e, gw_now_ms() / 1000);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void scheduler_stop(scheduler *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->next_s);
    free(s);
}

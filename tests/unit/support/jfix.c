/* jfix: the journal record tests' fixture (see jfix.h). */
#include "jfix.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "platform/log.h"

int jfix_setup(void **state) {
    jfix *f = calloc(1, sizeof *f);
    if (!f) return -1;
    *state = f;
    log_init("test");
    capture_start(&f->log);
    return tmpstore_open(&f->t, 0);
}

int jfix_teardown(void **state) {
    jfix *f = *state;
    capture_stop();
    tmpstore_close(&f->t);
    dstr_free(&f->log);
    free(f);
    return 0;
}

cJSON *jfix_event(const char *log, const char *event, const char *kind) {
    for (const char *line = log; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        cJSON *ev = cJSON_ParseWithLength(line, len);
        const cJSON *name = cJSON_GetObjectItem(ev, "event"), *k = cJSON_GetObjectItem(ev, "kind");
        if (cJSON_IsString(name) && !strcmp(name->valuestring, event) &&
            (!kind || (cJSON_IsString(k) && !strcmp(k->valuestring, kind))))
            return ev;
        cJSON_Delete(ev);
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

long long jfix_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

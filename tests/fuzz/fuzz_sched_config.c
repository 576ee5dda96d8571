/* fuzz_sched_config: scheduler.yaml texts through sched_config_parse (YAML,
 * entries, expressions, zones, input templates), then every entry's input
 * rendered with the Scheduler's context attributes and its next fire time.
 * A parsed entry must have its required fields and an input that renders as
 * JSON. */
#include <cJSON.h>

#include "fuzz.h"
#include "sched_config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sched_config c = {0};
    char err[512];
    if (sched_config_parse((const char *)data, size, "scheduler.yaml", &c, err, sizeof err) == 0) {
        sched_vars v = {.schedule_arn =
                            "arn:aws:scheduler:eu-west-1:000000000000:schedule/default/x",
                        .scheduled_time = "2025-01-01T00:00:00Z",
                        .execution_id = "e-1",
                        .attempt = 1};
        for (size_t i = 0; i < c.n; i++) {
            const sched_entry *e = &c.items[i];
            if (!e->name || !e->function || !e->expression || !e->input)
                fuzz_fail("entry without a required field");
            if (sched_config_find(&c, e->name) == NULL) fuzz_fail("entry not found by its name");
            dstr out = {0};
            char rerr[256];
            if (sched_input_render(e->input, &v, &out, rerr, sizeof rerr) != 0)
                fuzz_fail("accepted input does not render");
            cJSON *j = cJSON_ParseWithLength(out.ptr, out.len);
            if (!j) fuzz_fail("rendered input is not JSON");
            cJSON_Delete(j);
            dstr_free(&out);
            sched_expr_next(&e->expr, e->tz, 1735689600, 1735689600);
        }
        sched_config_free(&c);
    } else if (!err[0]) {
        fuzz_fail("parse failed without a message");
    }
    return 0;
}

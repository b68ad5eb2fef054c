/* fuzz/fuzz_hfconfig.c — Hugging Face config.json (planner/hfconfig.h): plan_hfconfig_parse,
 * then what `dwplan check --hf-config` does with the shape it returns: count it
 * (plan_count) and price it (plan_flops_per_token under the default conventions).
 * Seeds: fuzz/corpus/hfconfig/ (examples/models/, a probe checkpoint's config.json). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "fit/law.h"
#include "planner/count.h"
#include "planner/hfconfig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    char *text = fuzz_cstr(data, n);
    PlanShape s;
    char name[64];
    plan_shape_default(&s);
    if (plan_hfconfig_parse(text, "fuzz/config.json", &s, name, sizeof name) == DW_OK) {
        if (!memchr(name, '\0', sizeof name)) abort(); /* the name is always terminated */
        PlanCount c;
        LawConventions conv;
        law_conventions_default(&conv);
        (void)plan_count(&s, &c);
        (void)plan_flops_per_token(&conv, &s);
    }
    free(text);
    return 0;
}

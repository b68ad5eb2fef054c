/* fuzz/fuzz_law.c — law files (fit/law.h): law_parse, then everything a parsed law is used
 * for without a fit: law_to_json (and parsing that again: a law dwplan writes must read
 * back), law_degenerate_text, law_eval at a point inside the usual range, law_range_outside.
 * Seeds: fuzz/corpus/law/ (the embedded presets, tests/data/law/). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "fit/law.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    char *text = fuzz_cstr(data, n);
    Law *law = NULL, *again = NULL;
    if (law_parse(text, "fuzz.json", &law) == DW_OK) {
        char *json = NULL, buf[512];
        if (law_to_json(law, &json) == DW_OK) {
            /* what dwplan writes it reads back */
            if (law_parse(json, "fuzz.json (written)", &again) != DW_OK) {
                fprintf(stderr, "law_to_json output does not parse: %s\n%s\n", dw_error_get(),
                        json);
                abort();
            }
            law_free(again);
            free(json);
        }
        law_degenerate_text(law, buf, sizeof buf);
        LawX x = {0};
        x.params = 1e9;
        x.tokens = 2e10;
        x.depth = 24;
        x.width = 2048;
        (void)law_eval(law, &x);
        double v[LAW_RANGE_COUNT];
        for (int i = 0; i < LAW_RANGE_COUNT; i++) v[i] = 1e3;
        (void)law_range_outside(law, v, 1.0);
        law_free(law);
    }
    free(text);
    return 0;
}

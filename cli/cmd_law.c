/* cli/cmd_law.c — `dwplan law list|show`: the embedded presets and law files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fit_sources.h"
#include "common/dw.h"
#include "fit_render.h"
#include "report.h"

static void help_(void) {
    printf("usage: dwplan law list [--json]\n"
           "       dwplan law show NAME|FILE [--json]\n"
           "\n"
           "Lists the embedded law presets or shows one law (parameters with intervals, fit\n"
           "statistics, conventions, provenance). `show --json` prints the full law file, so\n"
           "`dwplan law show gemstones --json > law.json` exports a preset.\n"
           "\n"
           "examples:\n"
           "  dwplan law list\n"
           "  dwplan law show depth-delusion\n");
}

int cmd_law(int argc, char **argv) {
    int json = 0;
    const char *verb = NULL, *arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--help") || cli_flag(argv[i], "-h")) {
            help_();
            return 0;
        }
        if (cli_flag(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-') return cli_usage_error("law", "unknown option '%s'", argv[i]);
        else if (!verb) verb = argv[i];
        else if (!arg) arg = argv[i];
        else return cli_usage_error("law", "unexpected argument '%s'", argv[i]);
    }
    if (!verb) return cli_usage_error("law", "say list or show NAME");
    if (!strcmp(verb, "list")) {
        cJSON *a = json ? cJSON_CreateArray() : NULL;
        for (const char *const *p = law_preset_names(); *p; p++) {
            Law *law = NULL;
            int rc = law_load(*p, &law);
            if (rc) return cli_fail("law", rc);
            char form[96];
            law_form_text(&law->form, form, sizeof form);
            if (a) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "name", *p);
                cJSON_AddStringToObject(o, "form", form);
                cJSON_AddStringToObject(o, "description", law->description);
                cJSON_AddItemToArray(a, o);
            } else {
                printf("%-20s %-20s %s%s\n", *p, form, law->description,
                       strcmp(*p, LAW_DEFAULT_PRESET) ? "" : " [default]");
            }
            law_free(law);
        }
        return a ? report_print_json(a) : 0;
    }
    if (!strcmp(verb, "show")) {
        Law *law = NULL;
        if (!arg) return cli_usage_error("law", "show needs a preset name or file");
        int rc = law_load(arg, &law);
        if (rc) return cli_fail("law", rc);
        if (json) {
            char *text = NULL;
            rc = law_to_json(law, &text);
            law_free(law);
            if (rc) return cli_fail("law", rc);
            puts(text);
            free(text);
            return 0;
        }
        report_law_line(stdout, law);
        if (law->description[0]) printf("     %s\n", law->description);
        printf("\nparameters:\n");
        cli_render_law_params(stdout, law, NULL, NULL);
        if (law->fit.n > 0) {
            /* statistics the law file lacks (presets publish few) print n/a, never 0 */
            printf("\nfit: n = %d, objective %s", law->fit.n, law->fit.objective_kind);
            if (isfinite(law->fit.objective)) printf(" = %.10g", law->fit.objective);
            printf(", %s\n", law->fit.status);
            cli_render_fit_stats(stdout, &law->fit);
        }
        cli_render_degenerate(stdout, law);
        if (law->conv.note[0]) printf("conventions: %s\n", law->conv.note);
        cli_render_sources(stdout, law, NULL);
        if (law->provenance_json) printf("provenance: %s\n", law->provenance_json);
        law_free(law);
        return 0;
    }
    return cli_usage_error("law", "unknown verb '%s' (list or show)", verb);
}

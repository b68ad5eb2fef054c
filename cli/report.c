/* cli/report.c — text and JSON rendering of laws and plan points. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwjson.h"
#include "common/embedded.h"
#include "planner/hfconfig.h"

static const char *provenance_field_(const Law *law, const char *key, char *buf, size_t n) {
    buf[0] = '\0';
    if (!law->provenance_json) return buf;
    cJSON *p = cJSON_Parse(law->provenance_json);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, key);
    if (cJSON_IsString(v)) snprintf(buf, n, "%s", v->valuestring);
    cJSON_Delete(p);
    return buf;
}

void report_law_line(FILE *f, const Law *law) {
    char form[96], src[512];
    law_form_text(&law->form, form, sizeof form);
    fprintf(f, "law: %s (%s)", law->name[0] ? law->name : "unnamed", form);
    if (law->fit.n > 0) {
        fprintf(f, ", fitted to %d rows", law->fit.n);
        if (isfinite(law->fit.r2)) fprintf(f, ", R² %.3f", law->fit.r2);
    }
    fprintf(f, "\n");
    if (provenance_field_(law, "source", src, sizeof src)[0]) fprintf(f, "     source: %s\n", src);
    fprintf(f, "     N = %s parameters; C = %s; V = %d, ctx = %d\n",
            law->conv.params == LAW_PARAMS_TOTAL      ? "all"
            : law->conv.params == LAW_PARAMS_NONEMBED ? "non-embedding"
                                                      : "12·D·W²",
            law->conv.flops == LAW_FLOPS_6NT ? "6·N·T" : "T·(6N + 6VW + 6·D·ctx·W)",
            law->conv.vocab, law->conv.seq_len);
}

cJSON *report_law_json(const Law *law) {
    char *text = NULL;
    if (law_to_json(law, &text)) return NULL;
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (j) cJSON_DeleteItemFromObjectCaseSensitive(j, "draws"); /* bulky; in the file */
    return j;
}

cJSON *report_point_json(const PlanPoint *pt) {
    cJSON *o = cJSON_CreateObject();
    dw_json_add_num(o, "depth", pt->depth);
    dw_json_add_num(o, "width", pt->width);
    if (pt->heads > 0) {
        cJSON_AddNumberToObject(o, "heads", pt->heads);
        cJSON_AddNumberToObject(o, "head_dim", pt->head_dim);
    }
    dw_json_add_num(o, "params_law", pt->params_law);
    dw_json_add_num(o, "params_nonembed", pt->params_nonembed);
    dw_json_add_num(o, "params_total", pt->params_total);
    dw_json_add_num(o, "tokens", pt->tokens);
    dw_json_add_num(o, "tokens_per_param", pt->tokens_per_param);
    dw_json_add_num(o, "flops", pt->flops);
    dw_json_add_num(o, "loss", pt->loss);
    dw_json_add_num(o, "dcrit", pt->dcrit);
    dw_json_add_num(o, "depth_over_dcrit", pt->depth / pt->dcrit);
    cJSON_AddStringToObject(o, "dcrit_kind", plan_dcrit_kind_text(pt->dcrit_kind));
    return o;
}

int report_print_json(cJSON *doc) {
    char *s = doc ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    if (!s) {
        fprintf(stderr, "dwplan: out of memory formatting JSON\n");
        return EXIT_SYSTEM;
    }
    puts(s);
    free(s);
    return 0;
}

/* cli/fit_conv.c — a fitted law's conventions from the data and the flags (fit_conv.h). The
 * comparison of the params column with dwplan's counts is the planner's
 * (plan_runs_params_match); this file decides, words and refuses. */
#include "fit_conv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/dw.h"
#include "planner/fitdata.h"

static const char *const PCONV_[] = {"nonembed", "total", "12DW2"};
static const char *const PCONV_WORDS_[] = {"non-embedding", "total", "12·D·W²"};

unsigned cli_fit_given(int argc, char **argv) {
    static const struct {
        const char *opt;
        unsigned bit;
    } t[] = {{"--n-convention", FIT_GIVEN_PARAMS}, {"--flops", FIT_GIVEN_FLOPS},
             {"--vocab", FIT_GIVEN_VOCAB},         {"--seq-len", FIT_GIVEN_SEQ},
             {"--mlp-ratio", FIT_GIVEN_MLP},       {"--swiglu", FIT_GIVEN_SWIGLU},
             {"--tied", FIT_GIVEN_TIED},           {"--no-biases", FIT_GIVEN_BIASES},
             {"--rmsnorm", FIT_GIVEN_NORM}};
    unsigned given = 0;
    for (int i = 1; i < argc; i++)
        for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
            size_t n = strlen(t[k].opt);
            if (!strncmp(argv[i], t[k].opt, n) && (argv[i][n] == '\0' || argv[i][n] == '='))
                given |= t[k].bit;
        }
    return given;
}

/* "GELU r=4 with biases and LayerNorm" */
static void block_text_(const LawConventions *c, char *buf, size_t n) {
    snprintf(buf, n, "%s r=%.4g %s biases, %s", c->swiglu ? "SwiGLU" : "GELU", c->mlp_ratio,
             c->biases ? "with" : "no", c->rmsnorm ? "RMSNorm" : "LayerNorm");
}

static const char *src_(unsigned given, unsigned bits) {
    return (given & bits) == bits ? "stated" : (given & bits) ? "partly stated" : "default";
}

/* The vocabulary, tying and block part of the note and of messages. */
static void shape_conv_text_(const LawConventions *c, unsigned given, char *buf, size_t n) {
    char block[96];
    block_text_(c, block, sizeof block);
    snprintf(buf, n, "vocab %d (%s), %s (%s), block %s (%s)", c->vocab,
             src_(given, FIT_GIVEN_VOCAB), c->tied ? "tied" : "untied",
             src_(given, FIT_GIVEN_TIED), block,
             (given & (FIT_GIVEN_MLP | FIT_GIVEN_SWIGLU | FIT_GIVEN_BIASES | FIT_GIVEN_NORM))
                 ? "stated"
                 : "default");
}

/* conv->note: the params sentence `ptext`, then where the rest came from. */
static void write_note_(LawConventions *c, unsigned given, const char *ptext,
                        const char *consistency) {
    char shape[160];
    shape_conv_text_(c, given, shape, sizeof shape);
    /* a note longer than the law's field is cut (the return value says by how much) */
    int len = snprintf(c->note, sizeof c->note, "N: %s; %s%s; seq_len %d (%s; not in the data); FLOPs %s (%s)",
             ptext, shape, consistency, c->seq_len, src_(given, FIT_GIVEN_SEQ),
             c->flops == LAW_FLOPS_6NT ? "6NT" : "full", src_(given, FIT_GIVEN_FLOPS));
    (void)len;
}

/* Appends "what" to note when room is left. */
static void took_(char *note, size_t n, const char *what) {
    size_t len = strlen(note);
    if (len < n) snprintf(note + len, n - len, "%s%s", len ? ", " : "", what);
}

void cli_fit_table_conventions(const DsRuns *runs, LawConventions *conv, unsigned *given,
                               char *note, size_t n) {
    const DsRunsConv *t = &runs->conv;
    char w[64];
    note[0] = '\0';
    if (!(*given & FIT_GIVEN_VOCAB) && t->vocab >= 2 && t->vocab <= 1e8 &&
        t->vocab == floor(t->vocab)) {
        conv->vocab = (int)t->vocab;
        *given |= FIT_GIVEN_VOCAB;
        snprintf(w, sizeof w, "vocab %d", conv->vocab);
        took_(note, n, w);
    }
    if (!(*given & FIT_GIVEN_MLP) && t->mlp_ratio > 0 && t->mlp_ratio <= 64) {
        conv->mlp_ratio = t->mlp_ratio;
        *given |= FIT_GIVEN_MLP;
        snprintf(w, sizeof w, "MLP ratio %g", conv->mlp_ratio);
        took_(note, n, w);
    }
    if (!(*given & FIT_GIVEN_SEQ) && t->seq_len >= 1 && t->seq_len <= 1e8 &&
        t->seq_len == floor(t->seq_len)) {
        conv->seq_len = (int)t->seq_len;
        *given |= FIT_GIVEN_SEQ;
        snprintf(w, sizeof w, "seq_len %d", conv->seq_len);
        took_(note, n, w);
    }
    /* booleans; a probe record's block is GELU, LayerNorm, untied (probe/model.h) */
    struct { double v; unsigned bit; int *dst; const char *yes, *no; } b[] = {
        {t->biases, FIT_GIVEN_BIASES, &conv->biases, "biases", "no biases"},
        {t->probe && isnan(t->tied) ? 0 : t->tied, FIT_GIVEN_TIED, &conv->tied, "tied",
         "untied"},
        {t->probe && isnan(t->swiglu) ? 0 : t->swiglu, FIT_GIVEN_SWIGLU, &conv->swiglu,
         "SwiGLU", "GELU"},
        {t->probe && isnan(t->rmsnorm) ? 0 : t->rmsnorm, FIT_GIVEN_NORM, &conv->rmsnorm,
         "RMSNorm", "LayerNorm"}};
    for (size_t k = 0; k < sizeof b / sizeof b[0]; k++) {
        if ((*given & b[k].bit) || !(b[k].v == 0 || b[k].v == 1)) continue;
        *b[k].dst = (int)b[k].v;
        *given |= b[k].bit;
        took_(note, n, b[k].v ? b[k].yes : b[k].no);
    }
}

int cli_fit_conventions(const DsRuns *runs, LawConventions *conv, unsigned given,
                        int n_from_shape, int strict, FitConvReport *rep) {
    char ptext[400], shape[160];
    const char *col = runs->col[DS_RUNS_PARAMS];
    int stated = (given & FIT_GIVEN_PARAMS) != 0;
    PlanParamsMatch m;
    int rc;
    memset(rep, 0, sizeof *rep);
    if (n_from_shape || (!runs->has_params && runs->has_depth && runs->has_width)) {
        snprintf(rep->params, sizeof rep->params, "counted from depth and width: %s, %s",
                 PCONV_[conv->params], stated ? "stated" : "default");
        snprintf(ptext, sizeof ptext, "counted from depth and width (%s count, %s)%s",
                 PCONV_[conv->params], stated ? "--n-convention" : "default",
                 runs->has_params ? "; the params column was not used" : "");
        write_note_(conv, given, ptext, "");
        return DW_OK;
    }
    if (!runs->has_params) return DW_OK; /* nothing gives N: the form must not need it */
    if ((rc = plan_runs_params_match(runs, conv, &m))) return rc;
    if (!m.checked) {
        snprintf(rep->params, sizeof rep->params, "%s: %s, not checked (no depth and width)",
                 PCONV_[conv->params], stated ? "stated" : "assumed");
        snprintf(ptext, sizeof ptext, "column '%s', read as the %s count (%s; not checked: "
                 "the table has no depth and width)", col, PCONV_[conv->params],
                 stated ? "--n-convention" : "dwplan's default, assumed");
        write_note_(conv, given, ptext, "");
        return DW_OK;
    }
    shape_conv_text_(conv, given, shape, sizeof shape);
    if (!stated && m.inferred < 0) {
        snprintf(rep->params, sizeof rep->params, "convention undetermined");
        if (!strict) {
            snprintf(rep->warning, sizeof rep->warning,
                     "column '%s' matches neither dwplan's non-embedding nor its total count "
                     "(largest deviations %.1f%% and %.1f%% under %s); no law is written, so "
                     "it does not matter here", col, 100 * m.dev[0], 100 * m.dev[1], shape);
            return DW_OK;
        }
        return dw_error_set(DW_EDATA,
            "%s: which parameter count is column '%s'? Line %d gives %.6g; dwplan counts depth "
            "%g width %g as %.6g non-embedding, %.6g total, %.6g as 12·D·W² under %s. Over %d "
            "rows the column is up to %.1f%% from the non-embedding and %.1f%% from the total "
            "count (inferred only within %.0f%% of one and over %.0f%% from the other). Say "
            "which with --n-convention nonembed|total|12dw2, describe the block so that "
            "dwplan counts as the data do (--vocab, --tied, --swiglu, --mlp-ratio, "
            "--no-biases, --rmsnorm), or count N from the shape with --n-source shape",
            runs->path, col, m.line, m.column, runs->depth[0], runs->width[0],
            m.count[LAW_PARAMS_NONEMBED], m.count[LAW_PARAMS_TOTAL], m.count[LAW_PARAMS_12DW2],
            shape, m.n, 100 * m.dev[0], 100 * m.dev[1], 100 * PLAN_PARAMS_MATCH_TOL,
            100 * PLAN_PARAMS_MISMATCH_TOL);
    }
    if (!stated) conv->params = (LawParamsConv)m.inferred;
    double dev = m.dev[conv->params];
    int other = conv->params == LAW_PARAMS_TOTAL ? LAW_PARAMS_NONEMBED : LAW_PARAMS_TOTAL;
    if (stated && dev > PLAN_PARAMS_MATCH_TOL)
        snprintf(rep->warning, sizeof rep->warning,
                 "column '%s' is up to %.1f%% from dwplan's %s count under %s: the planner "
                 "will count N of a shape differently from these data (describe the block "
                 "with --vocab, --tied, --swiglu, --mlp-ratio, --no-biases, --rmsnorm)",
                 col, 100 * dev, PCONV_WORDS_[conv->params], shape);
    snprintf(rep->params, sizeof rep->params, "%s: %s%s", PCONV_[conv->params],
             stated ? "stated" : "inferred", rep->warning[0] ? ", column differs" : "");
    snprintf(ptext, sizeof ptext, "column '%s', the %s count (%s: up to %.3g%% from dwplan's "
             "%s count and %.3g%% from its %s count over %d rows)", col,
             PCONV_WORDS_[conv->params], stated ? "--n-convention" : "inferred", 100 * dev,
             PCONV_WORDS_[conv->params], 100 * m.dev[other], PCONV_WORDS_[other], m.n);
    write_note_(conv, given, ptext,
                dev <= PLAN_PARAMS_MATCH_TOL ? ": they reproduce the column"
                                             : ": they do NOT reproduce the column");
    return DW_OK;
}

int cli_fit_predict_conventions(const DsRuns *runs, const LawConventions *conv,
                                int n_from_shape, FitConvReport *rep) {
    PlanParamsMatch m;
    int rc;
    char shape[160];
    memset(rep, 0, sizeof *rep);
    if (n_from_shape || (!runs->has_params && runs->has_depth && runs->has_width)) {
        snprintf(rep->params, sizeof rep->params, "counted from depth and width: the law's %s",
                 PCONV_[conv->params]);
        return DW_OK;
    }
    if (!runs->has_params) return DW_OK;
    if ((rc = plan_runs_params_match(runs, conv, &m))) return rc;
    if (!m.checked) {
        snprintf(rep->params, sizeof rep->params, "read as the law's %s, not checked",
                 PCONV_[conv->params]);
        return DW_OK;
    }
    double dev = m.dev[conv->params];
    snprintf(rep->params, sizeof rep->params, "the law's %s: up to %.2g%% from dwplan's count",
             PCONV_[conv->params], 100 * dev);
    if (dev <= PLAN_PARAMS_MATCH_TOL) return DW_OK;
    LawConventions c = *conv;
    shape_conv_text_(&c, 0, shape, sizeof shape);
    if (m.inferred >= 0 && m.inferred != (int)conv->params)
        return dw_error_set(DW_EDATA,
            "%s: column '%s' is the %s count (within %.2g%%) but the law counts N as %s (up to "
            "%.1f%% off): count N from depth and width under the law's conventions with "
            "--n-source shape", runs->path, runs->col[DS_RUNS_PARAMS],
            PCONV_WORDS_[m.inferred], 100 * m.dev[m.inferred], PCONV_WORDS_[conv->params],
            100 * dev);
    snprintf(rep->warning, sizeof rep->warning,
             "column '%s' is up to %.1f%% from the law's %s count under its conventions (%s): "
             "the law reads N differently from these data; --n-source shape counts N the law's "
             "way", runs->col[DS_RUNS_PARAMS], 100 * dev, PCONV_WORDS_[conv->params], shape);
    return DW_OK;
}

void cli_fit_print_columns(FILE *f, const DsRuns *runs, const FitConvReport *rep) {
    const char *sep = "dwplan fit: columns: ";
    for (int k = 0; k < DS_RUNS_NFIELDS; k++) {
        if (!runs->col[k][0] && k != DS_RUNS_PARAMS) continue;
        if (runs->col[k][0]) fprintf(f, "%s%s=%s", sep, ds_runs_field_name(k), runs->col[k]);
        else if (rep->params[0]) fprintf(f, "%sparams=(none)", sep);
        else continue;
        if (k == DS_RUNS_PARAMS && rep->params[0]) fprintf(f, " (%s)", rep->params);
        sep = ", ";
    }
    if (runs->has_weight) fprintf(f, "%sweight=%s", sep, runs->col_weight);
    fprintf(f, "\n");
}

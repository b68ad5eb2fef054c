/* tests/test_lawfile.c — fit/lawfile: the embedded presets (load, JSON round trip, values on
 * the real published data), the published Gemstones and Chinchilla fits reproduced from
 * $DW_DATA_DIR, field-level parse errors (fixtures in tests/data/law/), and law_write.
 *
 * Environment: DW_SOURCE_DIR (default ".") locates tests/data/law; DW_DATA_DIR (default
 * "$DW_SOURCE_DIR/datasets/public") locates the published data. A missing data file is
 * named, the checks on it are not run, and the test exits 77 (skipped) after the others
 * unless one of them failed (then 1).
 *
 * Certified values (datasets/public/README.md):
 * | data                 | law                          | objective            | R² on L |
 * |----------------------|------------------------------|----------------------|---------|
 * | Gemstones, 770 rows  | WDNT_delta1e-4 (= preset)    | 0.0002949708 (1e-4)  | 0.9945  |
 * | Gemstones            | WDNT_delta1e-3               | 0.0026427674 (1e-3)  | 0.9946  |
 * | Gemstones            | NT_delta1e-4                 | 0.00069233   (1e-4)  | 0.9734  |
 * | Gemstones            | WDT_delta1e-4                | 0.0004199462 (1e-4)  | 0.9922  |
 * | Epoch Chinchilla 240 | chinchilla-epoch (5 digits)  | 0.0010182740 (1e-3)  | 0.9942  |
 * | Epoch Chinchilla 240 | chinchilla-hoffmann          |                      | 0.9889  |
 * | Epoch Chinchilla 240 | Hoffmann rounded             |                      | 0.9664  |
 *
 * Known limitations (checks left failing on purpose):
 * | case                                | behaviour                                          |
 * |-------------------------------------|----------------------------------------------------|
 * | law_to_json / law_write of doubles  | cJSON 1.7.15 prints "%1.15g" when it reads back    |
 * | that need 16-17 digits (0.1 + 0.2)  | within DBL_EPSILON, so ~1 value in 6 comes back    |
 * |                                     | 1 ulp off: params/cov/draws not identical          |
 * | "draws": 5 (not an array)           | accepted silently, no draws (cJSON_GetArraySize 0) |
 */
#define _GNU_SOURCE
#include "fit/law.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <gsl/gsl_errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/dw.h"
#include "datasets/table.h"
#include "fit/fit.h"
#include "tests/check.h"

static char fixdir_[1024], data_[1024], tmpdir_[1024];
static int skipped_; /* published-data checks that could not run */

static const char *fix_(const char *name) {
    static char buf[4][1400];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", fixdir_, name);
    return buf[k];
}

static int has_(const char *msg, const char *part) { return msg && strstr(msg, part) != NULL; }

// ----------------------------------------------------------------------------
// comparing two laws field by field

/* Equal doubles, NaN equal to NaN (fit info uses NaN for "not computed"). */
static int same_(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static int streq0_(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* Checks that b is a faithful copy of a; names the first differing field. */
static void check_same_law_(const Law *a, const Law *b, const char *label) {
    const char *bad = NULL;
    char fa[96], fb[96];
    int at = -1; /* index of the differing number, when there is one */
    double va = 0, vb = 0;
    law_form_text(&a->form, fa, sizeof fa);
    law_form_text(&b->form, fb, sizeof fb);
    if (strcmp(a->name, b->name)) bad = "name";
    else if (strcmp(a->description, b->description)) bad = "description";
    else if (strcmp(fa, fb) || a->form.np != b->form.np || a->form.id != b->form.id ||
             a->form.ref != b->form.ref || a->form.nvars != b->form.nvars)
        bad = "form";
    else if (a->fixed != b->fixed) bad = "fixed";
    else if (a->has_se != b->has_se) bad = "has_se";
    else if (a->has_cov != b->has_cov) bad = "has_cov";
    else if (a->ndraws != b->ndraws) bad = "ndraws";
    for (int i = 0; !bad && i < a->form.np; i++) {
        if (strcmp(a->form.names[i], b->form.names[i])) bad = "form.names";
        else if (!same_(a->p[i], b->p[i])) bad = "params", at = i, va = a->p[i], vb = b->p[i];
        else if (a->has_ci[i] != b->has_ci[i]) bad = "has_ci";
        else if (a->has_ci[i] && (!same_(a->ci[i][0], b->ci[i][0]) ||
                                  !same_(a->ci[i][1], b->ci[i][1])))
            bad = "ci";
        else if (a->has_se && !same_(a->se[i], b->se[i])) bad = "se";
    }
    for (int i = 0; !bad && a->has_cov && i < a->form.np * a->form.np; i++)
        if (!same_(a->cov[i], b->cov[i])) bad = "cov", at = i, va = a->cov[i], vb = b->cov[i];
    for (int i = 0; !bad && i < a->ndraws * a->form.np; i++)
        if (!same_(a->draws[i], b->draws[i]))
            bad = "draws", at = i, va = a->draws[i], vb = b->draws[i];
    if (!bad) {
        const LawConventions *x = &a->conv, *y = &b->conv;
        if (x->params != y->params || x->flops != y->flops || x->vocab != y->vocab ||
            x->seq_len != y->seq_len || !same_(x->mlp_ratio, y->mlp_ratio) ||
            x->swiglu != y->swiglu || x->tied != y->tied || x->biases != y->biases ||
            x->rmsnorm != y->rmsnorm || strcmp(x->note, y->note))
            bad = "conventions";
    }
    if (!bad) {
        const LawFitInfo *x = &a->fit, *y = &b->fit;
        if (x->n != y->n || !same_(x->objective, y->objective) ||
            strcmp(x->objective_kind, y->objective_kind) || !same_(x->r2, y->r2) ||
            !same_(x->r2_log, y->r2_log) || !same_(x->rmse, y->rmse) ||
            !same_(x->max_abs_err, y->max_abs_err) || !same_(x->aic, y->aic) ||
            !same_(x->bic, y->bic) || !same_(x->cv_rmse, y->cv_rmse) ||
            strcmp(x->status, y->status))
            bad = "fit";
    }
    if (!bad && (a->fit.on_bound != b->fit.on_bound || a->fit.unidentified != b->fit.unidentified ||
                 a->fit.nt_confounded != b->fit.nt_confounded))
        bad = "fit.degenerate";
    if (!bad && a->range.known != b->range.known) bad = "range.known";
    for (int i = 0; !bad && a->range.known && i < LAW_RANGE_COUNT; i++)
        if (!same_(a->range.lo[i], b->range.lo[i]) || !same_(a->range.hi[i], b->range.hi[i]))
            bad = "range", at = i, va = a->range.lo[i], vb = b->range.lo[i];
    if (!bad && !streq0_(a->provenance_json, b->provenance_json)) bad = "provenance";
    CHECK(bad == NULL);
    if (bad && at >= 0)
        fprintf(stderr, "  %s: field '%s' [%d] differs after the round trip: %.17g -> %.17g\n",
                label, bad, at, va, vb);
    else if (bad)
        fprintf(stderr, "  %s: field '%s' differs after the round trip\n", label, bad);
}

/* law_to_json then law_parse; checks the copy equals the original. */
static void check_round_trip_(const Law *law, const char *label) {
    char *text = NULL;
    Law *back = NULL;
    CHECK_STATUS(law_to_json(law, &text));
    if (!text) return;
    int rc = law_parse(text, label, &back);
    CHECK_STATUS(rc);
    if (rc == DW_OK) {
        check_same_law_(law, back, label);
        /* a second trip gives the same text: the writer is a fixed point */
        char *text2 = NULL;
        CHECK_STATUS(law_to_json(back, &text2));
        CHECK(text2 && strcmp(text, text2) == 0);
        if (text2 && strcmp(text, text2)) fprintf(stderr, "  %s: JSON text changed\n", label);
        free(text2);
    }
    law_free(back);
    free(text);
}

// ----------------------------------------------------------------------------
// 1. presets

static void test_presets(void) {
    const char *const *names = law_preset_names();
    int n = 0, saw_default = 0;
    static const char *expected[] = {"chinchilla-epoch", "chinchilla-hoffmann", "depth-delusion",
                                     "gemstones"};
    CHECK(names != NULL);
    if (!names) return;
    for (const char *const *p = names; *p; p++, n++) {
        Law *law = NULL;
        char label[128];
        snprintf(label, sizeof label, "preset %s", *p);
        CHECK(law_preset_text(*p) != NULL);
        int rc = law_load(*p, &law);
        CHECK_STATUS(rc);
        if (rc) {
            fprintf(stderr, "  %s does not load\n", label);
            continue;
        }
        CHECK(strcmp(law->name, *p) == 0); /* law.h: name is the preset name */
        if (strcmp(law->name, *p)) fprintf(stderr, "  %s has name '%s'\n", label, law->name);
        /* the law is usable at a typical point */
        LawX x = {.depth = 24, .width = 2048, .params = 12.0 * 24 * 2048 * 2048, .tokens = 1e11};
        double L = law_eval(law, &x);
        CHECK(isfinite(L) && L > 0.5 && L < 10);
        if (!(isfinite(L) && L > 0.5 && L < 10)) fprintf(stderr, "  %s: L = %g\n", label, L);
        check_round_trip_(law, label);
        saw_default += strcmp(*p, LAW_DEFAULT_PRESET) == 0;
        law_free(law);
    }
    CHECK(n >= 4);
    CHECK(saw_default == 1);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        int found = 0;
        for (const char *const *p = names; *p; p++) found += strcmp(*p, expected[i]) == 0;
        CHECK(found == 1);
        if (found != 1) fprintf(stderr, "  preset %s listed %d times\n", expected[i], found);
    }
    CHECK(law_preset_text("nosuch") == NULL);

    /* the published fixture with every field set round-trips too */
    Law *law = NULL;
    int rc = law_load(fix_("full.json"), &law);
    CHECK_STATUS(rc);
    if (rc == DW_OK) {
        CHECK(law->fixed == 1u << 2 && law->ndraws == 3 && law->has_cov && law->has_se);
        CHECK(law->has_ci[0] && law->has_ci[4] && !law->has_ci[1]);
        CHECK(law->conv.params == LAW_PARAMS_12DW2 && law->conv.flops == LAW_FLOPS_6NT);
        CHECK(law->conv.swiglu == 1 && law->conv.tied == 1 && law->conv.biases == 0 &&
              law->conv.rmsnorm == 1 && law->conv.mlp_ratio == 2.6875);
        CHECK(law->fit.n == 240 && law->fit.cv_rmse == 0.0134);
        CHECK(has_(law->conv.note, "R² ≈ 0.99"));
        CHECK(law->provenance_json && has_(law->provenance_json, "\"three\""));
        check_round_trip_(law, "full.json");
    }
    law_free(law);
}

// ----------------------------------------------------------------------------
// reading the published data

static int data_ok_(const char *name) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", data_, name);
    if (access(path, R_OK) != 0) {
        printf("test_lawfile: skipping checks on %s (not found)\n", path);
        skipped_ = 1;
        return 0;
    }
    return 1;
}

/* Fills d from the table's columns (names NULL: input unused, left 0). Returns 0 on
 * failure (counted). */
static int fit_data_(DsTable *t, const char *depth, const char *width, const char *params,
                     const char *tokens, const char *loss, FitData *d) {
    const char *cols[5] = {depth, width, params, tokens, loss};
    double *v[5] = {NULL};
    int ok = 1;
    memset(d, 0, sizeof *d);
    d->n = t->nrows;
    d->x = calloc((size_t)t->nrows, sizeof *d->x);
    d->loss = calloc((size_t)t->nrows, sizeof *d->loss);
    for (int k = 0; k < 5; k++) {
        if (!cols[k]) continue;
        int c = ds_table_col(t, cols[k]);
        CHECK(c >= 0);
        v[k] = calloc((size_t)t->nrows, sizeof(double));
        if (c < 0 || !v[k] || ds_table_numeric(t, c, 1, v[k]) != DW_OK) ok = 0;
    }
    CHECK(ok && d->x && d->loss);
    if (ok && d->x && d->loss)
        for (int i = 0; i < t->nrows; i++) {
            d->x[i].depth = v[0] ? v[0][i] : 0;
            d->x[i].width = v[1] ? v[1][i] : 0;
            d->x[i].params = v[2][i];
            d->x[i].tokens = v[3][i];
            d->loss[i] = v[4][i];
        }
    for (int k = 0; k < 5; k++) free(v[k]);
    return ok;
}

static void free_data_(FitData *d) {
    free(d->x);
    free(d->loss);
    memset(d, 0, sizeof *d);
}

// ----------------------------------------------------------------------------
// 2. Gemstones

/* Tolerance on the published Gemstones objectives. Every number in the gemstones_fits JSON files is
 * rounded to 10 decimal places (e.g. "loss": 0.0002949708, "irreducible_error":
 * 0.6655226816; README: "0.0006923300" for the NT file, whose JSON drops the zeros), so the
 * published objective is known to ±5e-11 absolute: 1.7e-7 relative for 0.0002949708,
 * 1.2e-7 for 0.0004199462, 7.2e-8 for 0.00069233, 1.9e-8 for 0.0026427674. 1e-8 relative is
 * therefore not reachable for the three smaller values (a correct evaluator gives
 * 0.00029497081095, 0.00041994618542, 0.00069233002801: 3.7e-8, 3.5e-8, 4.0e-8 off), and
 * the test asks for agreement to the last published digit (5e-11 absolute) plus 1e-13 for
 * the order of summation. The parameters are rounded to 10 decimals as well; at an optimum
 * that moves the objective by O(1e-20). */
#define GEM_ABS_TOL (5e-11 + 1e-13)

typedef struct {
    const char *stem;    /* file in gemstones_fits/ */
    const char *form;    /* separable form with x in the file's order */
    double delta;        /* Huber delta */
    double objective;    /* published */
    double r2;           /* published, 4 digits */
} GemFit;

static const GemFit gem_fits_[] = {
    {"WDNT_delta1e-4", "separable:W,D,N,T", 1e-4, 0.0002949708, 0.9945},
    {"WDNT_delta1e-3", "separable:W,D,N,T", 1e-3, 0.0026427674, 0.9946},
    {"NT_delta1e-4", "separable:N,T", 1e-4, 0.00069233, 0.9734},
    {"WDT_delta1e-4", "separable:W,D,T", 1e-4, 0.0004199462, 0.9922},
};
#define NGEM ((int)(sizeof gem_fits_ / sizeof gem_fits_[0]))

/* The "0" entry of a pandas-style {"0": value} object. */
static const cJSON *entry0_(const cJSON *root, const char *key) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    return o ? cJSON_GetObjectItemCaseSensitive(o, "0") : NULL;
}

/* Builds the separable law of one published Gemstones fit file: p = {e, c_1, a_1, ...}. */
static int gem_law_(const GemFit *g, LawForm *f, double *p, double *published) {
    char path[1400];
    snprintf(path, sizeof path, "%s/gemstones_fits/%s.json", data_, g->stem);
    char *text = dw_read_file(path, NULL);
    CHECK(text != NULL);
    if (!text) return 0;
    cJSON *root = cJSON_Parse(text);
    free(text);
    CHECK(root != NULL);
    if (!root) return 0;
    int ok = law_form_parse(g->form, f) == DW_OK;
    CHECK(ok);
    const cJSON *ex = entry0_(root, "exponents"), *co = entry0_(root, "coefficients");
    const cJSON *ir = entry0_(root, "irreducible_error"), *lo = entry0_(root, "loss");
    ok = ok && cJSON_IsArray(ex) && cJSON_IsArray(co) && cJSON_IsNumber(ir) &&
         cJSON_IsNumber(lo) && cJSON_GetArraySize(ex) == f->nvars &&
         cJSON_GetArraySize(co) == f->nvars;
    CHECK(ok);
    if (ok) {
        p[0] = ir->valuedouble;
        for (int i = 0; i < f->nvars; i++) {
            const cJSON *c = cJSON_GetArrayItem(co, i), *a = cJSON_GetArrayItem(ex, i);
            ok = ok && cJSON_IsNumber(c) && cJSON_IsNumber(a);
            if (!ok) break;
            p[1 + 2 * i] = c->valuedouble;
            p[2 + 2 * i] = a->valuedouble;
        }
        *published = lo->valuedouble;
        CHECK(ok);
        /* the file's own "loss" is the objective in the README table */
        CHECK(ok && *published == g->objective);
    }
    cJSON_Delete(root);
    return ok;
}

static void test_gemstones(void) {
    if (!data_ok_("gemstones_valloss_hot_every10B.csv")) return;
    char path[1400];
    DsTable *t = NULL;
    FitData d;
    snprintf(path, sizeof path, "%s/gemstones_valloss_hot_every10B.csv", data_);
    CHECK_STATUS(ds_table_read(path, &t));
    if (!t) return;
    CHECK(t->nrows == 770);
    int ok = fit_data_(t, "depth", "width", "params_active_precise", "tokens", "val_loss", &d);
    ds_table_free(t);
    if (!ok) {
        free_data_(&d);
        return;
    }

    /* the preset */
    Law *law = NULL;
    CHECK_STATUS(law_load("gemstones", &law));
    if (law) {
        double obj = fit_huber_log(&law->form, law->p, &d, 1e-4);
        fprintf(stderr, "test_lawfile: preset gemstones: Huber(1e-4) objective %.14g\n", obj);
        CHECK_ABS(obj, 0.0002949708, GEM_ABS_TOL);
        LawFitInfo fi;
        fit_stats(&law->form, law->p, &d, FIT_HUBER_LOG, law->form.np, &fi);
        CHECK_ABS(fi.r2, 0.9945, 5e-5);
        CHECK(fi.n == 770);
        law_free(law);
    }

    /* every published fit file, read here with cJSON; each must be one we know */
    char dirpath[1400];
    snprintf(dirpath, sizeof dirpath, "%s/gemstones_fits", data_);
    DIR *dir = opendir(dirpath);
    CHECK(dir != NULL);
    int nfiles = 0;
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir))) {
            size_t len = strlen(e->d_name);
            if (len < 6 || strcmp(e->d_name + len - 5, ".json")) continue;
            nfiles++;
            int known = 0;
            for (int i = 0; i < NGEM; i++)
                known += strlen(gem_fits_[i].stem) == len - 5 &&
                         !strncmp(gem_fits_[i].stem, e->d_name, len - 5);
            CHECK(known == 1);
            if (!known) fprintf(stderr, "  gemstones_fits/%s has no certified values here\n",
                                e->d_name);
        }
        closedir(dir);
    }
    CHECK(nfiles == NGEM);

    for (int i = 0; i < NGEM; i++) {
        const GemFit *g = &gem_fits_[i];
        LawForm f;
        double p[LAW_MAXP] = {0}, published = 0;
        if (!gem_law_(g, &f, p, &published)) {
            fprintf(stderr, "  %s: cannot build the law\n", g->stem);
            continue;
        }
        double obj = fit_huber_log(&f, p, &d, g->delta);
        fprintf(stderr, "test_lawfile: %-15s Huber(%g) objective %.14g (published %.10f)\n",
                g->stem, g->delta, obj, g->objective);
        CHECK_ABS(obj, g->objective, GEM_ABS_TOL);
        /* fit_objective with the same options agrees with fit_huber_log */
        FitOptions o;
        fit_options_default(&o, &f);
        o.objective = FIT_HUBER_LOG;
        o.huber_delta = g->delta;
        CHECK(fit_objective(&f, p, &d, &o) == obj);
        LawFitInfo fi;
        fit_stats(&f, p, &d, FIT_HUBER_LOG, f.np, &fi);
        CHECK_ABS(fi.r2, g->r2, 5e-5);
        if (fabs(fi.r2 - g->r2) > 5e-5) fprintf(stderr, "  %s: R² %.6f\n", g->stem, fi.r2);
    }
    free_data_(&d);
}

// ----------------------------------------------------------------------------
// 3. Chinchilla (Epoch's 240 points)

/* Tolerance on Epoch's objective for the preset chinchilla-epoch. Its parameters are
 * Epoch's, rounded to 5 significant digits: E 1.8172, A 477.84, alpha 0.34731, B 2143.86,
 * delta 0.36718, each known to half a unit in the last place h = (5e-5, 5e-3, 5e-6, 5e-3,
 * 5e-6). Epoch's unrounded optimum lies in that box. Evaluating the objective at the 32
 * corners of the box around the rounded values (done below, printed) moves it by at most
 * +7.07e-5 relative (alpha and delta are strongly coupled to E; single-parameter moves give
 * at most 1.1e-5), so the rounded values can only reproduce 0.0010182740 to 7.1e-5
 * relative. (Observed: 0.00101827480, 7.9e-7 above Epoch's optimum, as expected for a point
 * near a minimum.) */
#define EPOCH_OBJ 0.0010182740
#define EPOCH_OBJ_TOL 7.1e-5

static void test_chinchilla(void) {
    if (!data_ok_("epoch_chinchilla.csv")) return;
    char path[1400];
    DsTable *t = NULL;
    FitData d;
    snprintf(path, sizeof path, "%s/epoch_chinchilla.csv", data_);
    CHECK_STATUS(ds_table_read(path, &t));
    if (!t) return;
    CHECK_STATUS(ds_table_where(t, "epoch_outlier_excluded=0"));
    CHECK(t->nrows == 240);
    int ok = fit_data_(t, NULL, NULL, "params_N", "tokens_D", "loss", &d);
    ds_table_free(t);
    if (!ok) {
        free_data_(&d);
        return;
    }

    Law *law = NULL;
    LawFitInfo fi;
    CHECK_STATUS(law_load("chinchilla-epoch", &law));
    if (law) {
        double obj = fit_huber_log(&law->form, law->p, &d, 1e-3);
        fprintf(stderr, "test_lawfile: preset chinchilla-epoch: Huber(1e-3) objective %.14g\n",
                obj);
        CHECK_REL(obj, EPOCH_OBJ, EPOCH_OBJ_TOL);
        /* the rounding box: how far can 5-digit parameters move the objective? */
        static const double h[5] = {5e-5, 5e-3, 5e-6, 5e-3, 5e-6};
        double spread = 0;
        for (int m = 0; m < 32; m++) {
            double q[LAW_MAXP];
            memcpy(q, law->p, sizeof q);
            for (int i = 0; i < 5; i++) q[i] += (m >> i & 1) ? h[i] : -h[i];
            spread = fmax(spread, fabs(fit_huber_log(&law->form, q, &d, 1e-3) - obj) / obj);
        }
        fprintf(stderr, "test_lawfile: rounding box of chinchilla-epoch moves the objective "
                        "by up to %.3g relative\n", spread);
        CHECK(spread <= EPOCH_OBJ_TOL);
        fit_stats(&law->form, law->p, &d, FIT_HUBER_LOG, 5, &fi);
        CHECK_ABS(fi.r2, 0.9942, 5e-5);
        CHECK(fi.n == 240);
        law_free(law);
    }
    law = NULL;
    CHECK_STATUS(law_load("chinchilla-hoffmann", &law));
    if (law) {
        fit_stats(&law->form, law->p, &d, FIT_HUBER_LOG, 5, &fi);
        CHECK_ABS(fi.r2, 0.9889, 5e-5);
        /* rounded as printed in the paper */
        double rounded[LAW_MAXP] = {1.69, 406.4, 0.34, 410.7, 0.28};
        CHECK(law_form_param_index(&law->form, "E") == 0 &&
              law_form_param_index(&law->form, "A") == 1 &&
              law_form_param_index(&law->form, "alpha") == 2 &&
              law_form_param_index(&law->form, "B") == 3 &&
              law_form_param_index(&law->form, "delta") == 4);
        fit_stats(&law->form, rounded, &d, FIT_HUBER_LOG, 5, &fi);
        CHECK_ABS(fi.r2, 0.9664, 5e-5);
        law_free(law);
    }
    free_data_(&d);
}

// ----------------------------------------------------------------------------
// 4. parse errors

typedef struct {
    const char *file;  /* fixture in tests/data/law, or NULL for `text` */
    const char *text;  /* inline JSON (origin "inline.json") */
    const char *want1; /* substrings the message must contain (besides the origin) */
    const char *want2;
} BadCase;

static const BadCase bad_cases_[] = {
    /* the missing comma is at the start of line 5 */
    {"bad_json.json", NULL, ":5:", "malformed JSON"},
    {"bad_no_form.json", NULL, "'form'", "missing"},
    {"bad_unknown_form.json", NULL, "'form'", "chinchila"},
    {"bad_missing_param.json", NULL, "params.delta", "missing"},
    {"bad_unknown_param.json", NULL, "params.beta", "chinchilla"},
    {"bad_nonnumeric_param.json", NULL, "params.alpha", "number"},
    {"bad_ci_order.json", NULL, "ci.alpha", "lo > hi"},
    {"bad_cov_size.json", NULL, "'cov'", "5"},
    {"bad_cov_rows.json", NULL, "'cov'", "5 x 5"},
    {"bad_conv_params.json", NULL, "conventions.params", "everything"},
    {"bad_draws_row.json", NULL, "'draws'", "row 1"},
    /* inline: more fields */
    {NULL, "[1, 2]", "JSON object", NULL},
    {NULL, "", "malformed JSON", ":1:"},
    {NULL, "{\"form\": 7, \"params\": {}}", "'form'", NULL},
    {NULL, "{\"form\": \"chinchilla\"}", "'params'", NULL},
    {NULL, "{\"form\": \"chinchilla\", \"params\": [1, 2, 3, 4, 5]}", "'params'", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": null}}", "params.delta", NULL},
    {NULL, "{\"form\": \"separable:N,T\", \"params\": {\"e\": 0.5, \"c_N\": 5, \"a_N\": 0.3, "
           "\"c_T\": 10}}", "params.a_T", "missing"},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"fixed\": [\"gamma\"]}", "'fixed'", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"ci\": {\"A\": [1]}}", "ci.A", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"ci\": {\"E\": [1, 2]}}", "ci.E", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"se\": {\"A\": \"big\"}}", "se.A", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"cov\": []}", "'cov'", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"conventions\": {\"flops\": \"7NT\"}}", "conventions.flops",
     "7NT"},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"conventions\": {\"norm\": \"batchnorm\"}}", "conventions.norm",
     NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"conventions\": {\"vocab\": 1.5}}", "conventions.vocab", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"conventions\": {\"params\": 3}}", "conventions.params", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"conventions\": {\"tied\": 1}}", "conventions.tied", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"fit\": {\"n\": -3}}", "fit.n", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"draws\": [[1, 0.3, 1, \"x\"]]}", "'draws'", NULL},
    /* draws that are not an array of rows must not be silently dropped */
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"draws\": 5}", "draws", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"draws\": [1, 0.3, 1, 0.3]}", "draws", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"provenance\": \"me\"}", "provenance", NULL},
    /* the data range: [lo, hi], lo <= hi, positive, finite; the field is named */
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"range\": {\"params\": [2e9, 1e9]}}", "range.params", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"range\": {\"tokens\": [0, 1e9]}}", "range.tokens", "positive"},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"range\": {\"flops\": [1e18]}}", "range.flops", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"range\": {\"depth\": [2, \"x\"]}}", "range.depth", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"range\": {\"width\": [-5, 10]}}", "range.width", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"range\": {\"widht\": [1, 10]}}", "range.widht", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"range\": [1, 2]}", "'range'", NULL},
    /* degenerate flags name parameters of the form */
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"fit\": {\"degenerate\": {\"on_bound\": [\"E\"]}}}",
     "fit.degenerate.on_bound", "E"},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"fit\": {\"degenerate\": {\"unidentified\": \"A\"}}}",
     "fit.degenerate.unidentified", NULL},
    {NULL, "{\"form\": \"kaplan\", \"params\": {\"A\": 1, \"alpha\": 0.3, \"B\": 1, "
           "\"delta\": 0.3}, \"fit\": {\"degenerate\": {\"tokens_proportional_to_params\": 1}}}",
     "fit.degenerate.tokens_proportional_to_params", NULL},
};

static void test_parse_errors(void) {
    for (size_t i = 0; i < sizeof bad_cases_ / sizeof bad_cases_[0]; i++) {
        const BadCase *c = &bad_cases_[i];
        Law *law = (Law *)&law; /* must come back NULL */
        const char *origin = c->file ? c->file : "inline.json";
        int rc;
        dw_error_clear();
        if (c->file) rc = law_load(fix_(c->file), &law);
        else rc = law_parse(c->text, origin, &law);
        const char *msg = dw_error_get();
        int ok = rc == DW_EPARSE && law == NULL && has_(msg, origin) &&
                 (!c->want1 || has_(msg, c->want1)) && (!c->want2 || has_(msg, c->want2));
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  case %s: rc %d (want %d), law %s, message '%s' (want '%s'%s%s%s)\n",
                    c->file ? c->file : c->text, rc, DW_EPARSE, law ? "set" : "NULL", msg,
                    c->want1 ? c->want1 : "", c->want2 ? ", '" : "", c->want2 ? c->want2 : "",
                    c->want2 ? "'" : "");
        if (rc == DW_OK && law != (Law *)&law) law_free(law);
    }

    /* unknown preset: DW_ENOTFOUND, the message lists the presets */
    Law *law = NULL;
    dw_error_clear();
    CHECK(law_load("nosuch", &law) == DW_ENOTFOUND && law == NULL);
    const char *msg = dw_error_get();
    CHECK(has_(msg, "nosuch"));
    for (const char *const *p = law_preset_names(); *p; p++) {
        CHECK(has_(msg, *p));
        if (!has_(msg, *p)) fprintf(stderr, "  '%s' does not list preset %s\n", msg ? msg : "", *p ? *p : "");
    }
    /* a path that does not exist: DW_EIO naming it */
    dw_error_clear();
    CHECK(law_load("/nonexistent/x.json", &law) == DW_EIO && law == NULL);
    CHECK(has_(dw_error_get(), "/nonexistent/x.json"));
}

// ----------------------------------------------------------------------------
// 5. law_write

static int count_entries_(void) {
    DIR *d = opendir(tmpdir_);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_write(void) {
    char path[1400];
    LawForm f;
    CHECK_STATUS(law_form_parse("shape:power", &f));
    Law *law = law_alloc(&f);
    CHECK(law != NULL);
    if (!law) return;
    snprintf(law->name, sizeof law->name, "written");
    snprintf(law->description, sizeof law->description, "law_write round trip");
    /* values that need all 17 digits */
    static const double p[] = {1.0 / 3, 406.40101800000001, 0.33917084, 410.722827,
                               0.2849083, 0.1 + 0.2, 2.4300000000000002, -0.44};
    memcpy(law->p, p, sizeof p);
    law->fixed = 1u << 6;
    law->has_ci[2] = 1;
    law->ci[2][0] = 0.317;
    law->ci[2][1] = 0.373;
    law->has_se = 1;
    for (int i = 0; i < f.np; i++) law->se[i] = i == 6 ? 0 : 1e-3 * (i + 1) / 7.0;
    law->has_cov = 1;
    for (int i = 0; i < f.np; i++)
        for (int j = 0; j < f.np; j++)
            law->cov[i * f.np + j] = (i == 6 || j == 6) ? 0 : law->se[i] * law->se[j] / (1 + abs(i - j));
    law->ndraws = 40;
    law->draws = malloc(sizeof(double) * 40 * (size_t)f.np);
    CHECK(law->draws != NULL);
    if (!law->draws) law->ndraws = 0;
    for (int dd = 0; dd < law->ndraws; dd++)
        for (int i = 0; i < f.np; i++)
            law->draws[dd * f.np + i] = p[i] * (1 + (dd - 20) / 997.0) + (i == 0 ? 1e-300 : 0);
    law->conv.params = LAW_PARAMS_TOTAL;
    law->conv.flops = LAW_FLOPS_6NT;
    law->conv.vocab = 50304;
    law->conv.seq_len = 4096;
    law->conv.mlp_ratio = 8.0 / 3;
    law->conv.swiglu = 1;
    law->conv.rmsnorm = 1;
    snprintf(law->conv.note, sizeof law->conv.note, "written by test_write");
    law->fit.n = 123;
    law->fit.objective = 1.25e-4;
    snprintf(law->fit.objective_kind, sizeof law->fit.objective_kind, "lsq-log");
    law->fit.r2 = 0.999;
    law->fit.r2_log = 0.998;
    law->fit.rmse = 0.01;
    law->fit.max_abs_err = 0.03;
    law->fit.aic = -1000.5;
    law->fit.bic = -980.25;
    law->fit.cv_rmse = NAN; /* not computed */
    snprintf(law->fit.status, sizeof law->fit.status, "converged after 17 iterations");
    law->provenance_json = strdup("{\"source\":\"test\",\"n\":[1,2,3]}");
    /* degenerate flags and the data range (one quantity unknown) */
    law->fit.on_bound = 1u << 0 | 1u << 5;
    law->fit.unidentified = 1u << 6;
    law->fit.nt_confounded = 1;
    law->range.known = 1;
    static const double rlo[LAW_RANGE_COUNT] = {1.25e7, 2e9, 1.5e17, 2, 256, 8.000000000000002};
    static const double rhi[LAW_RANGE_COUNT] = {3.1e9, 3.5e11, 6.0000000000000005e21, 80, 3072,
                                                1000};
    for (int i = 0; i < LAW_RANGE_COUNT; i++) law->range.lo[i] = rlo[i], law->range.hi[i] = rhi[i];
    law->range.lo[LAW_RANGE_FLOPS] = law->range.hi[LAW_RANGE_FLOPS] = NAN;

    snprintf(path, sizeof path, "%s/written.json", tmpdir_);
    CHECK_STATUS(law_write(law, path));
    Law *back = NULL;
    int rc = law_load(path, &back);
    CHECK_STATUS(rc);
    if (rc == DW_OK) {
        check_same_law_(law, back, "law_write");
        CHECK(back->ndraws == 40 && back->draws && back->draws[0] == law->draws[0] &&
              back->draws[40 * f.np - 1] == law->draws[40 * f.np - 1]);
        CHECK(isnan(back->fit.cv_rmse));
        CHECK(back->range.known && back->range.lo[LAW_RANGE_DEPTH] == 2 &&
              back->range.hi[LAW_RANGE_TPP] == 1000 && isnan(back->range.lo[LAW_RANGE_FLOPS]));
        CHECK(back->fit.on_bound == (1u << 0 | 1u << 5) && back->fit.nt_confounded == 1);
    }
    law_free(back);
    /* the file spells them as the issue asks: "range": {"params": [lo, hi]}, "fit":
     * {"degenerate": {"on_bound": ["e", ...], ...}} */
    {
        char *t = dw_read_file(path, NULL);
        cJSON *j = t ? cJSON_Parse(t) : NULL;
        const cJSON *rp = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "range"), "params");
        const cJSON *dg = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "fit"), "degenerate");
        const cJSON *ob = cJSON_GetObjectItem(dg, "on_bound");
        CHECK(cJSON_GetArraySize(rp) == 2 && cJSON_GetArrayItem(rp, 0)->valuedouble == 1.25e7);
        CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "range"), "flops") == NULL);
        CHECK(cJSON_GetArraySize(ob) == 2 &&
              !strcmp(cJSON_GetArrayItem(ob, 0)->valuestring, f.names[0]) &&
              !strcmp(cJSON_GetArrayItem(ob, 1)->valuestring, f.names[5]));
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(dg, "tokens_proportional_to_params")));
        cJSON_Delete(j);
        free(t);
    }
    /* a law without range or degenerate flags writes neither */
    {
        Law *plain = law_alloc(&f);
        char *t = NULL;
        CHECK(plain && law_to_json(plain, &t) == DW_OK && t && !strstr(t, "\"range\"") &&
              !strstr(t, "degenerate"));
        free(t);
        law_free(plain);
    }
    /* the file ends with a newline; no temporary file is left in the directory */
    size_t len = 0;
    char *text = dw_read_file(path, &len);
    CHECK(text && len > 0 && text[len - 1] == '\n');
    free(text);
    CHECK(count_entries_() == 1);

    /* overwriting replaces the law */
    law->p[0] = 2.0;
    law->ndraws = 0;
    CHECK_STATUS(law_write(law, path));
    back = NULL;
    CHECK_STATUS(law_load(path, &back));
    if (back) {
        CHECK(back->p[0] == 2.0 && back->ndraws == 0 && back->draws == NULL);
        check_same_law_(law, back, "law_write (overwrite)");
    }
    law_free(back);
    CHECK(count_entries_() == 1);
    unlink(path);

    /* an unwritable place: DW_EIO */
    snprintf(path, sizeof path, "%s/no-such-dir/law.json", tmpdir_);
    CHECK(law_write(law, path) == DW_EIO);
    law_free(law);
}

// ----------------------------------------------------------------------------
// 6. what a law cannot tell, in words (law_degenerate_text)

static void test_degenerate_text(void) {
    char buf[512];
    LawForm f;
    /* chinchilla: E on its lower bound 0 is "E -> 0 (on bound)"; alpha on an upper bound of
     * its range names that bound's value */
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    Law *law = law_alloc(&f);
    CHECK(law != NULL);
    if (!law) return;
    double lo[LAW_MAXP], hi[LAW_MAXP];
    law_form_bounds(&f, lo, hi);
    CHECK(law_degenerate_text(law, buf, sizeof buf) == 0 && buf[0] == '\0');
    int iE = law_form_param_index(&f, "E"), ia = law_form_param_index(&f, "alpha");
    law->p[iE] = 0;
    law->fit.on_bound = 1u << iE;
    CHECK(law_degenerate_text(law, buf, sizeof buf) == 1);
    CHECK(has_(buf, "E -> 0 (on bound)"));
    if (!has_(buf, "E -> 0 (on bound)")) fprintf(stderr, "  got '%s'\n", buf);
    if (isfinite(hi[ia])) {
        char want[64];
        snprintf(want, sizeof want, "alpha -> %g (on bound)", hi[ia]);
        law->p[ia] = hi[ia];
        law->fit.on_bound |= 1u << ia;
        law_degenerate_text(law, buf, sizeof buf);
        CHECK(has_(buf, want) && has_(buf, "E -> 0 (on bound)"));
        if (!has_(buf, want)) fprintf(stderr, "  got '%s', want '%s'\n", buf, want);
    }
    law->fit.on_bound = 0;
    law->fit.unidentified = 1u << ia;
    law->fit.nt_confounded = 1;
    law_degenerate_text(law, buf, sizeof buf);
    CHECK(has_(buf, "alpha") && has_(buf, "not identified") && has_(buf, "cannot be separated"));
    law_free(law);

    /* separable: e is ln E and free; running to -inf is "E = exp(e) -> 0 (on bound)", never
     * the raw e = -6e140 */
    CHECK_STATUS(law_form_parse("separable:N,T", &f));
    law = law_alloc(&f);
    CHECK(law != NULL);
    if (!law) return;
    law->p[0] = -6e140;
    law->fit.on_bound = 1u << 0;
    law_degenerate_text(law, buf, sizeof buf);
    CHECK(has_(buf, "E = exp(e) -> 0 (on bound)") && !has_(buf, "e+140"));
    if (!has_(buf, "E = exp(e) -> 0 (on bound)")) fprintf(stderr, "  got '%s'\n", buf);
    /* a scale c_N run to -inf likewise */
    law->fit.on_bound = 1u << 1;
    law->p[1] = -800;
    law_degenerate_text(law, buf, sizeof buf);
    CHECK(has_(buf, "exp(c_N) -> 0 (on bound)"));
    if (!has_(buf, "exp(c_N) -> 0 (on bound)")) fprintf(stderr, "  got '%s'\n", buf);
    /* too small a buffer is cut, never overrun, and still says something was written */
    char tiny[8];
    CHECK(law_degenerate_text(law, tiny, sizeof tiny) == 1 && strlen(tiny) == 7);
    law_free(law);
}

int main(void) {
    gsl_set_error_handler_off();
    const char *src = getenv("DW_SOURCE_DIR");
    const char *data = getenv("DW_DATA_DIR");
    const char *tmp = getenv("TMPDIR");
    if (!src || !*src) src = ".";
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(fixdir_, sizeof fixdir_, "%s/tests/data/law", src);
    if (data && *data)
        snprintf(data_, sizeof data_, "%s", data);
    else
        snprintf(data_, sizeof data_, "%s/datasets/public", src);
    snprintf(tmpdir_, sizeof tmpdir_, "%s/test_lawfile.XXXXXX", tmp);
    if (!mkdtemp(tmpdir_)) {
        fprintf(stderr, "test_lawfile: cannot create a temporary directory in %s: %s\n", tmp,
                strerror(errno));
        return 1;
    }

    test_presets();
    test_gemstones();
    test_chinchilla();
    test_parse_errors();
    test_write();
    test_degenerate_text();
    rmdir(tmpdir_);
    int rc = check_done("test_lawfile");
    return rc == 0 && skipped_ ? 77 : rc;
}

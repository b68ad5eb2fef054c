/* tests/test_fit.c — fit/fit: recovery of known parameters from synthetic scaling-law data
 * (noise-free and with seeded multiplicative noise), the Huber fit of Epoch's Chinchilla
 * points against Epoch's published optimum, --fix, and error paths.
 *
 * Table-driven (STYLE.md §6): each FitCase is a form, its true parameters, the parameters
 * held fixed at their true values, the objectives to fit it with, the noise on L and the
 * tolerance; every case is run with every objective it lists and named in failure messages.
 *
 * Synthetic grid: D in {2, 4, 8, 16, 32, 48} × W in {128, 256, 512, 1024, 2048, 4096} ×
 * T in three values per (D, W) cell from {1e8, ..., 1e11} (log-spaced, shifted per cell),
 * N = 12·D·W² (108 rows). L = law_form_eval(true parameters).
 *
 * Environment: DW_DATA_DIR (default "$DW_SOURCE_DIR/datasets/public") for Epoch's Chinchilla
 * points and the Gemstones runs. A missing table is named, its fits are not run, and the
 * test exits 77 (skipped) after the other checks unless one of them failed (then 1).
 *
 * Known limitations (checks left failing on purpose):
 * | case                                     | behaviour with default options              |
 * |------------------------------------------|---------------------------------------------|
 * | separable:W,D,N,T, Huber, exact data     | BFGS2 stops at max_iter 500, params 15-55%  |
 * |                                          | off (2000-5000 iterations recover them)     |
 * | Gemstones refits (WDNT 1e-4, 1e-3; NT)   | iteration limit, objective above published  |
 * |                                          | by 0.49%, 0.34%, 4.6e-5 (5000 iters: below) |
 */
#define _GNU_SOURCE
#include "fit/fit.h"

#include <gsl/gsl_errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/dw.h"
#include "datasets/table.h"
#include "tests/check.h"

static char data_[1024];
static int skipped_; /* fits on published data that could not run */

static int has_(const char *msg, const char *part) { return msg && strstr(msg, part) != NULL; }

// ----------------------------------------------------------------------------
// deterministic noise: xorshift64* and Box-Muller

static uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
static int rng_have_;
static double rng_spare_;

static void rng_seed_(uint64_t s) {
    rng_ = s ? s : 0x9E3779B97F4A7C15ULL;
    rng_have_ = 0;
}

static double rng_uniform_(void) { /* (0, 1) */
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    uint64_t v = rng_ * 0x2545F4914F6CDD1DULL;
    return ((double)(v >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal_(void) {
    if (rng_have_) {
        rng_have_ = 0;
        return rng_spare_;
    }
    double u1 = rng_uniform_(), u2 = rng_uniform_();
    double r = sqrt(-2 * log(u1)), t = 2 * M_PI * u2;
    rng_spare_ = r * sin(t);
    rng_have_ = 1;
    return r * cos(t);
}

// ----------------------------------------------------------------------------
// synthetic data

#define MAXROWS 200
static const double depths_[] = {2, 4, 8, 16, 32, 48};
static const double widths_[] = {128, 256, 512, 1024, 2048, 4096};

/* Fills x[] with the grid; returns the number of rows. */
static int make_grid_(LawX *x) {
    int n = 0, cell = 0;
    for (size_t i = 0; i < sizeof depths_ / sizeof depths_[0]; i++)
        for (size_t j = 0; j < sizeof widths_ / sizeof widths_[0]; j++, cell++)
            for (int k = 0; k < 3; k++) {
                /* T = 10^(8 + e), e in [0, 3]: 3 values per cell, shifted so that the 108
                 * rows cover 12 distinct token counts */
                double e = (k * 4 + cell % 4) * 3.0 / 11;
                x[n].depth = depths_[i];
                x[n].width = widths_[j];
                x[n].params = 12.0 * depths_[i] * widths_[j] * widths_[j];
                x[n].tokens = pow(10.0, 8 + e);
                n++;
            }
    return n;
}

// ----------------------------------------------------------------------------
// cases

#define OBJ_BIT(o) (1u << (o))
#define LSQ OBJ_BIT(FIT_LSQ)
#define LSQ_LOG OBJ_BIT(FIT_LSQ_LOG)
#define HUBER OBJ_BIT(FIT_HUBER_LOG)

typedef struct {
    const char *form;
    double p[LAW_MAXP];  /* true parameters */
    const char *fixed;   /* space-separated names held at their true values, or "" */
    unsigned objectives; /* OBJ_BIT(FIT_...) */
    double noise;        /* sigma of ln L noise (0: exact data) */
    double tol;          /* exact data: relative error allowed on each free parameter */
    int min_in_3se;      /* noisy data: parameters that must lie within 3 SE of the truth */
} FitCase;

/* Epoch's Chinchilla optimum and the Gemstones WDNT (delta 1e-4) fit as truths; shape terms
 * of the size the paper's fits give.
 *
 * Identifiability: on this grid every form listed recovers all of its parameters with
 * nothing fixed (worst observed relative error 1.4e-10 under least squares, although N =
 * 12·D·W² ties ln N to ln D and ln W), so no case needs a fixed parameter. The two cases
 * with a fixed parameter exercise fit_options_fix as it is used: the paper's kappa = 2.43
 * for shape:log, and a fixed width exponent beta for logsq:power.
 *
 * Tolerances: least squares (trust-region LM) reaches the truth to 1e-13..1e-10 on exact
 * data, so 1e-8 is asked. The Huber objective is minimised by BFGS2, which converges more
 * slowly (chinchilla 5e-8, shape:log 7e-6 and logsq:power 9e-6 after 460-500 iterations),
 * so its rows ask 1e-6 or the brief's 1e-4. */
#define EPOCH 1.8172, 477.84, 0.34731, 2143.86, 0.36718
#define GEM_WDNT                                                                              \
    0.4282048563, 1.082043835, 0.2195783536, -0.2186969889, 0.4758917337, 6.0902355695,       \
        0.3636454068, 10.4720427681, 0.4935127042
#define GEM_NT 0.6655226816, 4.8761769847, 0.2575546364, 12.6984060933, 0.5909317455
static const FitCase cases_[] = {
    /* exact data */
    {"chinchilla", {EPOCH}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"chinchilla", {EPOCH}, "", HUBER, 0, 1e-6, 0},
    {"kaplan", {406.4, 0.34, 410.7, 0.28}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"separable:N,T", {GEM_NT}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"separable:W,D,N,T", {GEM_WDNT}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    /* Gemstones' own objective on exact data: fails with the default max_iter = 500 (BFGS2
     * stops at the iteration limit, objective 6.2e-5, parameters 15-55% off); 2000-5000
     * iterations recover the truth to 4e-5..2e-6. A fitter weakness, kept failing. */
    {"separable:W,D,N,T", {GEM_WDNT}, "", HUBER, 0, 1e-4, 0},
    {"logsq:power", {EPOCH, 0.05, 0.8, 0.44}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"logsq:log", {EPOCH, 0.05, 2.43}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"shape:log", {EPOCH, 0.3, 2.43}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"shape:power", {EPOCH, 0.3, 1.2, 0.44}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"benefit-harm:power", {EPOCH, 0.5, 0.6, 0.4, 1.0, 0.44}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"benefit-harm:log", {EPOCH, 0.5, 0.6, 0.4, 2.0}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"starvation", {EPOCH, 0.8, 0.5, 0.01, 2.0, 0.44}, "", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"shape:log", {EPOCH, 0.3, 2.43}, "kappa", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"shape:log", {EPOCH, 0.3, 2.43}, "kappa", HUBER, 0, 1e-4, 0},
    {"logsq:power", {EPOCH, 0.05, 0.8, 0.44}, "beta", LSQ | LSQ_LOG, 0, 1e-8, 0},
    {"logsq:power", {EPOCH, 0.05, 0.8, 0.44}, "beta", HUBER, 0, 1e-4, 0},
    /* 0.5% multiplicative noise on L: the truth within 3 asymptotic SE (all five for
     * chinchilla, "most" elsewhere) */
    {"chinchilla", {EPOCH}, "", LSQ | LSQ_LOG, 0.005, 0, 5},
    {"kaplan", {406.4, 0.34, 410.7, 0.28}, "", LSQ_LOG, 0.005, 0, 3},
    {"separable:N,T", {GEM_NT}, "", LSQ_LOG, 0.005, 0, 4},
    {"shape:log", {EPOCH, 0.3, 2.43}, "kappa", LSQ_LOG, 0.005, 0, 5},
};
#define NCASES ((int)(sizeof cases_ / sizeof cases_[0]))

static const char *obj_name_(FitObjective o) {
    return o == FIT_LSQ ? "lsq" : o == FIT_LSQ_LOG ? "lsq-log" : "huber-log";
}

/* Applies the case's fixed list; 0 (counted) on failure. */
static int apply_fixed_(const FitCase *c, const LawForm *f, FitOptions *o) {
    char buf[128], *save = NULL;
    snprintf(buf, sizeof buf, "%s", c->fixed);
    for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        int i = law_form_param_index(f, tok);
        CHECK(i >= 0);
        if (i < 0) return 0;
        CHECK_STATUS(fit_options_fix(o, f, tok, c->p[i]));
    }
    return 1;
}

static void run_case_(int ci, FitObjective obj, const LawX *x, int n) {
    const FitCase *c = &cases_[ci];
    LawForm f;
    FitOptions o;
    FitResult r;
    double loss[MAXROWS];
    char label[160];
    snprintf(label, sizeof label, "case %d (%s, %s, noise %g)", ci, c->form, obj_name_(obj),
             c->noise);
    if (law_form_parse(c->form, &f) != DW_OK) {
        CHECK(!"form parses");
        fprintf(stderr, "  %s: %s\n", label, dw_error_get());
        return;
    }
    rng_seed_(0x5EEDULL + (uint64_t)ci);
    for (int j = 0; j < n; j++) {
        loss[j] = law_form_eval(&f, c->p, &x[j], NULL, NULL);
        if (c->noise > 0) loss[j] *= exp(c->noise * rng_normal_());
    }
    FitData d = {.n = n, .x = (LawX *)x, .loss = loss, .weight = NULL};
    fit_options_default(&o, &f);
    o.objective = obj;
    if (!apply_fixed_(c, &f, &o)) return;
    int rc = fit_run(&f, &d, &o, &r);
    CHECK_STATUS(rc);
    if (rc) {
        fprintf(stderr, "  %s\n", label);
        return;
    }
    int bad = 0, in3 = 0, nfree = 0;
    for (int i = 0; i < f.np; i++) {
        double err = fabs(r.p[i] - c->p[i]) / fmax(fabs(c->p[i]), 1e-300);
        if (o.fixed >> i & 1) {
            CHECK(r.p[i] == c->p[i] && r.se[i] == 0);
            continue;
        }
        nfree++;
        if (c->noise == 0) {
            if (!(err <= c->tol)) bad++;
            if (!(err <= c->tol))
                fprintf(stderr, "  %s: %s = %.10g, true %.10g (rel err %.2g > %.2g)\n", label,
                        f.names[i], r.p[i], c->p[i], err, c->tol);
        } else {
            int ok = fabs(r.p[i] - c->p[i]) <= 3 * r.se[i];
            in3 += ok;
            fprintf(stderr, "  %s: %-6s = %-12.6g true %-12.6g se %-10.3g (%+.2f SE)%s\n", label,
                    f.names[i], r.p[i], c->p[i], r.se[i],
                    r.se[i] > 0 ? (r.p[i] - c->p[i]) / r.se[i] : NAN, ok ? "" : "  OUTSIDE 3 SE");
        }
    }
    if (c->noise == 0) {
        double worst = 0;
        for (int i = 0; i < f.np; i++)
            if (!(o.fixed >> i & 1))
                worst = fmax(worst, fabs(r.p[i] - c->p[i]) / fmax(fabs(c->p[i]), 1e-300));
        fprintf(stderr, "  %s: worst relative error %.2g (tolerance %.2g), R² 1 - %.2g, %s\n",
                label, worst, c->tol, 1 - r.info.r2, r.info.status);
        CHECK(bad == 0);
        CHECK(r.info.r2 > 0.999999);
        if (bad || !(r.info.r2 > 0.999999))
            fprintf(stderr, "  %s: R² %.12f, objective %.3g, status '%s', %d starts\n", label,
                    r.info.r2, r.info.objective, r.info.status, r.nstarts);
    } else {
        CHECK(r.has_cov == 1);
        CHECK(in3 >= c->min_in_3se);
        CHECK(r.info.r2_log > 0.9);
        if (in3 < c->min_in_3se)
            fprintf(stderr, "  %s: %d of %d free parameters within 3 SE, want >= %d\n", label,
                    in3, nfree, c->min_in_3se);
    }
    /* the reported objective is the objective of the reported parameters */
    CHECK_REL(r.info.objective, fit_objective(&f, r.p, &d, &o), 1e-12);
    CHECK(r.info.n == n && r.nstarts > 0);
    CHECK(r.info.status[0] != '\0');
}

static void test_synthetic(void) {
    LawX x[MAXROWS] = {{0}};
    int n = make_grid_(x);
    CHECK(n == 108);
    for (int ci = 0; ci < NCASES; ci++)
        for (int obj = FIT_LSQ; obj <= FIT_HUBER_LOG; obj++)
            if (cases_[ci].objectives & OBJ_BIT(obj)) run_case_(ci, (FitObjective)obj, x, n);
}

// ----------------------------------------------------------------------------
// --fix

static void test_fix(void) {
    LawX x[MAXROWS] = {{0}};
    double loss[MAXROWS];
    int n = make_grid_(x);
    LawForm f;
    FitOptions o;
    FitResult r;
    static const double truth[] = {EPOCH};
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    for (int j = 0; j < n; j++) loss[j] = law_form_eval(&f, truth, &x[j], NULL, NULL);
    /* a little noise so that the other standard errors are not zero */
    rng_seed_(77);
    for (int j = 0; j < n; j++) loss[j] *= exp(0.002 * rng_normal_());
    FitData d = {.n = n, .x = x, .loss = loss};
    fit_options_default(&o, &f);
    int ia = law_form_param_index(&f, "alpha");
    CHECK(ia == 2);
    CHECK_STATUS(fit_options_fix(&o, &f, "alpha", truth[2]));
    CHECK(o.fixed == 1u << 2 && o.value[2] == truth[2]);
    int rc = fit_run(&f, &d, &o, &r);
    CHECK_STATUS(rc);
    if (rc) return;
    CHECK(r.p[2] == truth[2]); /* exactly */
    CHECK(r.se[2] == 0);
    CHECK(r.has_cov == 1);
    for (int i = 0; i < f.np; i++) {
        CHECK(r.cov[2 * f.np + i] == 0 && r.cov[i * f.np + 2] == 0);
        if (i != 2) CHECK(r.se[i] > 0);
    }
    CHECK_REL(r.p[0], truth[0], 0.02);
    CHECK_REL(r.p[4], truth[4], 0.02);

    /* every parameter fixed: the objective of the given values, status says so */
    fit_options_default(&o, &f);
    for (int i = 0; i < f.np; i++) CHECK_STATUS(fit_options_fix(&o, &f, f.names[i], truth[i]));
    rc = fit_run(&f, &d, &o, &r);
    CHECK_STATUS(rc);
    if (rc == DW_OK) {
        for (int i = 0; i < f.np; i++) CHECK(r.p[i] == truth[i] && r.se[i] == 0);
        CHECK_REL(r.info.objective, fit_objective(&f, truth, &d, &o), 1e-15);
    }
}

// ----------------------------------------------------------------------------
// Huber on Epoch's Chinchilla points

#define EPOCH_OBJ 0.0010182740

static int load_epoch_(FitData *d) {
    char path[1400];
    DsTable *t = NULL;
    snprintf(path, sizeof path, "%s/epoch_chinchilla.csv", data_);
    if (access(path, R_OK) != 0) {
        printf("test_fit: skipping the Epoch Huber fit: %s not found\n", path);
        skipped_ = 1;
        return 0;
    }
    CHECK_STATUS(ds_table_read(path, &t));
    if (!t) return 0;
    CHECK_STATUS(ds_table_where(t, "epoch_outlier_excluded=0"));
    CHECK(t->nrows == 240);
    int cn = ds_table_col(t, "params_N"), ct = ds_table_col(t, "tokens_D");
    int cl = ds_table_col(t, "loss");
    CHECK(cn >= 0 && ct >= 0 && cl >= 0);
    d->n = t->nrows;
    d->x = calloc((size_t)d->n, sizeof *d->x);
    d->loss = calloc((size_t)d->n, sizeof *d->loss);
    d->weight = NULL;
    double *v = calloc((size_t)d->n, sizeof *v);
    int ok = d->x && d->loss && v && cn >= 0 && ct >= 0 && cl >= 0;
    if (ok && (ok = ds_table_numeric(t, cn, 1, v) == DW_OK))
        for (int i = 0; i < d->n; i++) d->x[i].params = v[i];
    if (ok && (ok = ds_table_numeric(t, ct, 1, v) == DW_OK))
        for (int i = 0; i < d->n; i++) d->x[i].tokens = v[i];
    if (ok) ok = ds_table_numeric(t, cl, 1, d->loss) == DW_OK;
    CHECK(ok);
    free(v);
    ds_table_free(t);
    if (!ok) {
        free(d->x);
        free(d->loss);
    }
    return ok;
}

/* Fits Epoch's rows with grid g; returns the objective reached (NaN on failure). */
static double epoch_fit_(const FitData *d, int grid, FitResult *r, int assert_it) {
    LawForm f;
    FitOptions o;
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    fit_options_default(&o, &f);
    o.objective = FIT_HUBER_LOG;
    o.huber_delta = 1e-3;
    if (grid) o.grid = grid;
    int rc = fit_run(&f, d, &o, r);
    CHECK_STATUS(rc);
    if (rc) return NAN;
    fprintf(stderr,
            "test_fit: Epoch Huber(1e-3) fit, grid %d (%d starts): objective %.12f (Epoch "
            "%.10f, %+.3g rel), E %.5g A %.5g alpha %.5g B %.6g delta %.5g; %s\n",
            o.grid, r->nstarts, r->info.objective, EPOCH_OBJ,
            (r->info.objective - EPOCH_OBJ) / EPOCH_OBJ, r->p[0], r->p[1], r->p[2], r->p[3],
            r->p[4], r->info.status);
    if (assert_it) {
        /* Epoch's optimum is reachable: a correct fitter gets at least as low */
        CHECK(r->info.objective <= EPOCH_OBJ * (1 + 1e-6));
        CHECK_REL(r->p[0], 1.8172, 0.02);
        CHECK_REL(r->p[2], 0.34731, 0.02);
        CHECK_REL(r->p[4], 0.36718, 0.02);
        CHECK_REL(r->info.objective, fit_huber_log(&f, r->p, d, 1e-3), 1e-12);
        CHECK(strcmp(r->info.objective_kind, "huber-log:0.001") == 0);
    }
    return r->info.objective;
}

static void test_epoch_huber(void) {
    FitData d;
    FitResult r;
    if (!load_epoch_(&d)) return;
    double obj = epoch_fit_(&d, 0, &r, 1);
    if (!(obj <= EPOCH_OBJ * (1 + 1e-6))) {
        /* diagnostic only: does a finer grid of starts help? */
        FitResult r10;
        double obj10 = epoch_fit_(&d, 10, &r10, 0);
        fprintf(stderr, "test_fit: with o.grid = 10 the objective is %.10f (%s Epoch's)\n",
                obj10, obj10 <= EPOCH_OBJ * (1 + 1e-6) ? "reaches" : "still above");
    }
    free(d.x);
    free(d.loss);
}

// ----------------------------------------------------------------------------
// Huber on the Gemstones runs: the published fits are reachable

/* README: "a correct fitter reaches an objective at least as low from its own starts".
 * With the default options (max_iter 500) BFGS2 stops at its iteration limit above all three
 * (WDNT 1e-4: 0.0002964281, +0.49%; WDNT 1e-3: 0.0026517566, +0.34%; NT 1e-4:
 * 0.0006923618, +4.6e-5); with max_iter = 5000 it reaches 0.0002948054, 0.0026427295 and
 * 0.0006923290, all below the published values. Kept failing: a fitter weakness.
 * WDT_delta1e-4 is left out: its optimum is degenerate (E = exp(e) -> 0, published e =
 * -155.5), which no finite number of descent steps reaches exactly. */
typedef struct {
    const char *form;
    double delta, published;
} GemRefit;

static const GemRefit gem_refits_[] = {
    {"separable:W,D,N,T", 1e-4, 0.0002949708},
    {"separable:W,D,N,T", 1e-3, 0.0026427674},
    {"separable:N,T", 1e-4, 0.00069233},
};

static void test_gemstones_huber(void) {
    char path[1400];
    DsTable *t = NULL;
    snprintf(path, sizeof path, "%s/gemstones_valloss_hot_every10B.csv", data_);
    if (access(path, R_OK) != 0) {
        printf("test_fit: skipping the Gemstones Huber fits: %s not found\n", path);
        skipped_ = 1;
        return;
    }
    CHECK_STATUS(ds_table_read(path, &t));
    if (!t) return;
    CHECK(t->nrows == 770);
    static const char *cols[5] = {"depth", "width", "params_active_precise", "tokens",
                                  "val_loss"};
    FitData d = {.n = t->nrows};
    d.x = calloc((size_t)d.n, sizeof *d.x);
    d.loss = calloc((size_t)d.n, sizeof *d.loss);
    double *v = calloc((size_t)d.n, sizeof *v);
    int ok = d.x && d.loss && v;
    for (int k = 0; ok && k < 5; k++) {
        int c = ds_table_col(t, cols[k]);
        ok = c >= 0 && ds_table_numeric(t, c, 1, v) == DW_OK;
        for (int i = 0; ok && i < d.n; i++) {
            if (k == 0) d.x[i].depth = v[i];
            else if (k == 1) d.x[i].width = v[i];
            else if (k == 2) d.x[i].params = v[i];
            else if (k == 3) d.x[i].tokens = v[i];
            else d.loss[i] = v[i];
        }
    }
    CHECK(ok);
    free(v);
    ds_table_free(t);
    for (size_t g = 0; ok && g < sizeof gem_refits_ / sizeof gem_refits_[0]; g++) {
        const GemRefit *c = &gem_refits_[g];
        LawForm f;
        FitOptions o;
        FitResult r;
        CHECK_STATUS(law_form_parse(c->form, &f));
        fit_options_default(&o, &f);
        o.objective = FIT_HUBER_LOG;
        o.huber_delta = c->delta;
        int rc = fit_run(&f, &d, &o, &r);
        CHECK_STATUS(rc);
        if (rc) continue;
        fprintf(stderr, "test_fit: Gemstones %s Huber(%g) fit (%d starts): objective %.10f "
                        "(published %.10f, %+.2g rel); %s\n",
                c->form, c->delta, r.nstarts, r.info.objective, c->published,
                (r.info.objective - c->published) / c->published, r.info.status);
        CHECK(r.info.objective <= c->published * (1 + 1e-6));
        CHECK_REL(r.info.objective, fit_huber_log(&f, r.p, &d, c->delta), 1e-12);
    }
    free(d.x);
    free(d.loss);
}

// ----------------------------------------------------------------------------
// errors

static void test_errors(void) {
    LawX x[MAXROWS] = {{0}};
    double loss[MAXROWS];
    int n = make_grid_(x);
    LawForm f;
    FitOptions o;
    FitResult r;
    static const double truth[] = {EPOCH};
    CHECK_STATUS(law_form_parse("chinchilla", &f));
    for (int j = 0; j < n; j++) loss[j] = law_form_eval(&f, truth, &x[j], NULL, NULL);
    fit_options_default(&o, &f);

    /* 4 rows, 5 free parameters */
    FitData few = {.n = 4, .x = x, .loss = loss};
    dw_error_clear();
    CHECK(fit_run(&f, &few, &o, &r) == DW_EDATA);
    CHECK(has_(dw_error_get(), "4") && has_(dw_error_get(), "5"));
    fprintf(stderr, "test_fit: too few rows: %s\n", dw_error_get());
    /* with one parameter fixed, 4 rows are enough to run */
    CHECK_STATUS(fit_options_fix(&o, &f, "E", truth[0]));
    CHECK_STATUS(fit_run(&f, &few, &o, &r));
    fit_options_default(&o, &f);

    /* a zero input makes the form undefined on a row */
    LawX xz[MAXROWS] = {{0}};
    memcpy(xz, x, sizeof(LawX) * (size_t)n);
    xz[7].tokens = 0;
    FitData zero = {.n = n, .x = xz, .loss = loss};
    dw_error_clear();
    int rc = fit_run(&f, &zero, &o, &r);
    CHECK(rc == DW_ENOCONV);
    CHECK(rc != DW_OK && dw_error_get()[0] != '\0');
    fprintf(stderr, "test_fit: zero input: rc %d: %s\n", rc, dw_error_get());
    /* and every row zero */
    for (int j = 0; j < n; j++) xz[j].params = 0;
    dw_error_clear();
    rc = fit_run(&f, &zero, &o, &r);
    CHECK(rc == DW_ENOCONV && dw_error_get()[0] != '\0');

    /* unknown parameter name */
    dw_error_clear();
    CHECK(fit_options_fix(&o, &f, "gamma", 0.3) == DW_ENOTFOUND);
    const char *msg = dw_error_get();
    CHECK(has_(msg, "gamma"));
    for (int i = 0; i < f.np; i++) CHECK(has_(msg, f.names[i]));
    CHECK(o.fixed == 0);
    fprintf(stderr, "test_fit: unknown --fix: %s\n", msg);
}

int main(void) {
    gsl_set_error_handler_off();
    const char *src = getenv("DW_SOURCE_DIR");
    const char *data = getenv("DW_DATA_DIR");
    if (!src || !*src) src = ".";
    if (data && *data)
        snprintf(data_, sizeof data_, "%s", data);
    else
        snprintf(data_, sizeof data_, "%s/datasets/public", src);

    test_synthetic();
    test_fix();
    test_epoch_huber();
    test_gemstones_huber();
    test_errors();
    int rc = check_done("test_fit");
    return rc == 0 && skipped_ ? 77 : rc;
}

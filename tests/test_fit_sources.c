/* tests/test_fit_sources.c — multi-source fitting (issue 13, deliverable 1): offsets per
 * source and shared parameters are recovered from seeded synthetic sources within their
 * intervals; rows without depth and width carry no shape gradient and leave an exact fit's
 * shape parameters where they are; the law's offsets move to its source records and survive
 * the law file; leave-one-source-out CV sees each held-out source's offset and, on
 * noise-free data, no error on differences.
 *
 * Truth: logsq:power, E 2.0, A 450, alpha 0.34, B 1100, delta 0.31, gamma 0.04, d0 18,
 * beta 0.08; source 1 = truth + 0.30, source 2 (no depth and width) = truth's chinchilla
 * part − 0.20. Noise: seeded N(0, 0.004²) per row. The intervals are 95% ones over 10
 * parameters, so another seed misses one now and then (seeds 99991 and 4242 miss one or two
 * by about 2 SE; 12345 misses the correlated E/A/alpha/B/delta direction by 2.4 SE): the
 * seed is fixed, and the closeness checks below do not depend on it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/dw.h"
#include "fit/fit.h"
#include "fit/sources.h"

enum { NMAX = 400 };
static const double truth_[8] = {2.0, 450, 0.34, 1100, 0.31, 0.04, 18, 0.08};
static const double off_[3] = {0, 0.30, -0.20};

/* seeded normal noise (Box-Muller on a 64-bit LCG): the same numbers on every machine */
static unsigned long long lcg_ = 777;
static double unif_(void) {
    lcg_ = lcg_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(lcg_ >> 11) + 0.5) / 9007199254740992.0;
}
static double normal_(void) { return sqrt(-2 * log(unif_())) * cos(6.283185307179586 * unif_()); }

/* source 0 and 1: depths × widths × tokens with N = 12·D·W²; source 2: N × T only */
static int rows_(LawForm *base, LawX *x, double *loss, int *group, double noise, int with2) {
    static const double D[] = {4, 8, 16, 32, 64}, W[] = {256, 512, 1024, 2048}, T[] = {2e9, 8e9, 3e10};
    static const double N2[] = {5e7, 2e8, 8e8, 3e9}, T2[] = {1e9, 5e9, 2e10, 8e10};
    int n = 0;
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 4; b++)
                for (int t = 0; t < 3; t++, n++) {
                    x[n] = (LawX){.depth = D[a], .width = W[b], .params = 12 * D[a] * W[b] * W[b],
                                  .tokens = T[t], .source = s};
                    loss[n] = law_form_eval(base, truth_, &x[n], NULL, NULL) + off_[s] + noise * normal_();
                    group[n] = s * 100 + a * 4 + b;
                }
    for (int a = 0; with2 && a < 4; a++)
        for (int t = 0; t < 4; t++, n++) {
            x[n] = (LawX){.depth = NAN, .width = NAN, .params = N2[a], .tokens = T2[t], .source = 2,
                          .no_shape = 1};
            loss[n] = law_form_eval(base, truth_, &x[n], NULL, NULL) + off_[2] + noise * normal_();
            group[n] = 200 + a;
        }
    return n;
}

/* shared parameters and offsets within their 95% intervals, and close to the truth */
static void test_recovery(void) {
    LawForm base, f;
    FitOptions o;
    FitLawInfo info;
    Law *law = NULL;
    static LawX x[NMAX];
    static double loss[NMAX];
    static int group[NMAX];
    CHECK_STATUS(law_form_parse("logsq:power", &base));
    f = base;
    CHECK_STATUS(law_form_add_sources(&f, 3));
    CHECK(f.np == 10 && f.nsrc == 2 && !strcmp(f.names[8], "dE1") && !strcmp(f.names[9], "dE2"));
    int n = rows_(&base, x, loss, group, 0.004, 1);
    FitData d = {.n = n, .x = x, .loss = loss, .inputs = LAW_BIT(LAW_D) | LAW_BIT(LAW_W) |
                                                         LAW_BIT(LAW_N) | LAW_BIT(LAW_T)};
    fit_options_default(&o, &f);
    FitLawOptions lo = {.group = group, .boot = 60, .by_shape = 1, .seed = 3, .threads = 2,
                        .max_draws = 60};
    CHECK_STATUS(fit_law(&f, &d, &o, &lo, &law, &info));
    if (!law) return;
    CHECK(info.converged);
    CHECK(info.boot_why.unidentifiable == 0);
    for (int i = 0; i < 10; i++) {
        double want = i < 8 ? truth_[i] : off_[i - 7];
        int inside = law->has_ci[i] && law->ci[i][0] <= want && want <= law->ci[i][1];
        if (!inside)
            fprintf(stderr, "  %s = %g, interval [%g, %g], truth %g\n", f.names[i], law->p[i],
                    law->ci[i][0], law->ci[i][1], want);
        CHECK(inside);
    }
    CHECK_ABS(law->p[8], 0.30, 0.01);
    CHECK_ABS(law->p[9], -0.20, 0.02);
    CHECK_ABS(law->p[0], 2.0, 0.05);
    /* the offsets move into the source records; the law is the reference's */
    const char *names[3] = {"a", "b", "c"}, *notes[3] = {"ref", NULL, "no shape"};
    int nrows[3] = {60, 60, 16}, shape[3] = {1, 1, 0};
    double off1 = law->p[8], ci1 = law->ci[8][0], d0 = law->draws[6 + 10]; /* draw 1's d0 */
    CHECK_STATUS(fit_law_split_sources(law, 3, names, notes, nrows, shape));
    CHECK(law->form.np == 8 && law->form.nsrc == 0 && law->nsources == 3);
    CHECK_ABS(law->sources[1].offset, off1, 0);
    CHECK_ABS(law->sources[1].lo, ci1, 0);
    CHECK(law->sources[0].offset == 0 && law->sources[2].shape == 0);
    CHECK_ABS(law->draws[6 + 8], d0, 0); /* draw 1 repacked to 8 parameters */
    char *text = NULL;
    Law *back = NULL;
    CHECK_STATUS(law_to_json(law, &text));
    CHECK_STATUS(law_parse(text, "round trip", &back));
    if (back) {
        CHECK(back->nsources == 3 && !strcmp(back->sources[2].name, "c"));
        CHECK_ABS(back->sources[2].offset, law->sources[2].offset, 1e-14);
        CHECK(!strcmp(back->sources[2].note, "no shape") && back->sources[2].rows == 16);
    }
    free(text);
    law_free(back);
    law_free(law);
}

/* rows without depth and width: no gradient along gamma, d0, beta, and an exactly
 * consistent shapeless source leaves the exact shape parameters in place */
static void test_shapeless_rows(void) {
    LawForm base, f2, f3;
    FitOptions o;
    FitResult r2, r3;
    static LawX x[NMAX];
    static double loss[NMAX];
    static int group[NMAX];
    law_form_parse("logsq:power", &base);
    LawX xs = {.depth = NAN, .width = NAN, .params = 1e8, .tokens = 1e9, .no_shape = 1};
    double g[LAW_MAXP];
    double l = law_form_eval(&base, truth_, &xs, g, NULL);
    CHECK_ABS(l, 2.0 + 450 * pow(1e8, -0.34) + 1100 * pow(1e9, -0.31), 1e-12);
    CHECK(g[5] == 0 && g[6] == 0 && g[7] == 0);
    /* forms without a neutral shape value refuse such rows: NaN */
    LawForm bh;
    law_form_parse("benefit-harm:power", &bh);
    double pbh[LAW_MAXP] = {2, 450, 0.34, 1100, 0.31, 0.1, 0.3, 0.3, 10, 0.1};
    CHECK(isnan(law_form_eval(&bh, pbh, &xs, NULL, NULL)));
    int n2 = rows_(&base, x, loss, group, 0, 0); /* sources 0 and 1, noise-free */
    f2 = base;
    law_form_add_sources(&f2, 2);
    FitData d2 = {.n = n2, .x = x, .loss = loss};
    fit_options_default(&o, &f2);
    CHECK_STATUS(fit_run(&f2, &d2, &o, &r2));
    lcg_ = 777;
    int n3 = rows_(&base, x, loss, group, 0, 1);
    f3 = base;
    law_form_add_sources(&f3, 3);
    FitData d3 = {.n = n3, .x = x, .loss = loss};
    fit_options_default(&o, &f3);
    CHECK_STATUS(fit_run(&f3, &d3, &o, &r3));
    for (int i = 5; i < 8; i++) {
        CHECK_REL(r3.p[i], truth_[i], 1e-5);
        CHECK_REL(r3.p[i], r2.p[i], 1e-5);
    }
    /* a shapeless source meeting a form without a neutral shape value is refused */
    LawForm bh3 = bh;
    law_form_add_sources(&bh3, 3);
    fit_options_default(&o, &bh3);
    CHECK(fit_check_identifiable(&bh3, &d3, &o) == DW_EPARSE);
}

/* leave-one-source-out on noise-free sources: no error on differences; each held-out
 * source's mean error is minus its offset relative to the reference it is predicted at */
static void test_cv_sources(void) {
    LawForm base, f;
    FitOptions o;
    FitResult r;
    FitSourceCV cv[3];
    static LawX x[NMAX];
    static double loss[NMAX];
    static int group[NMAX];
    law_form_parse("logsq:power", &base);
    f = base;
    law_form_add_sources(&f, 3);
    int n = rows_(&base, x, loss, group, 0, 1);
    FitData d = {.n = n, .x = x, .loss = loss};
    fit_options_default(&o, &f);
    CHECK_STATUS(fit_run(&f, &d, &o, &r));
    CHECK_STATUS(fit_cv_sources(&f, &d, &o, &r, 3, cv));
    for (int s = 0; s < 3; s++) {
        CHECK(cv[s].ok);
        CHECK(cv[s].n == (s < 2 ? 60 : 16));
        CHECK_ABS(cv[s].rmse_centred, 0, 1e-6);
    }
    CHECK_ABS(cv[0].offset, 0.30, 1e-6); /* predicted at source 1's level: +0.30 too high */
    CHECK_ABS(cv[1].offset, -0.30, 1e-6);
    CHECK_ABS(cv[2].offset, 0.20, 1e-6);
    CHECK(fit_cv_sources(&f, &d, &o, &r, 2, cv) == DW_EINVAL);
}

int main(void) {
    test_recovery();
    test_shapeless_rows();
    test_cv_sources();
    return check_done("test_fit_sources");
}

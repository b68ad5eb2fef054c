/* fit/domain.h — the values a law may hold (issue 14, finding 8: valid JSON, meaningless
 * values). Each parameter of a form has a domain outside which the form means nothing
 * (a negative exponent makes loss grow with compute, a non-positive reference depth has no
 * logarithm), and the conventions have limits (an MLP ratio of 1e300). law_parse refuses a
 * law outside them, law_write refuses to write one, and both name the file, the field and
 * the allowed range.
 *
 * The domains (fit/forms.c, next to the fitter's default bounds, which lie inside them):
 *   exponents (alpha, delta, a, c, a_X)          (0, 10]
 *   amplitudes (A, B, P, R)                      [0, inf), finite
 *   floors (E) and log-amplitudes (e, c_X)       any finite number
 *   reference-depth scales (d0, c, kappa, t0)    (0, inf), finite
 *   beta (width exponent of a reference depth)   [-2, 4]
 *   gamma (curvature of the depth penalty)       (0, inf), finite
 *   source offsets dE<k> (never in a file)       any finite number
 * The conventions (fit/lawfile.c): vocab and seq_len integers in 1 .. LAW_SIZE_MAX,
 * mlp_ratio in (0, LAW_MLP_RATIO_MAX].
 */
#ifndef FIT_DOMAIN_H
#define FIT_DOMAIN_H

#include <stddef.h>

#include "law.h"

#define LAW_SIZE_MAX 100000000   /* vocab, seq_len */
#define LAW_MLP_RATIO_MAX 64.0   /* MLP inner width / W */

/* The domain of parameter i of f: *lo, *hi (-HUGE_VAL / HUGE_VAL for none; a value must be
 * finite whatever the ends). Returns 1 when the lower end is excluded (v > lo), 0 when it is
 * included (v >= lo); the upper end is always included. DW_ASSERTs 0 <= i < f->np. */
int law_form_domain(const LawForm *f, int i, double *lo, double *hi);

/* 1 when v lies in parameter i's domain; the domain as text ("(0, 10]", "[0, inf)", "any
 * finite number") into range[n] either way (n >= 32 holds every domain). */
int law_form_in_domain(const LawForm *f, int i, double v, char *range, size_t n);

/* Checks every parameter, every bootstrap draw, the conventions of `law`, and the spreads
 * it carries: se, the covariance's diagonal, fit.rmse/max_abs_err/cv_rmse and each
 * source's se and loso_rmse >= 0 (or unknown, NaN), fit.r2 and r2_log at most 1.
 * Return: DW_OK, or DW_EPARSE with "ORIGIN: field 'params.alpha' = -0.5 is outside its
 *         domain (0, 10] ..." (the draws: "field 'draws' row 3, 'alpha'"; the conventions:
 *         "field 'conventions.mlp_ratio'"). */
int law_check_domain(const Law *law, const char *origin);

#endif

/* fit/sources.h — fits across sources (issue 13, deliverable 1).
 *
 * Sources are run tables from different groups: another tokenizer, another eval set, another
 * training set. Their losses differ by a level that says nothing about the shape, so a fit
 * across them gives every source but the first its own offset dE<k> (law_form_add_sources:
 * the form's value + dE<k>) and shares every other parameter: exponents, amplitudes and the
 * shape term. Only the floor varies per source; whether the amplitudes A and B should vary
 * too is a choice this module does not offer: the leave-one-source-out figures below are
 * the test of sharing them (a source whose A or B differed would be predicted badly by the
 * others).
 *
 * Rows without depth and width (LawX.no_shape) enter only through the floor, N and T terms;
 * with a form whose shape term has no neutral value they are refused (fit/data.c).
 */
#ifndef FIT_SOURCES_H
#define FIT_SOURCES_H

#include "fit.h"

/* Moves the source offsets of a multi-source fit out of the law's parameters into
 * law->sources (one per source, offset 0 for the reference), so that the law is an ordinary
 * law of its form for the reference source: parameters, fixed bits, intervals, standard
 * errors, covariance, draws and what the fit could not tell are cut to the form's own
 * parameters. names[k] and notes[k] (notes may be NULL) name source k; rows[k] and shape[k]
 * say how many rows it gave and whether they had depth and width.
 * Return: DW_OK (nothing to do when the form has no offsets); DW_EINVAL nsources does not
 * match the form. */
int fit_law_split_sources(Law *law, int nsources, const char *const *names,
                          const char *const *notes, const int *rows, const int *shape);

/* Leave-one-source-out cross-validation of a multi-source form: for each source, the form is
 * refitted without its rows (warm-started from `full`; the held-out source's offset — or,
 * when the reference is held out, the first other source's, which becomes the reference —
 * is pinned at 0) and predicts the held-out rows up to their unknown offset: the error that
 * counts is each row's error minus the held-out source's mean error (the offset estimated
 * from the rows themselves), i.e. the error on differences between that source's runs. */
typedef struct {
    int n;               /* rows of the source */
    int ok;              /* 1: the refit converged */
    double offset;       /* mean error of the refit's prediction without an offset (L̂ − L) */
    double rmse_centred; /* RMSE of the errors minus their mean: NaN when the refit failed */
    char why[160];       /* why the refit failed */
} FitSourceCV;

/* out[nsources]. Return: DW_OK (a failed refit is out[k].ok == 0 with why); DW_EINVAL fewer
 * than 2 sources; DW_ENOMEM. */
int fit_cv_sources(const LawForm *f, const FitData *d, const FitOptions *o,
                   const FitResult *full, int nsources, FitSourceCV *out);

#endif

/* fit/sources.c — multi-source fits: the offsets out of the law into its source records, and
 * leave-one-source-out cross-validation (see sources.h). */
#include "sources.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"

int fit_law_split_sources(Law *law, int nsources, const char *const *names,
                          const char *const *notes, const int *rows, const int *shape) {
    LawForm *f = &law->form;
    if (f->nsrc == 0) return DW_OK;
    if (nsources != f->nsrc + 1 || nsources > LAW_MAX_SOURCES)
        return dw_error_set(DW_EINVAL, "%d source names for a form with %d offsets", nsources,
                            f->nsrc);
    int nb = law_form_base_np(f), np = f->np;
    law->nsources = nsources;
    for (int k = 0; k < nsources; k++) {
        LawSource *s = &law->sources[k];
        int i = nb + k - 1; /* the offset's index (k >= 1) */
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", names[k]);
        if (notes && notes[k]) snprintf(s->note, sizeof s->note, "%s", notes[k]);
        s->rows = rows[k];
        s->shape = shape[k];
        s->offset = k ? law->p[i] : 0;
        s->se = k && law->has_se ? law->se[i] : k ? NAN : 0;
        s->lo = k ? (law->has_ci[i] ? law->ci[i][0] : NAN) : 0;
        s->hi = k ? (law->has_ci[i] ? law->ci[i][1] : NAN) : 0;
        s->loso_rmse = NAN;
    }
    /* the covariance and the draws shrink to the form's own parameters */
    if (law->has_cov)
        for (int r = 0; r < nb; r++)
            for (int c = 0; c < nb; c++) law->cov[r * nb + c] = law->cov[r * np + c];
    for (int q = 0; q < law->ndraws; q++)
        memmove(law->draws + (size_t)q * nb, law->draws + (size_t)q * np, sizeof(double) * nb);
    unsigned keep = (1u << nb) - 1;
    law->fixed &= keep;
    law->fit.on_bound &= keep;
    law->fit.unidentified &= keep;
    for (int i = nb; i < np; i++) {
        law->p[i] = law->se[i] = 0;
        law->has_ci[i] = 0;
        f->names[i][0] = '\0';
    }
    f->np = nb;
    f->nsrc = 0;
    return DW_OK;
}

/* The options and warm start of the refit without source `held`: its offset pinned at 0
 * (no rows), or with the reference held out, the first other source becomes the reference
 * (its offset pinned at 0, the floor and the other offsets shifted by it). */
static void held_out_options_(const LawForm *f, const FitOptions *o, const FitResult *full,
                              int nsources, int held, FitOptions *wo) {
    int nb = law_form_base_np(f);
    int pin = held ? held : 1; /* the offset index k pinned (dE<k>) */
    int e = law_form_param_index(f, "E"), sep_e = f->id == LAW_SEPARABLE;
    *wo = *o;
    wo->has_start = 1;
    wo->ftol = 1e-10;
    memcpy(wo->start, full->p, sizeof wo->start);
    if (!held) { /* re-reference to source 1 */
        double shift = full->p[nb];
        for (int k = 2; k < nsources; k++) wo->start[nb + k - 1] -= shift;
        if (e >= 0) wo->start[e] += shift;
        else if (sep_e && exp(full->p[0]) + shift > 0) wo->start[0] = log(exp(full->p[0]) + shift);
    }
    wo->fixed |= 1u << (nb + pin - 1);
    wo->value[nb + pin - 1] = 0;
    wo->start[nb + pin - 1] = 0;
}

int fit_cv_sources(const LawForm *f, const FitData *d, const FitOptions *o,
                   const FitResult *full, int nsources, FitSourceCV *out) {
    if (nsources < 2 || nsources != f->nsrc + 1)
        return dw_error_set(DW_EINVAL, "leave-one-source-out CV needs 2 or more sources");
    FitData tr = {0};
    tr.x = malloc(sizeof *tr.x * (size_t)d->n);
    tr.loss = malloc(sizeof *tr.loss * (size_t)d->n);
    tr.weight = d->weight ? malloc(sizeof *tr.weight * (size_t)d->n) : NULL;
    double *err = malloc(sizeof *err * (size_t)d->n);
    int rc = DW_OK;
    if (!tr.x || !tr.loss || (d->weight && !tr.weight) || !err) {
        rc = dw_error_set(DW_ENOMEM, "out of memory for leave-one-source-out CV");
        goto out;
    }
    tr.inputs = d->inputs;
    for (int s = 0; s < nsources; s++) {
        FitSourceCV *c = &out[s];
        FitOptions wo;
        FitResult fr;
        memset(c, 0, sizeof *c);
        c->offset = c->rmse_centred = NAN;
        tr.n = 0;
        for (int i = 0; i < d->n; i++) {
            if (d->x[i].source == s) {
                c->n++;
                continue;
            }
            tr.x[tr.n] = d->x[i], tr.loss[tr.n] = d->loss[i];
            if (tr.weight) tr.weight[tr.n] = d->weight[i];
            tr.n++;
        }
        held_out_options_(f, o, full, nsources, s, &wo);
        if ((rc = fit_check_identifiable(f, &tr, &wo)) || (rc = fit_run(f, &tr, &wo, &fr))) {
            snprintf(c->why, sizeof c->why, "%s", dw_error_get());
            rc = DW_OK;
            continue;
        }
        if (strncmp(fr.info.status, "converged", 9)) {
            snprintf(c->why, sizeof c->why, "the refit did not converge (%s)", fr.info.status);
            continue;
        }
        /* the held-out rows at the reference's level: their own offset is unknown */
        int m = 0;
        double mean = 0, ss = 0;
        for (int i = 0; i < d->n; i++) {
            if (d->x[i].source != s) continue;
            LawX x = d->x[i];
            x.source = 0;
            double lhat = law_form_eval(f, fr.p, &x, NULL, NULL);
            if (!isfinite(lhat)) continue;
            err[m++] = lhat - d->loss[i];
        }
        if (m < 2) {
            snprintf(c->why, sizeof c->why, "%d rows could be predicted", m);
            continue;
        }
        for (int q = 0; q < m; q++) mean += err[q] / m;
        for (int q = 0; q < m; q++) ss += (err[q] - mean) * (err[q] - mean);
        c->ok = 1;
        c->offset = mean;
        c->rmse_centred = sqrt(ss / m);
    }
out:
    free(tr.x), free(tr.loss), free(tr.weight), free(err);
    return rc;
}

/* fit/lawfile.c — the law file (DESIGN §3): allocation, JSON reading with field-level
 * validation, writing, and the embedded presets.
 *
 * Reading is strict: every parameter of the form must be present and finite, unknown
 * parameter names are errors (a typo must not silently leave a parameter at zero), and
 * every message names the file and the field. Writing is atomic (temp file + rename).
 */
#include "law.h"
#include "domain.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/embedded.h"

void law_conventions_default(LawConventions *c) {
    memset(c, 0, sizeof *c);
    c->params = LAW_PARAMS_NONEMBED;
    c->flops = LAW_FLOPS_FULL;
    c->vocab = 50257;
    c->seq_len = 1024;
    c->mlp_ratio = 4.0;
    c->swiglu = 0;
    c->tied = 0;
    c->biases = 1;
    c->rmsnorm = 0;
}

Law *law_alloc(const LawForm *form) {
    Law *law = calloc(1, sizeof *law);
    if (!law) return NULL;
    law->form = *form;
    law_conventions_default(&law->conv);
    /* unknown until a fit or the file says: "n/a" and null, never 0 */
    law->fit.objective = law->fit.r2 = law->fit.r2_log = NAN;
    law->fit.rmse = law->fit.max_abs_err = law->fit.aic = law->fit.bic = law->fit.cv_rmse = NAN;
    for (int i = 0; i < LAW_RANGE_COUNT; i++) law->range.lo[i] = law->range.hi[i] = NAN;
    return law;
}

void law_free(Law *law) {
    if (!law) return;
    free(law->draws);
    free(law->provenance_json);
    free(law);
}

double law_eval(const Law *law, const LawX *x) {
    return law_form_eval(&law->form, law->p, x, NULL, NULL);
}

// ----------------------------------------------------------------------------
// enum <-> text

static const char *params_conv_names_[] = {"nonembed", "total", "12DW2"};
static const char *flops_conv_names_[] = {"6NT", "full"};

static int lookup_(const char *const *names, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

// ----------------------------------------------------------------------------
// parsing

#define COUNT_MAX 1000000000 /* rows of a fit or a source */

/* Reads a required finite number member. */
static int get_number_(const cJSON *obj, const char *key, const char *origin, const char *path,
                       int required, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (!required) return DW_OK;
        return dw_error_set(DW_EPARSE, "%s: field '%s%s' is missing", origin, path, key);
    }
    if (cJSON_IsNull(v) && !required) {
        *out = NAN;
        return DW_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return dw_error_set(DW_EPARSE, "%s: field '%s%s' must be a finite number", origin, path,
                            key);
    *out = v->valuedouble;
    return DW_OK;
}

/* An optional integer member in lo .. hi (hi <= 1e9: every count a law holds fits an int). */
static int get_int_(const cJSON *obj, const char *key, const char *origin, const char *path,
                    int lo, int hi, int *out) {
    double v = *out;
    int rc = get_number_(obj, key, origin, path, 0, &v);
    if (rc) return rc;
    if (v != floor(v) || v < lo || v > hi)
        return dw_error_set(DW_EPARSE, "%s: field '%s%s' = %.10g must be an integer in %d .. %d",
                            origin, path, key, v, lo, hi);
    *out = (int)v;
    return DW_OK;
}

static int get_bool_(const cJSON *obj, const char *key, const char *origin, const char *path,
                     int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return DW_OK;
    if (!cJSON_IsBool(v))
        return dw_error_set(DW_EPARSE, "%s: field '%s%s' must be true or false", origin, path,
                            key);
    *out = cJSON_IsTrue(v);
    return DW_OK;
}

static int get_string_(const cJSON *obj, const char *key, const char *origin, const char *path,
                       char *buf, size_t n) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return DW_OK;
    if (!cJSON_IsString(v))
        return dw_error_set(DW_EPARSE, "%s: field '%s%s' must be a string", origin, path, key);
    snprintf(buf, n, "%s", v->valuestring);
    return DW_OK;
}

static int parse_conventions_(const cJSON *c, const char *origin, LawConventions *conv) {
    char buf[64] = "";
    int rc, i;
    if (!c) return DW_OK;
    if (!cJSON_IsObject(c))
        return dw_error_set(DW_EPARSE, "%s: field 'conventions' must be an object", origin);
    if ((rc = get_string_(c, "params", origin, "conventions.", buf, sizeof buf))) return rc;
    if (buf[0]) {
        if ((i = lookup_(params_conv_names_, 3, buf)) < 0)
            return dw_error_set(DW_EPARSE,
                                "%s: field 'conventions.params' is '%s'; expected nonembed, "
                                "total or 12DW2", origin, buf);
        conv->params = (LawParamsConv)i;
    }
    buf[0] = '\0';
    if ((rc = get_string_(c, "flops", origin, "conventions.", buf, sizeof buf))) return rc;
    if (buf[0]) {
        if ((i = lookup_(flops_conv_names_, 2, buf)) < 0)
            return dw_error_set(DW_EPARSE,
                                "%s: field 'conventions.flops' is '%s'; expected 6NT or full",
                                origin, buf);
        conv->flops = (LawFlopsConv)i;
    }
    buf[0] = '\0';
    if ((rc = get_string_(c, "norm", origin, "conventions.", buf, sizeof buf))) return rc;
    if (buf[0]) {
        if (strcmp(buf, "layernorm") && strcmp(buf, "rmsnorm"))
            return dw_error_set(DW_EPARSE,
                                "%s: field 'conventions.norm' is '%s'; expected layernorm or "
                                "rmsnorm", origin, buf);
        conv->rmsnorm = strcmp(buf, "rmsnorm") == 0;
    }
    if ((rc = get_int_(c, "vocab", origin, "conventions.", 1, LAW_SIZE_MAX,
                       &conv->vocab))) return rc;
    if ((rc = get_int_(c, "seq_len", origin, "conventions.", 1, LAW_SIZE_MAX,
                       &conv->seq_len))) return rc;
    if ((rc = get_number_(c, "mlp_ratio", origin, "conventions.", 0, &conv->mlp_ratio))) return rc;
    /* its range: law_check_domain */
    if ((rc = get_bool_(c, "swiglu", origin, "conventions.", &conv->swiglu))) return rc;
    if ((rc = get_bool_(c, "tied", origin, "conventions.", &conv->tied))) return rc;
    if ((rc = get_bool_(c, "biases", origin, "conventions.", &conv->biases))) return rc;
    return get_string_(c, "note", origin, "conventions.", conv->note, sizeof conv->note);
}

static int parse_pair_(const cJSON *v, const char *origin, const char *field, const char *name,
                       double out[2]);

/* A list of the form's parameter names ("fit.degenerate.on_bound": ["e", "a_N"]) as bits. */
static int parse_name_bits_(const cJSON *v, const char *origin, const char *key,
                            const LawForm *form, unsigned *bits) {
    const cJSON *e;
    if (!v) return DW_OK;
    if (!cJSON_IsArray(v))
        return dw_error_set(DW_EPARSE, "%s: field 'fit.degenerate.%s' must be a list of "
                            "parameter names", origin, key);
    cJSON_ArrayForEach(e, v) {
        int i = cJSON_IsString(e) ? law_form_param_index(form, e->valuestring) : -1;
        if (i < 0)
            return dw_error_set(DW_EPARSE, "%s: field 'fit.degenerate.%s' names '%s', not a "
                                "parameter of the form", origin, key,
                                cJSON_IsString(e) ? e->valuestring : "(not a string)");
        *bits |= 1u << i;
    }
    return DW_OK;
}

/* "fit": {"degenerate": {"on_bound": [...], "unidentified": [...],
 * "tokens_proportional_to_params": true}} */
static int parse_degenerate_(const cJSON *f, const char *origin, const LawForm *form,
                             LawFitInfo *fi) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(f, "degenerate");
    int rc;
    if (!d) return DW_OK;
    if (!cJSON_IsObject(d))
        return dw_error_set(DW_EPARSE, "%s: field 'fit.degenerate' must be an object", origin);
    if ((rc = parse_name_bits_(cJSON_GetObjectItemCaseSensitive(d, "on_bound"), origin,
                               "on_bound", form, &fi->on_bound)) ||
        (rc = parse_name_bits_(cJSON_GetObjectItemCaseSensitive(d, "unidentified"), origin,
                               "unidentified", form, &fi->unidentified)))
        return rc;
    return get_bool_(d, "tokens_proportional_to_params", origin, "fit.degenerate.",
                     &fi->nt_confounded);
}

/* "range": {"params": [lo, hi], ...}: keys from law_range_key, each lo <= hi, positive and
 * finite (every quantity is a count); null or absent is unknown. */
static int parse_range_(const cJSON *r, const char *origin, LawRange *range) {
    const cJSON *e;
    for (int i = 0; i < LAW_RANGE_COUNT; i++) range->lo[i] = range->hi[i] = NAN;
    range->known = 0;
    if (!r) return DW_OK;
    if (!cJSON_IsObject(r))
        return dw_error_set(DW_EPARSE, "%s: field 'range' must be an object of [lo, hi] pairs",
                            origin);
    cJSON_ArrayForEach(e, r) {
        int i = 0;
        double pair[2];
        while (i < LAW_RANGE_COUNT && strcmp(e->string, law_range_key(i))) i++;
        if (i == LAW_RANGE_COUNT)
            return dw_error_set(DW_EPARSE, "%s: field 'range.%s' is unknown (expected params, "
                                "tokens, flops, depth, width, tokens_per_param)", origin,
                                e->string);
        if (cJSON_IsNull(e)) continue;
        int rc = parse_pair_(e, origin, "range", e->string, pair);
        if (rc) return rc;
        if (!(pair[0] > 0))
            return dw_error_set(DW_EPARSE, "%s: field 'range.%s' must be positive", origin,
                                e->string);
        range->lo[i] = pair[0];
        range->hi[i] = pair[1];
        range->known = 1;
    }
    return DW_OK;
}

static int parse_fit_info_(const cJSON *f, const char *origin, const LawForm *form,
                           LawFitInfo *fi) {
    int rc;
    if (!f) return DW_OK;
    if (!cJSON_IsObject(f))
        return dw_error_set(DW_EPARSE, "%s: field 'fit' must be an object", origin);
    if ((rc = get_int_(f, "n", origin, "fit.", 0, COUNT_MAX, &fi->n))) return rc;
    static const struct {
        const char *key;
        size_t off;
    } nums[] = {
        {"objective", offsetof(LawFitInfo, objective)}, {"r2", offsetof(LawFitInfo, r2)},
        {"r2_log", offsetof(LawFitInfo, r2_log)},       {"rmse", offsetof(LawFitInfo, rmse)},
        {"max_abs_err", offsetof(LawFitInfo, max_abs_err)}, {"aic", offsetof(LawFitInfo, aic)},
        {"bic", offsetof(LawFitInfo, bic)},             {"cv_rmse", offsetof(LawFitInfo, cv_rmse)},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if ((rc = get_number_(f, nums[i].key, origin, "fit.", 0,
                              (double *)((char *)fi + nums[i].off))))
            return rc;
    if ((rc = get_string_(f, "objective_kind", origin, "fit.", fi->objective_kind,
                          sizeof fi->objective_kind)))
        return rc;
    if ((rc = get_string_(f, "status", origin, "fit.", fi->status, sizeof fi->status)))
        return rc;
    return parse_degenerate_(f, origin, form, fi);
}

/* A [lo, hi] pair of finite numbers with lo <= hi. */
static int parse_pair_(const cJSON *v, const char *origin, const char *field, const char *name,
                       double out[2]) {
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
        return dw_error_set(DW_EPARSE, "%s: field '%s.%s' must be [lo, hi]", origin, field, name);
    for (int k = 0; k < 2; k++) {
        const cJSON *e = cJSON_GetArrayItem(v, k);
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
            return dw_error_set(DW_EPARSE, "%s: field '%s.%s' must hold finite numbers", origin,
                                field, name);
        out[k] = e->valuedouble;
    }
    if (out[0] > out[1])
        return dw_error_set(DW_EPARSE, "%s: field '%s.%s' has lo > hi", origin, field, name);
    return DW_OK;
}

static int parse_matrix_(const cJSON *m, const char *origin, const char *field, int rows_max,
                         int cols, double *out, int *nrows) {
    int r = 0;
    const cJSON *row;
    if (!cJSON_IsArray(m))
        return dw_error_set(DW_EPARSE, "%s: field '%s' must be an array of arrays", origin, field);
    if (rows_max >= 0 && cJSON_GetArraySize(m) > rows_max)
        return dw_error_set(DW_EPARSE, "%s: field '%s' has more than %d rows", origin, field,
                            rows_max);
    cJSON_ArrayForEach(row, m) {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != cols)
            return dw_error_set(DW_EPARSE, "%s: field '%s' row %d must have %d numbers", origin,
                                field, r, cols);
        for (int k = 0; k < cols; k++) {
            const cJSON *e = cJSON_GetArrayItem(row, k);
            if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
                return dw_error_set(DW_EPARSE, "%s: field '%s' row %d holds a non-number", origin,
                                    field, r);
            out[(size_t)r * cols + k] = e->valuedouble;
        }
        r++;
    }
    *nrows = r;
    return DW_OK;
}

/* params (exactly the form's names) and fixed (a list of names). */
static int parse_params_(const cJSON *root, const char *origin, Law *law) {
    const LawForm *form = &law->form;
    const cJSON *v, *item = cJSON_GetObjectItemCaseSensitive(root, "params");
    int rc;
    if (!cJSON_IsObject(item))
        return dw_error_set(DW_EPARSE, "%s: field 'params' is missing or not an object", origin);
    cJSON_ArrayForEach(v, item) {
        if (law_form_param_index(form, v->string) < 0) {
            char ftext[96];
            law_form_text(form, ftext, sizeof ftext);
            return dw_error_set(DW_EPARSE, "%s: field 'params.%s' is not a parameter of form '%s'",
                                origin, v->string, ftext);
        }
    }
    for (int i = 0; i < form->np; i++)
        if ((rc = get_number_(item, form->names[i], origin, "params.", 1, &law->p[i]))) return rc;
    item = cJSON_GetObjectItemCaseSensitive(root, "fixed");
    if (!item) return DW_OK;
    if (!cJSON_IsArray(item))
        return dw_error_set(DW_EPARSE, "%s: field 'fixed' must be an array of names", origin);
    cJSON_ArrayForEach(v, item) {
        int k = cJSON_IsString(v) ? law_form_param_index(form, v->valuestring) : -1;
        if (k < 0)
            return dw_error_set(DW_EPARSE, "%s: field 'fixed' names an unknown parameter", origin);
        law->fixed |= 1u << k;
    }
    return DW_OK;
}

/* The optional uncertainty: ci and se per name, cov, draws. */
static int parse_uncertainty_(const cJSON *root, const char *origin, Law *law) {
    const LawForm *form = &law->form;
    const cJSON *v, *item = cJSON_GetObjectItemCaseSensitive(root, "ci");
    int rc;
    if (item) {
        if (!cJSON_IsObject(item))
            return dw_error_set(DW_EPARSE, "%s: field 'ci' must be an object", origin);
        cJSON_ArrayForEach(v, item) {
            int k = law_form_param_index(form, v->string);
            if (k < 0)
                return dw_error_set(DW_EPARSE, "%s: field 'ci.%s' is not a parameter", origin,
                                    v->string);
            if ((rc = parse_pair_(v, origin, "ci", v->string, law->ci[k]))) return rc;
            law->has_ci[k] = 1;
        }
    }
    if ((item = cJSON_GetObjectItemCaseSensitive(root, "se"))) {
        if (!cJSON_IsObject(item))
            return dw_error_set(DW_EPARSE, "%s: field 'se' must be an object", origin);
        for (int i = 0; i < form->np; i++) {
            law->se[i] = 0;
            if ((rc = get_number_(item, form->names[i], origin, "se.", 0, &law->se[i]))) return rc;
        }
        law->has_se = 1;
    }
    if ((item = cJSON_GetObjectItemCaseSensitive(root, "cov"))) {
        int nr = 0;
        if ((rc = parse_matrix_(item, origin, "cov", form->np, form->np, law->cov, &nr))) return rc;
        if (nr != form->np)
            return dw_error_set(DW_EPARSE, "%s: field 'cov' must be %d x %d", origin, form->np,
                                form->np);
        law->has_cov = 1;
    }
    item = cJSON_GetObjectItemCaseSensitive(root, "draws");
    if (item && !cJSON_IsArray(item))
        return dw_error_set(DW_EPARSE, "%s: field 'draws' must be an array of parameter vectors",
                            origin);
    if (item && cJSON_GetArraySize(item) > 0) {
        int nd = cJSON_GetArraySize(item);
        if (!(law->draws = malloc((size_t)nd * form->np * sizeof(double))))
            return dw_error_set(DW_ENOMEM, "%s: out of memory for draws", origin);
        if ((rc = parse_matrix_(item, origin, "draws", -1, form->np, law->draws, &law->ndraws)))
            return rc;
    }
    return DW_OK;
}

/* The JSON document and its form (the rest needs the form). */
static int parse_root_(const char *text, const char *origin, cJSON **root, LawForm *form) {
    const cJSON *item;
    if (!(*root = cJSON_Parse(text))) {
        /* cJSON gives the position of the first bad character */
        const char *at = cJSON_GetErrorPtr();
        int line = 1;
        for (const char *p = text; at && p < at; p++) line += *p == '\n';
        return dw_error_set(DW_EPARSE, "%s:%d: malformed JSON", origin, line);
    }
    if (!cJSON_IsObject(*root))
        return dw_error_set(DW_EPARSE, "%s: a law file must be a JSON object", origin);
    item = cJSON_GetObjectItemCaseSensitive(*root, "form");
    if (!cJSON_IsString(item))
        return dw_error_set(DW_EPARSE, "%s: field 'form' is missing or not a string", origin);
    if (law_form_parse(item->valuestring, form))
        return dw_error_prefix(DW_EPARSE, "%s: field 'form'", origin);
    return DW_OK;
}

/* "sources": [{name, rows, shape, offset, se, ci, note}] of a multi-source fit. */
static int parse_sources_(const cJSON *a, const char *origin, Law *law) {
    int rc, n = 0;
    const cJSON *e;
    if (!a) return DW_OK;
    if (!cJSON_IsArray(a))
        return dw_error_set(DW_EPARSE, "%s: field 'sources' must be an array", origin);
    if (cJSON_GetArraySize(a) < 2 || cJSON_GetArraySize(a) > LAW_MAX_SOURCES)
        return dw_error_set(DW_EPARSE, "%s: field 'sources' must list 2 to %d sources (got %d)",
                            origin, LAW_MAX_SOURCES, cJSON_GetArraySize(a));
    cJSON_ArrayForEach(e, a) {
        LawSource *s = &law->sources[n];
        char path[32];
        snprintf(path, sizeof path, "sources[%d].", n);
        if (!cJSON_IsObject(e))
            return dw_error_set(DW_EPARSE, "%s: field 'sources[%d]' must be an object", origin, n);
        s->se = s->lo = s->hi = s->loso_rmse = NAN;
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(e, "ci");
        if ((rc = get_string_(e, "name", origin, path, s->name, sizeof s->name)) ||
            (rc = get_int_(e, "rows", origin, path, 0, COUNT_MAX, &s->rows)) ||
            (rc = get_bool_(e, "shape", origin, path, &s->shape)) ||
            (rc = get_number_(e, "offset", origin, path, 1, &s->offset)) ||
            (rc = get_number_(e, "se", origin, path, 0, &s->se)) ||
            (rc = get_number_(e, "loso_rmse", origin, path, 0, &s->loso_rmse)) ||
            (rc = get_string_(e, "note", origin, path, s->note, sizeof s->note)))
            return rc;
        if (ci) {
            double pair[2];
            char field[24];
            snprintf(field, sizeof field, "sources[%d]", n);
            if ((rc = parse_pair_(ci, origin, field, "ci", pair))) return rc;
            s->lo = pair[0], s->hi = pair[1];
        }
        if (!s->name[0])
            return dw_error_set(DW_EPARSE, "%s: field '%sname' is missing", origin, path);
        for (int j = 0; j < n; j++)
            if (!strcmp(law->sources[j].name, s->name))
                return dw_error_set(DW_EPARSE, "%s: field '%sname': '%s' names two sources",
                                    origin, path, s->name);
        n++;
    }
    if (law->sources[0].offset != 0)
        return dw_error_set(DW_EPARSE, "%s: field 'sources[0].offset' must be 0 (the law's own "
                            "parameters are the first source's)", origin);
    law->nsources = n;
    return DW_OK;
}

int law_parse(const char *text, const char *origin, Law **out) {
    int rc;
    cJSON *root = NULL;
    Law *law = NULL;
    const cJSON *item;
    LawForm form;
    *out = NULL;
    if ((rc = parse_root_(text, origin, &root, &form))) goto out;
    if (!(law = law_alloc(&form))) {
        rc = dw_error_set(DW_ENOMEM, "%s: out of memory", origin);
        goto out;
    }
    if ((rc = get_string_(root, "name", origin, "", law->name, sizeof law->name)) ||
        (rc = get_string_(root, "description", origin, "", law->description,
                          sizeof law->description)) ||
        (rc = parse_params_(root, origin, law)) || (rc = parse_uncertainty_(root, origin, law)) ||
        (rc = parse_conventions_(cJSON_GetObjectItemCaseSensitive(root, "conventions"), origin,
                                 &law->conv)) ||
        (rc = parse_fit_info_(cJSON_GetObjectItemCaseSensitive(root, "fit"), origin,
                              &law->form, &law->fit)) ||
        (rc = parse_range_(cJSON_GetObjectItemCaseSensitive(root, "range"), origin,
                           &law->range)) ||
        (rc = parse_sources_(cJSON_GetObjectItemCaseSensitive(root, "sources"), origin, law)) ||
        (rc = law_check_domain(law, origin)))
        goto out;
    item = cJSON_GetObjectItemCaseSensitive(root, "provenance");
    if (item) {
        if (!cJSON_IsObject(item)) {
            rc = dw_error_set(DW_EPARSE, "%s: field 'provenance' must be an object", origin);
            goto out;
        }
        if (!(law->provenance_json = cJSON_PrintUnformatted(item))) {
            rc = dw_error_set(DW_ENOMEM, "%s: out of memory", origin);
            goto out;
        }
    }
    rc = DW_OK;
    *out = law;
    law = NULL;
out:
    law_free(law);
    cJSON_Delete(root);
    return rc;
}

// ----------------------------------------------------------------------------
// domains (domain.h): a law whose values mean nothing is refused on reading and writing

/* One parameter vector (the point or a draw): `where` is "" or "draws' row 3, '". */
static int check_vector_(const LawForm *f, const double *p, const char *origin,
                         const char *field, const char *where) {
    char range[48];
    for (int i = 0; i < f->np; i++)
        if (!law_form_in_domain(f, i, p[i], range, sizeof range))
            return dw_error_set(DW_EPARSE, "%s: field '%s%s%s' = %.10g is outside its domain %s "
                                "(the form means nothing there)", origin, field, where,
                                f->names[i], p[i], range);
    return DW_OK;
}

/* A spread (a standard error, an RMSE): >= 0, or NaN for unknown. */
static int check_spread_(double v, const char *origin, const char *field, const char *name) {
    if (!(v >= 0) && !isnan(v))
        return dw_error_set(DW_EPARSE, "%s: field '%s%s' = %.10g must be >= 0 (or null)", origin,
                            field, name, v);
    return DW_OK;
}

/* The uncertainty and the fit summary: standard errors, variances (the covariance's
 * diagonal), RMSEs and each source's se are spreads; R² is at most 1. */
static int check_uncertainty_(const Law *law, const char *origin) {
    const LawForm *f = &law->form;
    const LawFitInfo *fi = &law->fit;
    int rc;
    for (int i = 0; i < f->np; i++) {
        char cell[48];
        snprintf(cell, sizeof cell, "[%d][%d] (%s)", i, i, f->names[i]);
        if ((law->has_se && (rc = check_spread_(law->se[i], origin, "se.", f->names[i]))) ||
            (law->has_cov &&
             (rc = check_spread_(law->cov[(size_t)i * f->np + i], origin, "cov", cell))))
            return rc;
    }
    if ((rc = check_spread_(fi->rmse, origin, "fit.", "rmse")) ||
        (rc = check_spread_(fi->max_abs_err, origin, "fit.", "max_abs_err")) ||
        (rc = check_spread_(fi->cv_rmse, origin, "fit.", "cv_rmse")))
        return rc;
    if (fi->r2 > 1 || fi->r2_log > 1)
        return dw_error_set(DW_EPARSE, "%s: field 'fit.%s' = %.10g must be at most 1", origin,
                            fi->r2 > 1 ? "r2" : "r2_log", fi->r2 > 1 ? fi->r2 : fi->r2_log);
    for (int k = 0; k < law->nsources; k++) {
        char field[24];
        snprintf(field, sizeof field, "sources[%d].", k);
        if ((rc = check_spread_(law->sources[k].se, origin, field, "se")) ||
            (rc = check_spread_(law->sources[k].loso_rmse, origin, field, "loso_rmse")))
            return rc;
    }
    return DW_OK;
}

int law_check_domain(const Law *law, const char *origin) {
    const LawConventions *c = &law->conv;
    int rc;
    if ((rc = check_vector_(&law->form, law->p, origin, "params.", "")) ||
        (rc = check_uncertainty_(law, origin)))
        return rc;
    for (int d = 0; d < law->ndraws; d++) {
        char where[48];
        snprintf(where, sizeof where, "' row %d, '", d);
        if ((rc = check_vector_(&law->form, law->draws + (size_t)d * law->form.np, origin,
                                "draws", where)))
            return rc;
    }
    if (c->vocab < 1 || c->vocab > LAW_SIZE_MAX)
        return dw_error_set(DW_EPARSE, "%s: field 'conventions.vocab' = %d must be an integer "
                            "in 1 .. %d", origin, c->vocab, LAW_SIZE_MAX);
    if (c->seq_len < 1 || c->seq_len > LAW_SIZE_MAX)
        return dw_error_set(DW_EPARSE, "%s: field 'conventions.seq_len' = %d must be an "
                            "integer in 1 .. %d", origin, c->seq_len, LAW_SIZE_MAX);
    if (!(c->mlp_ratio > 0 && c->mlp_ratio <= LAW_MLP_RATIO_MAX))
        return dw_error_set(DW_EPARSE, "%s: field 'conventions.mlp_ratio' = %g must lie in "
                            "(0, %g] (MLP inner width over the model width)", origin,
                            c->mlp_ratio, LAW_MLP_RATIO_MAX);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// presets and loading

const char *const *law_preset_names(void) {
    static const char *names[64];
    static int done;
    if (!done) {
        int n = 0;
        for (const DwEmbedded *e = dw_law_presets; e->name && n < 63; e++) names[n++] = e->name;
        names[n] = NULL;
        done = 1;
    }
    return names;
}

const char *law_preset_text(const char *name) {
    for (const DwEmbedded *e = dw_law_presets; e->name; e++)
        if (strcmp(e->name, name) == 0) return e->text;
    return NULL;
}

const char *law_origin_text(const char *name_or_path, char *buf, size_t n) {
    snprintf(buf, n, "%s%s", law_preset_text(name_or_path) ? "preset " : "", name_or_path);
    return buf;
}

int law_load(const char *name_or_path, Law **out) {
    const char *text = law_preset_text(name_or_path);
    *out = NULL;
    if (text) {
        char origin[128];
        return law_parse(text, law_origin_text(name_or_path, origin, sizeof origin), out);
    }
    /* not a preset: a file. A bare word that is neither gets a helpful message. */
    if (!strchr(name_or_path, '/') && !strchr(name_or_path, '.')) {
        char list[512] = "";
        for (const char *const *p = law_preset_names(); *p; p++) {
            strncat(list, list[0] ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, *p, sizeof list - strlen(list) - 1);
        }
        return dw_error_set(DW_ENOTFOUND, "unknown law '%s': not a preset (%s) nor a file",
                            name_or_path, list);
    }
    char *buf = dw_read_file(name_or_path, NULL);
    if (!buf) return DW_EIO;
    int rc = law_parse(buf, name_or_path, out);
    free(buf);
    return rc;
}

// ----------------------------------------------------------------------------
// writing

/* A number that reads back to the identical double: the shortest of %.15g..%.17g that
 * round-trips (cJSON's own printer stops at 15 digits when the value is within DBL_EPSILON,
 * which loses the last bit of fitted parameters). NaN/inf become null. */
static cJSON *number_or_null_(double v) {
    char buf[40];
    if (!isfinite(v)) return cJSON_CreateNull();
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return cJSON_CreateRaw(buf);
}

static cJSON *number_array_(const double *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, number_or_null_(v[i]));
    return a;
}

/* The parameters in `bits` by name. */
static cJSON *name_list_(const LawForm *f, unsigned bits) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < f->np; i++)
        if (bits >> i & 1) cJSON_AddItemToArray(a, cJSON_CreateString(f->names[i]));
    return a;
}

/* "degenerate" under "fit", only when the fit flagged something. */
static void add_degenerate_(cJSON *fit, const Law *law) {
    const LawFitInfo *fi = &law->fit;
    if (!fi->on_bound && !fi->unidentified && !fi->nt_confounded) return;
    cJSON *d = cJSON_AddObjectToObject(fit, "degenerate");
    if (!d) return;
    if (fi->on_bound) cJSON_AddItemToObject(d, "on_bound", name_list_(&law->form, fi->on_bound));
    if (fi->unidentified)
        cJSON_AddItemToObject(d, "unidentified", name_list_(&law->form, fi->unidentified));
    if (fi->nt_confounded) cJSON_AddTrueToObject(d, "tokens_proportional_to_params");
}

/* "range": {"params": [lo, hi], ...}, quantities with an unknown range left out. */
static void add_range_(cJSON *root, const LawRange *r) {
    if (!r->known) return;
    cJSON *o = cJSON_AddObjectToObject(root, "range");
    for (int i = 0; o && i < LAW_RANGE_COUNT; i++) {
        if (!isfinite(r->lo[i]) || !isfinite(r->hi[i])) continue;
        double pair[2] = {r->lo[i], r->hi[i]};
        cJSON_AddItemToObject(o, law_range_key(i), number_array_(pair, 2));
    }
}

int law_to_json(const Law *law, char **text) {
    const LawForm *f = &law->form;
    char form[96];
    cJSON *root = cJSON_CreateObject(), *o, *a;
    *text = NULL;
    if (!root) return dw_error_set(DW_ENOMEM, "out of memory");
    law_form_text(f, form, sizeof form);
    cJSON_AddNumberToObject(root, "dwplan_law", 1);
    if (law->name[0]) cJSON_AddStringToObject(root, "name", law->name);
    if (law->description[0]) cJSON_AddStringToObject(root, "description", law->description);
    cJSON_AddStringToObject(root, "form", form);
    o = cJSON_AddObjectToObject(root, "params");
    for (int i = 0; i < f->np; i++) cJSON_AddItemToObject(o, f->names[i], number_or_null_(law->p[i]));
    a = cJSON_AddArrayToObject(root, "fixed");
    for (int i = 0; i < f->np; i++)
        if (law->fixed >> i & 1) cJSON_AddItemToArray(a, cJSON_CreateString(f->names[i]));
    o = cJSON_AddObjectToObject(root, "ci");
    for (int i = 0; i < f->np; i++)
        if (law->has_ci[i]) {
            cJSON *pair = number_array_(law->ci[i], 2);
            cJSON_AddItemToObject(o, f->names[i], pair);
        }
    if (law->has_se) {
        o = cJSON_AddObjectToObject(root, "se");
        for (int i = 0; i < f->np; i++) cJSON_AddItemToObject(o, f->names[i], number_or_null_(law->se[i]));
    }
    if (law->has_cov) {
        a = cJSON_AddArrayToObject(root, "cov");
        for (int i = 0; i < f->np; i++)
            cJSON_AddItemToArray(a, number_array_(law->cov + (size_t)i * f->np, f->np));
    }
    if (law->ndraws > 0) {
        a = cJSON_AddArrayToObject(root, "draws");
        for (int d = 0; d < law->ndraws; d++)
            cJSON_AddItemToArray(a, number_array_(law->draws + (size_t)d * f->np, f->np));
    }
    o = cJSON_AddObjectToObject(root, "conventions");
    cJSON_AddStringToObject(o, "params", params_conv_names_[law->conv.params]);
    cJSON_AddStringToObject(o, "flops", flops_conv_names_[law->conv.flops]);
    cJSON_AddNumberToObject(o, "vocab", law->conv.vocab);
    cJSON_AddNumberToObject(o, "seq_len", law->conv.seq_len);
    cJSON_AddItemToObject(o, "mlp_ratio", number_or_null_(law->conv.mlp_ratio));
    cJSON_AddBoolToObject(o, "swiglu", law->conv.swiglu);
    cJSON_AddBoolToObject(o, "tied", law->conv.tied);
    cJSON_AddBoolToObject(o, "biases", law->conv.biases);
    cJSON_AddStringToObject(o, "norm", law->conv.rmsnorm ? "rmsnorm" : "layernorm");
    if (law->conv.note[0]) cJSON_AddStringToObject(o, "note", law->conv.note);
    o = cJSON_AddObjectToObject(root, "fit");
    cJSON_AddNumberToObject(o, "n", law->fit.n);
    cJSON_AddItemToObject(o, "objective", number_or_null_(law->fit.objective));
    cJSON_AddStringToObject(o, "objective_kind", law->fit.objective_kind);
    cJSON_AddItemToObject(o, "r2", number_or_null_(law->fit.r2));
    cJSON_AddItemToObject(o, "r2_log", number_or_null_(law->fit.r2_log));
    cJSON_AddItemToObject(o, "rmse", number_or_null_(law->fit.rmse));
    cJSON_AddItemToObject(o, "max_abs_err", number_or_null_(law->fit.max_abs_err));
    cJSON_AddItemToObject(o, "aic", number_or_null_(law->fit.aic));
    cJSON_AddItemToObject(o, "bic", number_or_null_(law->fit.bic));
    cJSON_AddItemToObject(o, "cv_rmse", number_or_null_(law->fit.cv_rmse));
    cJSON_AddStringToObject(o, "status", law->fit.status);
    add_degenerate_(o, law);
    add_range_(root, &law->range);
    if (law->nsources > 1) {
        cJSON *sa = cJSON_AddArrayToObject(root, "sources");
        for (int k = 0; k < law->nsources; k++) {
            const LawSource *src = &law->sources[k];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", src->name);
            cJSON_AddNumberToObject(e, "rows", src->rows);
            cJSON_AddBoolToObject(e, "shape", src->shape);
            cJSON_AddItemToObject(e, "offset", number_or_null_(src->offset));
            cJSON_AddItemToObject(e, "se", number_or_null_(src->se));
            if (isfinite(src->lo) && isfinite(src->hi)) {
                cJSON *ci = cJSON_AddArrayToObject(e, "ci");
                cJSON_AddItemToArray(ci, number_or_null_(src->lo));
                cJSON_AddItemToArray(ci, number_or_null_(src->hi));
            }
            if (isfinite(src->loso_rmse))
                cJSON_AddItemToObject(e, "loso_rmse", number_or_null_(src->loso_rmse));
            if (src->note[0]) cJSON_AddStringToObject(e, "note", src->note);
            cJSON_AddItemToArray(sa, e);
        }
    }
    if (law->provenance_json) {
        cJSON *p = cJSON_Parse(law->provenance_json);
        if (p) cJSON_AddItemToObject(root, "provenance", p);
    }
    *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!*text) return dw_error_set(DW_ENOMEM, "out of memory");
    return DW_OK;
}

int law_write(const Law *law, const char *path) {
    char *text = NULL;
    int rc = law_check_domain(law, path); /* what law_parse would refuse is not written */
    if (rc) return dw_error_prefix(DW_EDATA, "not written");
    if ((rc = law_to_json(law, &text))) return rc;
    size_t n = strlen(text);
    char *withnl = realloc(text, n + 2);
    if (!withnl) {
        free(text);
        return dw_error_set(DW_ENOMEM, "out of memory");
    }
    withnl[n] = '\n';
    withnl[n + 1] = '\0';
    rc = dw_write_file_atomic(path, withnl, n + 1);
    free(withnl);
    return rc;
}

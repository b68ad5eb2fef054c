/* datasets/trainer.c — a Trainer's trainer_state.json as a loss curve (trainer.h). cJSON
 * parses the file; a small scanner over the same text finds the line where each entry of
 * log_history starts, so that a message can name it. */
#include "datasets/trainer.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/dw.h"

void ds_trainer_free(DsTrainerLog *log) {
    if (!log) return;
    free(log->step), free(log->tokens), free(log->loss), free(log->epoch), free(log->line);
    memset(log, 0, sizeof *log);
}

// ----------------------------------------------------------------------------
// the line of each log_history entry

/* Skips the string that starts at s[*i] == '"'; *i ends past its closing quote. */
static void skip_string_(const char *s, size_t n, size_t *i, int *line) {
    for ((*i)++; *i < n && s[*i] != '"'; (*i)++) {
        if (s[*i] == '\\') (*i)++;
        else if (s[*i] == '\n') (*line)++;
    }
    (*i)++;
}

/* 1 when the raw JSON string text s[0..n) (between its quotes) decodes to `want`: escapes
 * such as \u005f are decoded (cJSON decodes them when it finds the key); a NUL, raw or
 * escaped, never matches (cJSON's C-string key would stop there). */
static int key_is_(const char *s, size_t n, const char *want) {
    size_t i = 0;
    for (; *want; want++) {
        if (i >= n) return 0;
        unsigned c = (unsigned char)s[i++];
        if (c == '\\' && i < n) {
            char e = s[i++];
            if (e == 'u') {
                if (i + 4 > n) return 0;
                char hex[5] = {s[i], s[i + 1], s[i + 2], s[i + 3], 0};
                char *end;
                c = (unsigned)strtoul(hex, &end, 16);
                if (*end) return 0;
                i += 4;
            } else {
                c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b'
                    : e == 'f' ? '\f' : (unsigned char)e;
            }
        }
        if (c == 0 || c != (unsigned char)*want) return 0;
    }
    return i == n;
}

/* lines[k] = line of entry k of the root's "log_history" array (at most max entries; the
 * rest 0). The text is valid JSON (cJSON read it first). */
static void entry_lines_(const char *s, size_t n, int *lines, int max) {
    int depth = 0, line = 1, in_log = 0, k = 0, expect = 0; /* expect: an entry starts next */
    size_t key_at = 0, key_len = 0;
    for (size_t i = 0; i < n;) {
        char c = s[i];
        int space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (expect && !space && c != ']') { /* any value: an object or not (an error later) */
            if (k < max) lines[k++] = line;
            expect = 0;
        }
        if (c == '"') {
            size_t a = i + 1;
            skip_string_(s, n, &i, &line);
            if (depth == 1) key_at = a, key_len = i - 1 - a;
            continue;
        }
        if (c == '\n') line++;
        if (c == '{' || c == '[') {
            if (depth == 1 && c == '[' && key_len && key_is_(s + key_at, key_len, "log_history"))
                in_log = 1, expect = 1;
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
            expect = 0;
            if (depth == 1) in_log = 0;
        } else if (c == ',' && depth == 1) {
            key_len = 0;
        } else if (c == ',' && depth == 2 && in_log) {
            expect = 1;
        }
        i++;
    }
}

// ----------------------------------------------------------------------------
// parsing

/* A number field of entry k: *v (NaN when absent or null); DW_EPARSE for another type or a
 * value outside [lo, hi] (NaN lo: no range). */
static int field_(const cJSON *e, const char *key, double lo, double hi, const char *path,
                  int line, int k, double *v) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, key);
    *v = NAN;
    if (!f || cJSON_IsNull(f)) return DW_OK;
    if (!cJSON_IsNumber(f))
        return dw_error_set(DW_EPARSE, "%s:%d: log_history[%d].%s: expected a number, found %s",
                            path, line, k, key,
                            cJSON_IsString(f) ? "a string" : cJSON_IsBool(f) ? "a boolean" :
                            cJSON_IsArray(f) ? "an array" : "an object");
    *v = f->valuedouble;
    if (!isfinite(*v) || *v < lo || *v > hi)
        return dw_error_set(DW_EPARSE, "%s:%d: log_history[%d].%s: %.17g is out of range "
                            "(%g to %g)", path, line, k, key, *v, lo, hi);
    return DW_OK;
}

/* A root-level number, NaN when absent or not a number (informative only). */
static double root_num_(const cJSON *root, const char *key) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, key);
    return cJSON_IsNumber(f) && isfinite(f->valuedouble) ? f->valuedouble : NAN;
}

static int alloc_(DsTrainerLog *o, int n) {
    size_t m = (size_t)(n > 0 ? n : 1);
    o->step = malloc(m * sizeof(double)), o->tokens = malloc(m * sizeof(double));
    o->loss = malloc(m * sizeof(double)), o->epoch = malloc(m * sizeof(double));
    o->line = malloc(m * sizeof(int));
    if (o->step && o->tokens && o->loss && o->epoch && o->line) return DW_OK;
    return dw_error_set(DW_ENOMEM, "out of memory for %d log entries", n);
}

#define MAX_STEP 9007199254740992.0 /* 2^53: steps and token counts are integers */

/* One point from entry k (its loss key present): appended, or replacing the last point when
 * it logged the same step. */
static int point_(DsTrainerLog *o, const cJSON *e, const char *lkey, const char *path, int line,
                  int k, double tps) {
    double step, loss, tokens, epoch;
    int rc;
    if ((rc = field_(e, "step", 0, MAX_STEP, path, line, k, &step)) ||
        (rc = field_(e, lkey, 0, 1e6, path, line, k, &loss)) ||
        (rc = field_(e, "num_input_tokens_seen", 0, MAX_STEP * 1e6, path, line, k, &tokens)) ||
        (rc = field_(e, "epoch", 0, 1e12, path, line, k, &epoch)))
        return rc;
    if (isnan(step))
        return dw_error_set(DW_EPARSE, "%s:%d: log_history[%d]: no \"step\"", path, line, k);
    if (!(loss > 0))
        return dw_error_set(DW_EPARSE, "%s:%d: log_history[%d].%s: %g is not a positive loss",
                            path, line, k, lkey, loss);
    if (step == 0) { /* nothing trained yet */
        o->nstep0++;
        return DW_OK;
    }
    if (isnan(tokens)) {
        if (!(tps > 0))
            return dw_error_set(DW_EPARSE, "%s:%d: log_history[%d]: no num_input_tokens_seen "
                                "(Trainer logs it with include_num_input_tokens_seen=True), so "
                                "the tokens behind this loss are unknown: give --tokens-per-step "
                                "N (tokens per optimizer step: per-device batch x gradient "
                                "accumulation x processes x sequence length)", path, line, k);
        tokens = step * tps;
        o->tokens_logged = 0;
    }
    if (!(tokens > 0))
        return dw_error_set(DW_EPARSE, "%s:%d: log_history[%d].num_input_tokens_seen: %g at "
                            "step %.0f", path, line, k, tokens, step);
    int i = o->n;
    if (i > 0 && o->step[i - 1] == step) i--, o->nrepeated++; /* the later entry wins */
    else if (i > 0 && step < o->step[i - 1])
        return dw_error_set(DW_EPARSE, "%s:%d: log_history[%d].step: %.0f after step %.0f "
                            "(the log goes back: two trainings in one file?)", path, line, k,
                            step, o->step[i - 1]);
    o->step[i] = step, o->loss[i] = loss, o->tokens[i] = tokens, o->epoch[i] = epoch;
    o->line[i] = line;
    o->n = i + 1;
    return DW_OK;
}

int ds_trainer_parse(const char *text, size_t len, const char *path, double tokens_per_step,
                     DsTrainerLog *out) {
    int rc = DW_EPARSE, *lines = NULL;
    cJSON *root = NULL;
    const char *p = path ? path : "trainer_state.json";
    memset(out, 0, sizeof *out);
    if (!text || len > DS_TRAINER_MAX_BYTES) {
        dw_error_set(rc, "%s: %zu bytes; a trainer_state.json of at most %d is read", p, len,
                     DS_TRAINER_MAX_BYTES);
        goto out;
    }
    const char *nul = memchr(text, '\0', len); /* invalid JSON; cJSON's keys would stop there */
    if (nul) {
        int line = 1;
        for (const char *q = text; q < nul; q++) line += *q == '\n';
        dw_error_set(rc, "%s:%d: NUL byte in the file (not a JSON text)", p, line);
        goto out;
    }
    const char *end = NULL;
    if (!(root = cJSON_ParseWithLengthOpts(text, len, &end, 0))) {
        dw_error_set(rc, "%s: not valid JSON", p);
        goto out;
    }
    while (end && end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end && end < text + len) { /* cJSON stops after the first value */
        int line = 1;
        for (const char *q = text; q < end; q++) line += *q == '\n';
        dw_error_set(rc, "%s:%d: text after the JSON object", p, line);
        goto out;
    }
    const cJSON *log = cJSON_GetObjectItemCaseSensitive(root, "log_history");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(log)) {
        dw_error_set(rc, "%s: no \"log_history\" list: not a Trainer's trainer_state.json", p);
        goto out;
    }
    int n = cJSON_GetArraySize(log);
    if (n > DS_TRAINER_MAX_ENTRIES) {
        dw_error_set(rc, "%s: log_history has %d entries; at most %d are read", p, n,
                     DS_TRAINER_MAX_ENTRIES);
        goto out;
    }
    out->nentries = n;
    out->global_step = root_num_(root, "global_step");
    out->max_steps = root_num_(root, "max_steps");
    out->train_batch_size = root_num_(root, "train_batch_size");
    if (!(lines = calloc((size_t)(n > 0 ? n : 1), sizeof *lines)) || alloc_(out, n)) {
        rc = dw_error_set(DW_ENOMEM, "out of memory for %d log entries", n);
        goto out;
    }
    entry_lines_(text, len, lines, n);
    out->eval = 0;
    for (const cJSON *e = log->child; e && !out->eval; e = e->next)
        out->eval = cJSON_GetObjectItemCaseSensitive(e, "eval_loss") != NULL;
    const char *lkey = out->eval ? "eval_loss" : "loss";
    out->tokens_logged = 1;
    int k = 0;
    for (const cJSON *e = log->child; e; e = e->next, k++) {
        if (!cJSON_IsObject(e)) {
            rc = dw_error_set(DW_EPARSE, "%s:%d: log_history[%d]: expected an object", p,
                              lines[k], k);
            goto out;
        }
        /* an evaluation when reading eval_loss; a training log (not an evaluation) else */
        if (!cJSON_GetObjectItemCaseSensitive(e, lkey)) continue;
        if (!out->eval && cJSON_GetObjectItemCaseSensitive(e, "eval_loss")) continue;
        if ((rc = point_(out, e, lkey, p, lines[k], k, tokens_per_step))) goto out;
    }
    rc = DW_EPARSE;
    if (out->n == 0) {
        dw_error_set(rc, "%s: log_history holds no loss after step 0 (neither \"eval_loss\" "
                     "nor \"loss\" entries; %d entries)", p, n);
        goto out;
    }
    rc = DW_OK;
out:
    if (rc) ds_trainer_free(out);
    free(lines);
    cJSON_Delete(root);
    return rc;
}

int ds_trainer_read(const char *path, double tokens_per_step, DsTrainerLog *out) {
    struct stat st;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > DS_TRAINER_MAX_BYTES)
        return dw_error_set(DW_EPARSE, "%s: %lld bytes; a trainer_state.json of at most %d is "
                            "read", path, (long long)st.st_size, DS_TRAINER_MAX_BYTES);
    char *text = dw_read_file(path, &len);
    if (!text) return DW_EIO; /* message set */
    int rc = ds_trainer_parse(text, len, path, tokens_per_step, out);
    free(text);
    return rc;
}

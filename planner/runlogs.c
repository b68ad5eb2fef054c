/* planner/runlogs.c — Trainer output directories as a run table (runlogs.h). */
#define _POSIX_C_SOURCE 200809L
#include "planner/runlogs.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/dw.h"
#include "datasets/trainer.h"
#include "planner/hfconfig.h"

int plan_path_is_dir(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file_(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* N of a "checkpoint-N" name, or -1. */
static long checkpoint_n_(const char *name) {
    if (strncmp(name, "checkpoint-", 11) || !name[11]) return -1;
    char *end;
    long v = strtol(name + 11, &end, 10);
    return *end || v < 0 ? -1 : v;
}

/* The run's trainer_state.json and config.json into state/config (n bytes each): the
 * directory's own, else those of its highest checkpoint-N. 1 when found, 0 otherwise. */
static int run_files_(const char *dir, char *state, char *config, size_t n) {
    snprintf(state, n, "%s/trainer_state.json", dir);
    snprintf(config, n, "%s/config.json", dir);
    if (is_file_(state)) return 1;
    DIR *d = opendir(dir);
    long best = -1;
    char name[256] = "";
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d));) {
        long v = checkpoint_n_(e->d_name);
        if (v > best && strlen(e->d_name) < sizeof name) {
            char p[DS_RUNS_PATH_MAX];
            snprintf(p, sizeof p, "%s/%s/trainer_state.json", dir, e->d_name);
            if (is_file_(p)) best = v, snprintf(name, sizeof name, "%s", e->d_name);
        }
    }
    closedir(d);
    if (best < 0) return 0;
    snprintf(state, n, "%s/%s/trainer_state.json", dir, name);
    if (!is_file_(config)) snprintf(config, n, "%s/%s/config.json", dir, name);
    return 1;
}

int plan_trainer_is_run(const char *dir) {
    char s[DS_RUNS_PATH_MAX], c[DS_RUNS_PATH_MAX];
    return plan_path_is_dir(dir) && run_files_(dir, s, c, sizeof s);
}

// ----------------------------------------------------------------------------
// the list of runs

typedef struct {
    char **dir;
    int n, cap;
} DirList;

static void dirs_free_(DirList *l) {
    for (int i = 0; i < l->n; i++) free(l->dir[i]);
    free(l->dir);
}

static int dirs_add_(DirList *l, const char *dir) {
    if (l->n >= PLAN_TRAINER_MAX_RUNS)
        return dw_error_set(DW_EPARSE, "%s: more than %d Trainer runs", dir, PLAN_TRAINER_MAX_RUNS);
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **p = realloc(l->dir, sizeof *p * (size_t)cap);
        if (!p) return dw_error_set(DW_ENOMEM, "out of memory");
        l->dir = p, l->cap = cap;
    }
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--; /* "runs/a/" and "runs/a" are one run */
    if (!(l->dir[l->n] = malloc(len + 1))) return dw_error_set(DW_ENOMEM, "out of memory");
    memcpy(l->dir[l->n], dir, len);
    l->dir[l->n++][len] = '\0';
    return DW_OK;
}

static int cmp_str_(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir is a run, or a directory of runs (its run subdirectories in name order). */
static int expand_(DirList *l, const char *dir) {
    int rc = DW_OK;
    if (plan_trainer_is_run(dir)) return dirs_add_(l, dir);
    DIR *d = opendir(dir);
    if (!d) return dw_error_set(DW_EIO, "%s: cannot open the directory", dir);
    DirList sub = {0};
    for (struct dirent *e; rc == DW_OK && (e = readdir(d));) {
        char p[DS_RUNS_PATH_MAX];
        if (e->d_name[0] == '.') continue;
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p) continue;
        if (plan_trainer_is_run(p)) rc = dirs_add_(&sub, p);
    }
    closedir(d);
    if (rc == DW_OK && sub.n == 0)
        rc = dw_error_set(DW_EPARSE, "%s: no trainer_state.json in it, in a checkpoint-N/ in "
                          "it, nor in its subdirectories: not a Trainer run directory", dir);
    if (rc == DW_OK) qsort(sub.dir, (size_t)sub.n, sizeof *sub.dir, cmp_str_);
    for (int i = 0; rc == DW_OK && i < sub.n; i++) rc = dirs_add_(l, sub.dir[i]);
    dirs_free_(&sub);
    return rc;
}

// ----------------------------------------------------------------------------
// the table

static int same_block_(const PlanShape *a, const PlanShape *b) {
    double ra = a->ffn_dim > 0 ? a->ffn_dim / a->width : a->mlp_ratio;
    double rb = b->ffn_dim > 0 ? b->ffn_dim / b->width : b->mlp_ratio;
    return a->vocab == b->vocab && fabs(ra - rb) < 1e-9 && a->swiglu == b->swiglu &&
           a->tied == b->tied && a->biases == b->biases && a->rmsnorm == b->rmsnorm;
}

/* Run `dir`'s points appended to t. */
static int run_rows_(DsTable *t, const char *dir, const DsRunsOptions *o, PlanTrainerInfo *in,
                     int first) {
    char state[DS_RUNS_PATH_MAX], config[DS_RUNS_PATH_MAX], model[128], d[32], w[32];
    DsTrainerLog log;
    PlanShape s;
    struct stat st;
    int rc;
    if (!run_files_(dir, state, config, sizeof state))
        return dw_error_set(DW_EIO, "%s: no trainer_state.json", dir);
    if (stat(config, &st) != 0 || !S_ISREG(st.st_mode))
        return dw_error_set(DW_EPARSE, "%s: no config.json beside trainer_state.json (the "
                            "model's shape: num_hidden_layers or n_layer, hidden_size or "
                            "n_embd)", dir);
    if (st.st_size > PLAN_TRAINER_CONFIG_MAX_BYTES)
        return dw_error_set(DW_EPARSE, "%s: %lld bytes; a config.json of at most %d is read",
                            config, (long long)st.st_size, PLAN_TRAINER_CONFIG_MAX_BYTES);
    if ((rc = plan_hfconfig_read(config, &s, model, sizeof model))) return rc;
    if ((rc = ds_trainer_read(state, o ? o->tokens_per_step : 0, &log))) return rc;
    if (first) {
        in->shape = s, in->same_block = 1, in->eval = log.eval, in->tokens_logged = 1;
        snprintf(in->model, sizeof in->model, "%s", model);
        snprintf(in->first, sizeof in->first, "%s", state);
    } else if (log.eval != in->eval) {
        rc = dw_error_set(DW_EPARSE, "%s: its log holds %s, the first run's (%s) %s: fit one "
                          "kind of loss", state, log.eval ? "evaluations (eval_loss)" :
                          "no evaluation, only the training loss", in->first,
                          in->eval ? "evaluations (eval_loss)" : "the training loss");
        goto out;
    }
    in->same_block &= same_block_(&in->shape, &s);
    in->tokens_logged &= log.tokens_logged;
    in->npoints += log.n, in->nstep0 += log.nstep0, in->nrepeated += log.nrepeated;
    snprintf(d, sizeof d, "%.17g", s.depth);
    snprintf(w, sizeof w, "%.17g", s.width);
    for (int i = 0; i < log.n; i++) {
        char st_[32], ep[32], tk[32], ls[32];
        snprintf(st_, sizeof st_, "%.17g", log.step[i]);
        snprintf(ep, sizeof ep, "%.17g", log.epoch[i]);
        snprintf(tk, sizeof tk, "%.17g", log.tokens[i]);
        snprintf(ls, sizeof ls, "%.17g", log.loss[i]);
        const char *cells[7] = {dir, st_, isnan(log.epoch[i]) ? NULL : ep, tk, ls, d, w};
        if ((rc = ds_table_add_row(t, log.line[i], cells))) goto out;
    }
out:
    ds_trainer_free(&log);
    return rc;
}

int plan_trainer_load(const char *const *dirs, int ndirs, const DsRunsOptions *o, DsRuns **out,
                      PlanTrainerInfo *info) {
    DirList l = {0};
    PlanTrainerInfo in;
    DsTable *t = NULL;
    char name[DS_RUNS_PATH_MAX];
    int rc = DW_OK;
    memset(&in, 0, sizeof in);
    *out = NULL;
    for (int k = 0; rc == DW_OK && k < ndirs; k++) rc = expand_(&l, dirs[k]);
    if (rc) goto out;
    in.nruns = l.n;
    for (int i = 0; i < l.n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(l.dir[i], l.dir[j])) {
                rc = dw_error_set(DW_EPARSE, "%s: the same run given twice", l.dir[i]);
                goto out;
            }
    if (ndirs == 1) snprintf(name, sizeof name, "%s", dirs[0]);
    else snprintf(name, sizeof name, "%d Trainer run directories", ndirs);
    /* the loss column is named after the key read, so "columns:" says which loss it is;
     * the first run decides, and run_rows_ refuses a run that reads the other */
    char state[DS_RUNS_PATH_MAX], config[DS_RUNS_PATH_MAX];
    DsTrainerLog probe;
    if (!run_files_(l.dir[0], state, config, sizeof state)) {
        rc = dw_error_set(DW_EIO, "%s: no trainer_state.json", l.dir[0]);
        goto out;
    }
    if ((rc = ds_trainer_read(state, o ? o->tokens_per_step : 0, &probe))) goto out;
    int eval = probe.eval;
    ds_trainer_free(&probe);
    const char *cols[7] = {"run", "step", "epoch", "tokens", eval ? "eval_loss" : "loss",
                           "depth", "width"};
    if (!(t = ds_table_new(name, 7, cols))) {
        rc = DW_ENOMEM;
        goto out;
    }
    for (int i = 0; rc == DW_OK && i < l.n; i++) rc = run_rows_(t, l.dir[i], o, &in, i == 0);
    if (rc) goto out;
    DsRunsOptions lo = o ? *o : (DsRunsOptions){0};
    lo.tokens_per_step = 0; /* the tokens column already holds them */
    lo.curves = 0;
    rc = ds_runs_load_table(t, &lo, out);
    t = NULL;
    if (rc == DW_OK) snprintf((*out)->run_by, sizeof (*out)->run_by, "Trainer run directories");
out:
    ds_table_free(t);
    dirs_free_(&l);
    if (info) *info = in;
    return rc;
}

void plan_trainer_conventions(const PlanTrainerInfo *info, unsigned keep, LawConventions *conv,
                              char *note, size_t n) {
    const PlanShape *s = &info->shape;
    if (n) note[0] = '\0';
    if (!info->same_block || info->nruns < 1) return;
    if (!(keep & 1)) conv->vocab = s->vocab;
    if (!(keep & 2)) conv->mlp_ratio = s->ffn_dim > 0 ? s->ffn_dim / s->width : s->mlp_ratio;
    if (!(keep & 4)) conv->swiglu = s->swiglu;
    if (!(keep & 8)) conv->tied = s->tied;
    if (!(keep & 16)) conv->biases = s->biases;
    if (!(keep & 32)) conv->rmsnorm = s->rmsnorm;
    snprintf(note, n, "from config.json (%.60s): vocab %d, MLP %.4gx %s, %s, %s, %s", info->model,
             conv->vocab, conv->mlp_ratio, conv->swiglu ? "SwiGLU" : "GELU",
             conv->rmsnorm ? "RMSNorm" : "LayerNorm", conv->biases ? "biases" : "no biases",
             conv->tied ? "tied embeddings" : "untied embeddings");
}

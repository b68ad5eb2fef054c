/* datasets/table_map.c — column resolution for DsTable (table.h "column mapping"): the
 * standard aliases of the canonical fields (DESIGN §3 "CSV import") and explicit --map
 * mappings "field=column,...". Repeated fields in a mapping are found through a hashed index
 * (as table.c's column names are), and a mapping has at most DS_TABLE_MAX_COLS entries, so
 * the check is linear in the mapping's length.
 */
#include "datasets/table.h"

#include "common/dw.h"
#include "datasets/table_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// ----------------------------------------------------------------------------
// column mapping

static const char *const al_depth_[] = {"depth",   "n_layers",          "num_layers",
                                        "n_layer", "num_hidden_layers", "layers",
                                        NULL};
static const char *const al_width_[] = {"width", "d_model", "hidden_size", "n_embd", NULL};
static const char *const al_params_[] = {"params",     "N",          "params_N",
                                         "n_params",   "num_params", "parameters",
                                         "params_active_precise", "model/num_parameters",
                                         NULL};
static const char *const al_tokens_[] = {"tokens",       "T",
                                         "tokens_D",     "D_tokens",
                                         "n_tokens",     "train_tokens",
                                         "tokens_seen",  "num_input_tokens_seen",
                                         "train/num_input_tokens_seen", NULL};
/* held-out loss first: run records carry both val_loss and the final train loss, and a W&B
 * history of a Hugging Face run both eval/loss and train/loss */
static const char *const al_loss_[] = {"val_loss",        "eval_loss",   "eval/loss",
                                       "val/loss",        "validation/loss", "valid/loss",
                                       "validation_loss", "loss",        "train/loss",
                                       "train_loss",      "L",           NULL};
static const char *const al_flops_[] = {"flops", "C", "flops_C", "flops_6ND", "compute", NULL};
/* a run's identity: an id first (unique by construction), then names (W&B's "Name" may
 * repeat across runs; rows of one name but different shapes are still different runs) */
static const char *const al_run_[] = {"run_id", "run", "run_name", "Name", "name", "id", NULL};
/* the optimizer step (a Trainer's global_step, as W&B's callback logs it); never W&B's own
 * _step, which counts log calls */
static const char *const al_step_[] = {"step", "global_step", "train/global_step", NULL};

static const char *const fields_[] = {DS_FIELD_DEPTH, DS_FIELD_WIDTH, DS_FIELD_PARAMS,
                                      DS_FIELD_TOKENS, DS_FIELD_LOSS, DS_FIELD_FLOPS,
                                      DS_FIELD_RUN, DS_FIELD_STEP, NULL};

const char *const *ds_fields(void) { return fields_; }

const char *const *ds_aliases(const char *field) {
    static const char *const *const lists[] = {al_depth_,  al_width_, al_params_, al_tokens_,
                                               al_loss_,   al_flops_, al_run_,   al_step_};
    if (!field) return NULL;
    for (int i = 0; fields_[i]; i++)
        if (strcmp(fields_[i], field) == 0) return lists[i];
    return NULL;
}

typedef struct {
    const char *key, *val;
    size_t klen, vlen;
} MapEntry;

int ds_table_resolve(const DsTable *t, const char *field, const char *const *aliases,
                     const char *maps, int *col) {
    int rc = DW_EINVAL;
    MapEntry *ent = NULL;
    int *slot = NULL; /* (DS_TABLE_SLOTS_) index of ent by key, as the builder's name index */
    size_t nent = 0, cap = 0;
    const MapEntry *mine = NULL;
    char *target = NULL, cl[600];
    if (col) *col = -1;
    if (!t || !field || !col) return dw_error_set(DW_EINVAL, "ds_table_resolve: NULL argument");
    for (const char *p = maps; p && *p;) {
        const char *e = strchr(p, ',');
        if (!e) e = p + strlen(p);
        const char *a = p, *z = e;
        p = *e ? e + 1 : e;
        ds_table_trim_(&a, &z);
        if (a == z) continue; /* "a=b,,c=d" or a trailing comma */
        const char *eq = memchr(a, '=', (size_t)(z - a));
        MapEntry m = {a, eq ? eq + 1 : z, eq ? (size_t)(eq - a) : 0, 0};
        if (eq) {
            const char *ka = a, *kz = eq, *va = eq + 1, *vz = z;
            ds_table_trim_(&ka, &kz);
            ds_table_trim_(&va, &vz);
            m = (MapEntry){ka, va, (size_t)(kz - ka), (size_t)(vz - va)};
        }
        if (!eq || !m.klen || !m.vlen || memchr(m.val, '=', m.vlen)) {
            dw_error_set(rc, "--map '%.*s': expected field=column (e.g. loss=val_loss)",
                         (int)(z - a), a);
            goto out;
        }
        if (nent == DS_TABLE_MAX_COLS) { /* no more fields than a table has columns */
            dw_error_set(rc, "--map: more than %d entries", DS_TABLE_MAX_COLS);
            goto out;
        }
        if (!slot && !(slot = calloc(DS_TABLE_SLOTS_, sizeof *slot))) goto nomem;
        size_t at = ds_table_hash_(m.key, m.klen) % DS_TABLE_SLOTS_;
        for (; slot[at]; at = (at + 1) % DS_TABLE_SLOTS_) {
            const MapEntry *o = &ent[slot[at] - 1];
            if (o->klen == m.klen && memcmp(o->key, m.key, m.klen) == 0) {
                dw_error_set(rc, "--map: field '%.*s' is mapped twice", (int)m.klen, m.key);
                goto out;
            }
        }
        if (ds_table_grow_((void **)&ent, &cap, nent + 1, sizeof *ent)) goto nomem;
        ent[nent++] = m;
        slot[at] = (int)nent;
    }
    for (size_t i = 0; i < nent; i++)
        if (strlen(field) == ent[i].klen && memcmp(field, ent[i].key, ent[i].klen) == 0)
            mine = &ent[i];
    if (mine) {
        if (!(target = ds_table_strndup_(mine->val, mine->vlen))) goto nomem;
        int c = ds_table_col(t, target);
        if (c < 0) {
            ds_table_cols_list_(t, cl, sizeof cl);
            rc = dw_error_set(DW_ENOTFOUND, "--map %s=%s: %s has no column '%s' (columns: %s)",
                              field, target, t->path, target, cl);
            goto out;
        }
        *col = c;
        rc = DW_OK;
        goto out;
    }
    for (const char *const *a = aliases; a && *a; a++) {
        int c = ds_table_col(t, *a);
        if (c >= 0) {
            *col = c;
            break;
        }
    }
    rc = DW_OK;
    goto out;
nomem:
    rc = dw_error_set(DW_ENOMEM, "--map: out of memory");
out:
    free(ent);
    free(slot);
    free(target);
    return rc;
}

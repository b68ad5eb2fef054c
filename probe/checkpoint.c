/* probe/checkpoint.c — safetensors files and checkpoint directories (DESIGN §3; format in
 * checkpoint.h). Tensors are streamed to and from disk one at a time, so a checkpoint costs
 * no memory beyond the model. Design stance: plain stdio, every step checked, the directory
 * replaced atomically.
 */
#define _GNU_SOURCE /* renameat2 (RENAME_EXCHANGE) */
#include "probe/checkpoint.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dw.h"

#define HEADER_MAX (100u << 20) /* refuse absurd header lengths (safetensors uses 100 MB) */

// ----------------------------------------------------------------------------
// byte order: safetensors is little-endian

static int host_little_(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static void swap4_(void *p, size_t n) {
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++, b += 4) {
        unsigned char t0 = b[0], t1 = b[1];
        b[0] = b[3], b[1] = b[2], b[2] = t1, b[3] = t0;
    }
}

static size_t numel_(const int64_t shape[2], int ndim) {
    size_t n = 1;
    for (int k = 0; k < ndim; k++) n *= (size_t)shape[k];
    return n;
}

/* Writes n floats little-endian. */
static int write_f32_(FILE *f, const float *x, size_t n) {
    if (host_little_()) return fwrite(x, sizeof(float), n, f) == n ? 0 : -1;
    float buf[1024];
    for (size_t i = 0; i < n; i += 1024) {
        size_t k = n - i < 1024 ? n - i : 1024;
        memcpy(buf, x + i, k * sizeof(float));
        swap4_(buf, k);
        if (fwrite(buf, sizeof(float), k, f) != k) return -1;
    }
    return 0;
}

// ----------------------------------------------------------------------------
// safetensors

/* The metadata object from text: an object of strings, or NULL for none. */
static int meta_parse_(const char *meta_json, cJSON **out) {
    *out = NULL;
    if (!meta_json) return DW_OK;
    cJSON *m = cJSON_Parse(meta_json), *it;
    if (!cJSON_IsObject(m)) {
        cJSON_Delete(m);
        return dw_error_set(DW_EINVAL, "safetensors metadata is not a JSON object");
    }
    cJSON_ArrayForEach(it, m) if (!cJSON_IsString(it)) {
        dw_error_set(DW_EINVAL, "safetensors metadata '%s' is not a string", it->string);
        cJSON_Delete(m);
        return DW_EINVAL;
    }
    *out = m;
    return DW_OK;
}

int probe_safetensors_save(const char *path, ProbeModel *m, int nwhich, const int *which,
                           const char *const *suffix, const char *meta_json) {
    int rc, nt = probe_model_ntensors(m);
    cJSON *hdr = cJSON_CreateObject(), *meta = NULL;
    char *text = NULL, name[512];
    FILE *f = NULL;
    if (!hdr) return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    if ((rc = meta_parse_(meta_json, &meta))) goto out;
    rc = DW_ENOMEM;
    if (meta) cJSON_AddItemToObject(hdr, "__metadata__", meta);
    size_t off = 0;
    for (int w = 0; w < nwhich; w++)
        for (int i = 0; i < nt; i++) {
            float *data;
            int64_t shape[2];
            int ndim;
            const char *nm = probe_model_tensor(m, i, which[w], &data, shape, &ndim);
            DW_ASSERT(nm && ndim >= 1 && ndim <= 2);
            snprintf(name, sizeof name, "%s%s", nm, suffix[w]);
            size_t bytes = numel_(shape, ndim) * sizeof(float);
            double sh[2] = {(double)shape[0], (double)shape[1]};
            double offs[2] = {(double)off, (double)(off + bytes)};
            cJSON *t = cJSON_CreateObject();
            if (!t) goto out;
            cJSON_AddItemToObject(hdr, name, t);
            if (!cJSON_AddStringToObject(t, "dtype", "F32") ||
                !cJSON_AddItemToObject(t, "shape", cJSON_CreateDoubleArray(sh, ndim)) ||
                !cJSON_AddItemToObject(t, "data_offsets", cJSON_CreateDoubleArray(offs, 2)))
                goto out;
            off += bytes;
        }
    if (!(text = cJSON_PrintUnformatted(hdr))) goto out;
    size_t hlen = strlen(text), padded = (hlen + 7) / 8 * 8;
    unsigned char len8[8];
    for (int k = 0; k < 8; k++) len8[k] = (unsigned char)((uint64_t)padded >> (8 * k));
    rc = DW_EIO;
    if (!(f = fopen(path, "wb"))) {
        dw_error_set(DW_EIO, "%s: cannot create: %s", path, strerror(errno));
        goto out;
    }
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(text, 1, hlen, f) != hlen ||
        fwrite("        ", 1, padded - hlen, f) != padded - hlen)
        goto werr;
    for (int w = 0; w < nwhich; w++)
        for (int i = 0; i < nt; i++) {
            float *data;
            int64_t shape[2];
            int ndim;
            probe_model_tensor(m, i, which[w], &data, shape, &ndim);
            if (!data) { /* a GPU model whose device failed */
                rc = dw_error_set(DW_EDEVICE, "%s: %s", path, probe_model_error(m));
                goto out;
            }
            if (write_f32_(f, data, numel_(shape, ndim))) goto werr;
        }
    if (fflush(f) || fsync(fileno(f))) goto werr;
    rc = fclose(f) ? DW_EIO : DW_OK;
    f = NULL;
    if (rc) goto werr;
    goto out;
werr:
    rc = dw_error_set(DW_EIO, "%s: write failed: %s", path, strerror(errno));
out:
    if (f) fclose(f);
    if (rc == DW_ENOMEM) dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    free(text);
    cJSON_Delete(hdr);
    return rc;
}

/* Reads and parses the header; *data_start gets the file offset of the data section and
 * *data_len its length. */
static int st_header_(FILE *f, const char *path, cJSON **hdr, uint64_t *data_start,
                      uint64_t *data_len) {
    unsigned char len8[8];
    uint64_t n = 0;
    struct stat st;
    *hdr = NULL;
    if (fstat(fileno(f), &st)) return dw_error_set(DW_EIO, "%s: %s", path, strerror(errno));
    if (fread(len8, 1, 8, f) != 8)
        return dw_error_set(DW_EPARSE, "%s: shorter than a safetensors header", path);
    for (int k = 0; k < 8; k++) n |= (uint64_t)len8[k] << (8 * k);
    if (n < 2 || n > HEADER_MAX || n > (uint64_t)st.st_size - 8)
        return dw_error_set(DW_EPARSE, "%s: safetensors header length %llu is impossible for "
                            "a %lld-byte file", path, (unsigned long long)n,
                            (long long)st.st_size);
    char *text = malloc(n + 1);
    if (!text) return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    if (fread(text, 1, n, f) != n) {
        free(text);
        return dw_error_set(DW_EIO, "%s: read failed", path);
    }
    text[n] = '\0';
    *hdr = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(*hdr)) {
        cJSON_Delete(*hdr);
        *hdr = NULL;
        return dw_error_set(DW_EPARSE, "%s: safetensors header is not a JSON object", path);
    }
    *data_start = 8 + n;
    *data_len = (uint64_t)st.st_size - 8 - n;
    return DW_OK;
}

/* A header's entries sorted by name, for lookups in O(log n): a checkpoint of L layers has
 * about 12 L tensors, and cJSON's lookup is linear. */
typedef struct {
    const cJSON **e;
    int n;
} StIndex;

static int st_cmp_(const void *a, const void *b) {
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static int st_index_(const cJSON *hdr, const char *path, StIndex *ix) {
    const cJSON *it;
    int n = cJSON_GetArraySize(hdr);
    ix->n = 0;
    if (!(ix->e = malloc(sizeof *ix->e * (size_t)(n > 0 ? n : 1))))
        return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    cJSON_ArrayForEach(it, hdr) if (it->string) ix->e[ix->n++] = it;
    qsort(ix->e, (size_t)ix->n, sizeof *ix->e, st_cmp_);
    return DW_OK;
}

static const cJSON *st_find_(const StIndex *ix, const char *name) {
    cJSON key = {.string = (char *)name};
    const cJSON *k = &key;
    const cJSON **hit = bsearch(&k, ix->e, (size_t)ix->n, sizeof *ix->e, st_cmp_);
    return hit ? *hit : NULL;
}

/* Checks tensor entry t (NULL: absent) of the header against dtype F32 and shape, with
 * integral offsets inside the data section; *b gets its first byte. */
static int st_entry_(const cJSON *t, const char *path, const char *name,
                     const int64_t shape[2], int ndim, uint64_t data_len, uint64_t *b) {
    if (!cJSON_IsObject(t)) return dw_error_set(DW_EPARSE, "%s: no tensor '%s'", path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    if (!cJSON_IsString(dt) || strcmp(dt->valuestring, "F32"))
        return dw_error_set(DW_EPARSE, "%s: tensor '%s' has dtype %.40s, want F32", path, name,
                            cJSON_IsString(dt) ? dt->valuestring : "(none)");
    int ok = cJSON_IsArray(sh) && cJSON_GetArraySize(sh) == ndim;
    for (int k = 0; ok && k < ndim; k++) {
        const cJSON *d = cJSON_GetArrayItem(sh, k);
        ok = cJSON_IsNumber(d) && d->valuedouble == (double)shape[k];
    }
    if (!ok) {
        char want[64];
        if (ndim == 1) snprintf(want, sizeof want, "[%lld]", (long long)shape[0]);
        else snprintf(want, sizeof want, "[%lld, %lld]", (long long)shape[0], (long long)shape[1]);
        char *got = sh ? cJSON_PrintUnformatted(sh) : NULL;
        dw_error_set(DW_EPARSE, "%s: tensor '%s' has shape %.60s, want %s", path, name,
                     got ? got : "(none)", want);
        free(got);
        return DW_EPARSE;
    }
    const cJSON *o0 = cJSON_IsArray(of) ? cJSON_GetArrayItem(of, 0) : NULL;
    const cJSON *o1 = cJSON_IsArray(of) ? cJSON_GetArrayItem(of, 1) : NULL;
    double bytes = (double)numel_(shape, ndim) * sizeof(float);
    if (!cJSON_IsNumber(o0) || !cJSON_IsNumber(o1) || o0->valuedouble < 0 ||
        o0->valuedouble != floor(o0->valuedouble) || o1->valuedouble > (double)data_len ||
        o1->valuedouble - o0->valuedouble != bytes)
        return dw_error_set(DW_EPARSE, "%s: tensor '%s' has bad data_offsets for %.0f bytes in "
                            "a %llu-byte data section", path, name, bytes,
                            (unsigned long long)data_len);
    *b = (uint64_t)o0->valuedouble;
    return DW_OK;
}

int probe_safetensors_load(const char *path, ProbeModel *m, int nwhich, const int *which,
                           const char *const *suffix, char **meta_json) {
    int rc, nt = probe_model_ntensors(m);
    cJSON *hdr = NULL;
    StIndex ix = {NULL, 0};
    uint64_t start = 0, dlen = 0;
    char name[512];
    if (meta_json) *meta_json = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
    if ((rc = st_header_(f, path, &hdr, &start, &dlen)) || (rc = st_index_(hdr, path, &ix)))
        goto out;
    for (int w = 0; w < nwhich; w++)
        for (int i = 0; i < nt; i++) {
            float *data;
            int64_t shape[2];
            int ndim;
            uint64_t b = 0;
            const char *nm = probe_model_tensor(m, i, which[w], &data, shape, &ndim);
            snprintf(name, sizeof name, "%s%s", nm, suffix[w]);
            if (!data) {
                rc = dw_error_set(DW_EDEVICE, "%s: %s", path, probe_model_error(m));
                goto out;
            }
            if ((rc = st_entry_(st_find_(&ix, name), path, name, shape, ndim, dlen, &b)))
                goto out;
            size_t n = numel_(shape, ndim);
            if (fseeko(f, (off_t)(start + b), SEEK_SET) || fread(data, sizeof(float), n, f) != n) {
                rc = dw_error_set(DW_EIO, "%s: read of '%s' failed", path, name);
                goto out;
            }
            if (!host_little_()) swap4_(data, n);
        }
    /* the host copies now hold the checkpoint: to the device (no-op on the CPU) */
    for (int w = 0; w < nwhich; w++)
        if ((rc = probe_model_commit(m, which[w]))) goto out;
    if (meta_json) {
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(hdr, "__metadata__");
        *meta_json = meta ? cJSON_PrintUnformatted(meta) : strdup("{}");
        if (!*meta_json) rc = dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    }
out:
    free(ix.e);
    cJSON_Delete(hdr);
    fclose(f);
    return rc;
}

// ----------------------------------------------------------------------------
// config.json (Hugging Face GPTNeoXConfig)


char *probe_checkpoint_hf_config(const ProbeModelConfig *c, const char *run_json) {
    cJSON *j = cJSON_CreateObject(), *run = NULL;
    char *text = NULL;
    if (!j) return NULL;
    if (run_json && !cJSON_IsObject(run = cJSON_Parse(run_json))) {
        dw_error_set(DW_EINVAL, "checkpoint run settings are not a JSON object");
        goto out;
    }
    const char *arch[] = {"GPTNeoXForCausalLM"};
    cJSON_AddItemToObject(j, "architectures", cJSON_CreateStringArray(arch, 1));
    cJSON_AddStringToObject(j, "model_type", "gpt_neox");
    cJSON_AddNumberToObject(j, "hidden_size", c->width);
    cJSON_AddNumberToObject(j, "num_hidden_layers", c->depth);
    cJSON_AddNumberToObject(j, "num_attention_heads", c->heads);
    cJSON_AddNumberToObject(j, "intermediate_size", (double)c->mlp_ratio * c->width);
    cJSON_AddNumberToObject(j, "vocab_size", c->vocab);
    cJSON_AddNumberToObject(j, "max_position_embeddings", c->seq_len);
    cJSON_AddNumberToObject(j, "rotary_pct", 1.0);
    cJSON_AddNumberToObject(j, "rotary_emb_base", 10000);
    cJSON_AddNumberToObject(j, "rope_theta", 10000); /* the name newer transformers read */
    cJSON_AddBoolToObject(j, "use_parallel_residual", 0);
    cJSON_AddStringToObject(j, "hidden_act", "gelu");
    cJSON_AddNumberToObject(j, "layer_norm_eps", 1e-5);
    cJSON_AddBoolToObject(j, "tie_word_embeddings", 0);
    cJSON_AddBoolToObject(j, "attention_bias", c->biases);
    cJSON_AddNumberToObject(j, "attention_dropout", 0);
    cJSON_AddNumberToObject(j, "hidden_dropout", 0);
    cJSON_AddNumberToObject(j, "initializer_range", dw_float_decimal(c->init_std));
    cJSON_AddStringToObject(j, "torch_dtype", "float32");
    cJSON *d = run ? run : cJSON_CreateObject();
    run = NULL;
    cJSON_AddItemToObject(j, "dwplan", d);
    cJSON_DeleteItemFromObjectCaseSensitive(d, "biases");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "mlp_ratio");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "init_std");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "dwplan_version");
    cJSON_AddBoolToObject(d, "biases", c->biases);
    cJSON_AddNumberToObject(d, "mlp_ratio", c->mlp_ratio);
    cJSON_AddNumberToObject(d, "init_std", dw_float_decimal(c->init_std));
    cJSON_AddStringToObject(d, "dwplan_version", DWPLAN_VERSION);
    text = cJSON_Print(j);
out:
    cJSON_Delete(run);
    cJSON_Delete(j);
    return text;
}

/* An integer field of config.json in lo..hi, checked before the cast. */
static int jint_(const cJSON *j, const char *key, const char *path, int lo, int hi, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v) return dw_error_set(DW_EPARSE, "%s: no '%s'", path, key);
    if (!cJSON_IsNumber(v)) return dw_error_set(DW_EPARSE, "%s: '%s' must be a number", path, key);
    double x = v->valuedouble;
    if (x != floor(x) || x < lo || x > hi)
        return dw_error_set(DW_EPARSE, "%s: '%s' is %.17g, want an integer in %d..%d", path, key,
                            x, lo, hi);
    *out = (int)x;
    return DW_OK;
}

/* An optional boolean field: *out unchanged when absent. */
static int jbool_(const cJSON *j, const char *key, const char *path, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v) return DW_OK;
    if (!cJSON_IsBool(v))
        return dw_error_set(DW_EPARSE, "%s: '%s' must be true or false", path, key);
    *out = cJSON_IsTrue(v);
    return DW_OK;
}

int probe_checkpoint_config(const char *dir, ProbeModelConfig *c, char **run_json) {
    char path[4096];
    int rc, inter = 0;
    cJSON *j = NULL;
    if (run_json) *run_json = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, PROBE_CKPT_CONFIG);
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return dw_error_set(DW_EIO, "%s: no such checkpoint directory", dir);
    char *text = dw_read_file(path, NULL);
    if (!text) return DW_EIO;
    j = cJSON_Parse(text);
    free(text);
    rc = DW_EPARSE;
    if (!cJSON_IsObject(j)) {
        dw_error_set(DW_EPARSE, "%s: not a JSON object", path);
        goto out;
    }
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(j, "model_type");
    if (mt && (!cJSON_IsString(mt) || strcmp(mt->valuestring, "gpt_neox"))) {
        dw_error_set(DW_EPARSE, "%s: model_type is not gpt_neox", path);
        goto out;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "use_parallel_residual"))) {
        dw_error_set(DW_EPARSE, "%s: use_parallel_residual true is not the probe's block", path);
        goto out;
    }
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(j, "rotary_pct");
    if (rp && (!cJSON_IsNumber(rp) || rp->valuedouble != 1.0)) {
        dw_error_set(DW_EPARSE, "%s: rotary_pct must be 1.0 (the probe rotates the full head)",
                     path);
        goto out;
    }
    probe_model_config_default(c);
    /* the limits of probe_model_config_check, so that every value fits its int */
    if ((rc = jint_(j, "hidden_size", path, 1, 1 << 24, &c->width)) ||
        (rc = jint_(j, "num_hidden_layers", path, 1, 1 << 16, &c->depth)) ||
        (rc = jint_(j, "num_attention_heads", path, 1, 1 << 24, &c->heads)) ||
        (rc = jint_(j, "intermediate_size", path, 1, 1 << 24, &inter)) ||
        (rc = jint_(j, "vocab_size", path, 2, 1 << 24, &c->vocab)) ||
        (rc = jint_(j, "max_position_embeddings", path, 1, 1 << 20, &c->seq_len)))
        goto out;
    rc = DW_EPARSE;
    if (c->width < 1 || inter % c->width) {
        dw_error_set(DW_EPARSE, "%s: intermediate_size %d is not a multiple of hidden_size %d",
                     path, inter, c->width);
        goto out;
    }
    c->mlp_ratio = inter / c->width;
    if ((rc = jbool_(j, "attention_bias", path, &c->biases))) goto out;
    rc = DW_EPARSE;
    const cJSON *ir = cJSON_GetObjectItemCaseSensitive(j, "initializer_range");
    if (ir && !cJSON_IsNumber(ir)) {
        dw_error_set(rc, "%s: 'initializer_range' must be a number", path);
        goto out;
    }
    if (ir && !(ir->valuedouble > 0 && ir->valuedouble <= 1e3)) { /* checked before (float) */
        dw_error_set(rc, "%s: 'initializer_range' is %g, want > 0 and <= 1000", path,
                     ir->valuedouble);
        goto out;
    }
    if (ir) c->init_std = (float)ir->valuedouble;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "dwplan");
    if (d && !cJSON_IsObject(d)) {
        dw_error_set(rc, "%s: 'dwplan' is not an object", path);
        goto out;
    }
    if (d) {
        if ((rc = jbool_(d, "biases", path, &c->biases))) goto out;
        if (run_json && !(*run_json = cJSON_PrintUnformatted(d))) {
            rc = dw_error_set(DW_ENOMEM, "%s: out of memory", path);
            goto out;
        }
    }
    rc = DW_OK;
    if (probe_model_config_check(c)) rc = dw_error_prefix(DW_EPARSE, "%s", path);
out:
    if (rc && run_json) {
        free(*run_json);
        *run_json = NULL;
    }
    cJSON_Delete(j);
    return rc;
}

// ----------------------------------------------------------------------------
// directories

static const char *const ckpt_files_[] = {PROBE_CKPT_WEIGHTS, PROBE_CKPT_CONFIG,
                                          PROBE_CKPT_OPTIM};
enum { NCKPT_FILES = 3 };

/* 1 when every entry of an existing directory is one of ours (safe to replace). */
static int only_ours_(const char *dir, char *bad, size_t nbad) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int ok = 1;
    if (!d) return 1;
    while (ok && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int ours = 0;
        for (int k = 0; k < NCKPT_FILES; k++) ours |= !strcmp(e->d_name, ckpt_files_[k]);
        if (!ours) {
            ok = 0;
            snprintf(bad, nbad, "%s", e->d_name);
        }
    }
    closedir(d);
    return ok;
}

/* Removes our files from dir, then dir (best effort: used on old and failed temporaries). */
static void remove_ckpt_dir_(const char *dir) {
    char p[4600];
    for (int k = 0; k < NCKPT_FILES; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, ckpt_files_[k]);
        unlink(p);
    }
    rmdir(dir);
}

static int fsync_dir_(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

static void parent_of_(const char *path, char *out, size_t n) {
    snprintf(out, n, "%s", path);
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '/') out[--len] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash) snprintf(out, n, ".");
    else if (slash == out) out[1] = '\0';
    else *slash = '\0';
}

static int write_text_(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return dw_error_set(DW_EIO, "%s: cannot create: %s", path, strerror(errno));
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, f) != n || fputc('\n', f) == EOF || fflush(f) ||
              fsync(fileno(f));
    bad |= fclose(f) != 0;
    return bad ? dw_error_set(DW_EIO, "%s: write failed: %s", path, strerror(errno)) : DW_OK;
}

int probe_checkpoint_target_check(const char *dir) {
    char bad[256];
    struct stat st;
    size_t dl = dir ? strlen(dir) : 0;
    if (dl == 0 || dl > 3900)
        return dw_error_set(DW_EINVAL, "checkpoint directory: empty or over 3900 bytes");
    if (!stat(dir, &st)) {
        if (!S_ISDIR(st.st_mode))
            return dw_error_set(DW_EINVAL, "%s: exists and is not a directory", dir);
        if (!only_ours_(dir, bad, sizeof bad))
            return dw_error_set(DW_EINVAL, "%s: exists and holds '%s', which is not part of a "
                                "dwplan checkpoint: not replacing it", dir, bad);
    }
    return dw_output_check(dir, DW_OUT_DIR, NULL, 0);
}

int probe_checkpoint_save(const char *dir, ProbeModel *m, const char *run_json,
                          const char *state_json) {
    char tmp[4096], p[4200], parent[4096];
    int rc;
    char *cfg = NULL, *meta = NULL;
    if ((rc = probe_checkpoint_target_check(dir))) return rc;
    size_t dl = strlen(dir);
    /* DIR.tmp.PID/ of writers killed mid-save (gigabytes for a real model) */
    dw_stale_temps_clean(dir, 1, NULL);
    snprintf(tmp, sizeof tmp, "%.*s.tmp.%ld", (int)dl - (dir[dl - 1] == '/'), dir,
             (long)getpid());
    remove_ckpt_dir_(tmp); /* a leftover of this pid's earlier crash */
    if (mkdir(tmp, 0755))
        return dw_error_set(DW_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    rc = DW_ENOMEM;
    if (!(cfg = probe_checkpoint_hf_config(probe_model_config(m), run_json))) {
        if (run_json) rc = DW_EINVAL; /* message set */
        else dw_error_set(rc, "out of memory");
        goto out;
    }
    /* model.safetensors metadata: format "pt" (what transformers checks) and the run */
    {
        cJSON *mj = cJSON_CreateObject();
        if (!mj) goto out;
        cJSON_AddStringToObject(mj, "format", "pt");
        cJSON_AddStringToObject(mj, "dwplan_version", DWPLAN_VERSION);
        if (run_json) cJSON_AddStringToObject(mj, "dwplan_run", run_json);
        meta = cJSON_PrintUnformatted(mj);
        cJSON_Delete(mj);
        if (!meta) goto out;
    }
    snprintf(p, sizeof p, "%s/%s", tmp, PROBE_CKPT_CONFIG);
    if ((rc = write_text_(p, cfg))) goto out;
    snprintf(p, sizeof p, "%s/%s", tmp, PROBE_CKPT_WEIGHTS);
    const int w0[1] = {0};
    const char *const s0[1] = {""};
    if ((rc = probe_safetensors_save(p, m, 1, w0, s0, meta))) goto out;
    if (state_json) {
        cJSON *sj = cJSON_CreateObject(), *chk = cJSON_Parse(state_json);
        int okj = cJSON_IsObject(chk);
        cJSON_Delete(chk);
        char *smeta = NULL;
        if (sj && okj) {
            cJSON_AddStringToObject(sj, "format", "dwplan-adamw");
            cJSON_AddStringToObject(sj, "dwplan_state", state_json);
            smeta = cJSON_PrintUnformatted(sj);
        }
        cJSON_Delete(sj);
        if (!okj) {
            rc = dw_error_set(DW_EINVAL, "checkpoint state is not a JSON object");
            goto out;
        }
        if (!smeta) goto out;
        snprintf(p, sizeof p, "%s/%s", tmp, PROBE_CKPT_OPTIM);
        const int w2[2] = {2, 3};
        const char *const s2[2] = {".exp_avg", ".exp_avg_sq"};
        rc = probe_safetensors_save(p, m, 2, w2, s2, smeta);
        free(smeta);
        if (rc) goto out;
    }
    rc = DW_EIO;
    if (fsync_dir_(tmp)) {
        dw_error_set(DW_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
        goto out;
    }
    /* install: a plain rename when dir is absent (or an empty directory) */
    if (rename(tmp, dir)) {
        if (errno != ENOTEMPTY && errno != EEXIST) {
            dw_error_set(DW_EIO, "%s: cannot rename into place: %s", dir, strerror(errno));
            goto out;
        }
#ifdef RENAME_EXCHANGE
        if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE)) {
            remove_ckpt_dir_(tmp); /* now the old checkpoint */
        } else
#endif
        {
            /* no atomic exchange on this file system: old aside, new in, old removed */
            char old[4400];
            snprintf(old, sizeof old, "%s.old.%ld", tmp, (long)getpid());
            if (rename(dir, old) || rename(tmp, dir)) {
                dw_error_set(DW_EIO, "%s: cannot replace: %s", dir, strerror(errno));
                goto out;
            }
            remove_ckpt_dir_(old);
        }
    }
    parent_of_(dir, parent, sizeof parent);
    fsync_dir_(parent);
    rc = DW_OK;
out:
    if (rc) remove_ckpt_dir_(tmp);
    free(cfg);
    free(meta);
    return rc;
}

/* The run state in an optimizer.safetensors' metadata object mj as a new string. */
static int state_of_(const cJSON *mj, const char *path, char **state_json) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(mj, "dwplan_state");
    if (!cJSON_IsString(s))
        return dw_error_set(DW_EPARSE, "%s: metadata has no dwplan_state", path);
    if (!(*state_json = strdup(s->valuestring)))
        return dw_error_set(DW_ENOMEM, "%s: out of memory", path);
    return DW_OK;
}

/* Checks one safetensors file against config c (see probe_checkpoint_check): each tensor
 * NAME+suffix[w] of c, then the sum of their sizes against the data section (offsets
 * that overlap could otherwise make a small file stand for a large model). With state_json,
 * the metadata's run state. */
static int st_check_(const char *path, const ProbeModelConfig *c, int nwhich,
                     const char *const *suffix, char **state_json) {
    cJSON *hdr = NULL;
    StIndex ix = {NULL, 0};
    uint64_t start = 0, dlen = 0;
    char name[512], base[400];
    int rc, nt = probe_model_config_ntensors(c);
    FILE *f = fopen(path, "rb");
    if (!f) return dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
    if ((rc = st_header_(f, path, &hdr, &start, &dlen)) || (rc = st_index_(hdr, path, &ix)))
        goto out;
    double total = 0;
    for (int w = 0; w < nwhich; w++)
        for (int i = 0; i < nt; i++) {
            int64_t shape[2];
            int ndim;
            uint64_t b;
            probe_model_config_tensor(c, i, base, sizeof base, shape, &ndim);
            snprintf(name, sizeof name, "%s%s", base, suffix[w]);
            if ((rc = st_entry_(st_find_(&ix, name), path, name, shape, ndim, dlen, &b)))
                goto out;
            total += (double)numel_(shape, ndim) * sizeof(float);
        }
    rc = DW_EPARSE;
    if (total > (double)dlen) {
        dw_error_set(rc, "%s: its tensors' data_offsets overlap: %.0f bytes of tensors in a "
                     "%llu-byte data section", path, total, (unsigned long long)dlen);
        goto out;
    }
    rc = state_json ? state_of_(cJSON_GetObjectItemCaseSensitive(hdr, "__metadata__"), path,
                                state_json)
                    : DW_OK;
out:
    free(ix.e);
    cJSON_Delete(hdr);
    fclose(f);
    return rc;
}

int probe_checkpoint_check(const char *dir, const ProbeModelConfig *c, char **state_json) {
    char p[4200];
    int rc;
    if (state_json) *state_json = NULL;
    snprintf(p, sizeof p, "%s/%s", dir, PROBE_CKPT_WEIGHTS);
    const char *const s0[1] = {""};
    if ((rc = st_check_(p, c, 1, s0, NULL)) || !state_json) return rc;
    snprintf(p, sizeof p, "%s/%s", dir, PROBE_CKPT_OPTIM);
    if (access(p, R_OK))
        return dw_error_set(DW_EIO, "%s: no optimizer state (%s): a checkpoint written "
                            "without it can be evaluated but not resumed", dir,
                            PROBE_CKPT_OPTIM);
    const char *const s2[2] = {".exp_avg", ".exp_avg_sq"};
    return st_check_(p, c, 2, s2, state_json);
}

int probe_checkpoint_load(const char *dir, ProbeModel *m, char **state_json) {
    char p[4200];
    int rc;
    if (state_json) *state_json = NULL;
    snprintf(p, sizeof p, "%s/%s", dir, PROBE_CKPT_WEIGHTS);
    const int w0[1] = {0};
    const char *const s0[1] = {""};
    if ((rc = probe_safetensors_load(p, m, 1, w0, s0, NULL))) return rc;
    if (!state_json) return DW_OK;
    snprintf(p, sizeof p, "%s/%s", dir, PROBE_CKPT_OPTIM);
    if (access(p, R_OK))
        return dw_error_set(DW_EIO, "%s: no optimizer state (%s): a checkpoint written "
                            "without it can be evaluated but not resumed", dir,
                            PROBE_CKPT_OPTIM);
    char *meta = NULL;
    const int w2[2] = {2, 3};
    const char *const s2[2] = {".exp_avg", ".exp_avg_sq"};
    if ((rc = probe_safetensors_load(p, m, 2, w2, s2, &meta))) return rc;
    cJSON *mj = cJSON_Parse(meta);
    rc = state_of_(mj, p, state_json);
    cJSON_Delete(mj);
    free(meta);
    return rc;
}

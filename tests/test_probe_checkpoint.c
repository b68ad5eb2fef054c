/* tests/test_probe_checkpoint.c — probe checkpoints (probe/checkpoint.h): the safetensors
 * layout byte for byte (header length, padding, dtype, shapes, contiguous offsets), exact
 * round trips of parameters and AdamW moments, config.json in Hugging Face GPTNeoX form,
 * atomic replacement of a checkpoint directory, and malformed files refused with a message.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/dw.h"
#include "probe/checkpoint.h"

static char dir_[256];

static ProbeModel *model_(int biases, uint64_t seed) {
    ProbeModelConfig c;
    probe_model_config_default(&c);
    c.depth = 2;
    c.width = 16;
    c.heads = 2;
    c.vocab = 40;
    c.seq_len = 8;
    c.biases = biases;
    ProbeModel *m = probe_model_alloc(&c, 1, 8, 1);
    if (m) probe_model_init(m, seed);
    return m;
}

/* 1 when every tensor of kind `which` is bitwise equal in a and b. */
static int same_(ProbeModel *a, ProbeModel *b, int which) {
    for (int i = 0; i < probe_model_ntensors(a); i++) {
        float *x, *y;
        int64_t sa[2], sb[2];
        int na, nb;
        probe_model_tensor(a, i, which, &x, sa, &na);
        probe_model_tensor(b, i, which, &y, sb, &nb);
        size_t n = (size_t)sa[0] * (na == 2 ? (size_t)sa[1] : 1);
        if (na != nb || memcmp(x, y, n * sizeof(float))) return 0;
    }
    return 1;
}

static void test_layout_(void) {
    ProbeModel *m = model_(1, 1);
    char path[300];
    snprintf(path, sizeof path, "%s/w.safetensors", dir_);
    const int w0[1] = {0};
    const char *const s0[1] = {""};
    CHECK_STATUS(probe_safetensors_save(path, m, 1, w0, s0, "{\"format\":\"pt\",\"k\":\"v\"}"));
    size_t len;
    unsigned char *b = (unsigned char *)dw_read_file(path, &len);
    CHECK(b && len > 8);
    if (!b) return;
    uint64_t n = 0;
    for (int k = 0; k < 8; k++) n |= (uint64_t)b[k] << (8 * k);
    CHECK(n % 8 == 0 && 8 + n <= len);
    char *hdr = malloc(n + 1);
    memcpy(hdr, b + 8, n);
    hdr[n] = '\0';
    cJSON *j = cJSON_Parse(hdr);
    CHECK(cJSON_IsObject(j));
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(j, "__metadata__");
    CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(meta, "k")));
    /* every tensor: F32, the model's shape, offsets back to back over the data section */
    size_t off = 0;
    int ok = 1;
    for (int i = 0; i < probe_model_ntensors(m); i++) {
        float *x;
        int64_t sh[2];
        int nd;
        const char *name = probe_model_tensor(m, i, 0, &x, sh, &nd);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, name);
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "shape");
        size_t bytes = 4 * (size_t)sh[0] * (nd == 2 ? (size_t)sh[1] : 1);
        ok &= t && !strcmp(cJSON_GetObjectItemCaseSensitive(t, "dtype")->valuestring, "F32");
        ok &= cJSON_GetArraySize(s) == nd && cJSON_GetArrayItem(s, 0)->valuedouble == sh[0];
        ok &= cJSON_GetArrayItem(o, 0)->valuedouble == off &&
              cJSON_GetArrayItem(o, 1)->valuedouble == off + bytes;
        ok &= !memcmp(b + 8 + n + off, x, bytes); /* little-endian host: raw floats */
        off += bytes;
    }
    CHECK(ok);
    CHECK(8 + n + off == len);
    /* GPT-NeoX names */
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "gpt_neox.embed_in.weight") != NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "gpt_neox.layers.1.attention.query_key_value.weight"));
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "embed_out.weight") != NULL);
    cJSON_Delete(j);
    free(hdr);
    free(b);
    /* metadata must be an object of strings */
    CHECK(probe_safetensors_save(path, m, 1, w0, s0, "{\"k\":1}") == DW_EINVAL);
    probe_model_free(m);
}

static void test_round_trip_(void) {
    for (int biases = 0; biases < 2; biases++) {
        ProbeModel *a = model_(biases, 1), *b = model_(biases, 2);
        char ck[300];
        snprintf(ck, sizeof ck, "%s/ck%d", dir_, biases);
        /* moments: something other than zero */
        for (int i = 0; i < probe_model_ntensors(a); i++)
            for (int w = 2; w <= 3; w++) {
                float *x;
                int64_t sh[2];
                int nd;
                probe_model_tensor(a, i, w, &x, sh, &nd);
                size_t n = (size_t)sh[0] * (nd == 2 ? (size_t)sh[1] : 1);
                for (size_t k = 0; k < n; k++) x[k] = (float)(w * 0.001 * (double)(k % 7) + i);
            }
        CHECK(!same_(a, b, 0));
        CHECK_STATUS(probe_checkpoint_save(ck, a, "{\"batch\":4,\"note\":\"x\"}",
                                           "{\"step\":3}"));
        char *state = NULL;
        CHECK_STATUS(probe_checkpoint_load(ck, b, &state));
        CHECK(same_(a, b, 0) && same_(a, b, 2) && same_(a, b, 3));
        CHECK(state && !strcmp(state, "{\"step\":3}"));
        free(state);
        ProbeModelConfig c;
        char *run = NULL;
        CHECK_STATUS(probe_checkpoint_config(ck, &c, &run));
        const ProbeModelConfig *want = probe_model_config(a);
        CHECK(c.depth == want->depth && c.width == want->width && c.heads == want->heads &&
              c.vocab == want->vocab && c.seq_len == want->seq_len &&
              c.mlp_ratio == want->mlp_ratio && c.biases == want->biases &&
              c.init_std == want->init_std);
        CHECK(run && strstr(run, "\"batch\":4"));
        free(run);
        /* the Hugging Face fields */
        char p[400];
        snprintf(p, sizeof p, "%s/config.json", ck);
        char *text = dw_read_file(p, NULL);
        cJSON *j = cJSON_Parse(text);
        CHECK(!strcmp(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "architectures"), 0)
                          ->valuestring, "GPTNeoXForCausalLM"));
        CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(j, "model_type")->valuestring, "gpt_neox"));
        CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "use_parallel_residual")));
        CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "tie_word_embeddings")));
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "rotary_pct")->valuedouble == 1.0);
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "rotary_emb_base")->valuedouble == 10000);
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "intermediate_size")->valuedouble == 64);
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "layer_norm_eps")->valuedouble == 1e-5);
        CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(j, "hidden_act")->valuestring, "gelu"));
        CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "attention_bias")));
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "initializer_range")->valuedouble == 0.02);
        cJSON_Delete(j);
        free(text);
        probe_model_free(a);
        probe_model_free(b);
    }
}

static int entries_(const char *d) {
    DIR *x = opendir(d);
    int n = 0;
    struct dirent *e;
    if (!x) return -1;
    while ((e = readdir(x)))
        if (e->d_name[0] != '.') n++;
    closedir(x);
    return n;
}

static void test_replace_and_errors_(void) {
    ProbeModel *a = model_(1, 1), *b = model_(1, 2), *c = model_(1, 3);
    char ck[300], p[400];
    snprintf(ck, sizeof ck, "%s/replace", dir_);
    CHECK_STATUS(probe_checkpoint_save(ck, a, NULL, "{\"step\":1}"));
    CHECK(entries_(ck) == 3);
    CHECK_STATUS(probe_checkpoint_save(ck, b, NULL, NULL)); /* replaces: no optimizer now */
    CHECK(entries_(ck) == 2);
    CHECK(entries_(dir_) == 4); /* w.safetensors ck0 ck1 replace: no temporaries left */
    CHECK_STATUS(probe_checkpoint_load(ck, c, NULL));
    CHECK(same_(b, c, 0));
    char *state = NULL;
    CHECK(probe_checkpoint_load(ck, c, &state) == DW_EIO && state == NULL);
    /* a directory with someone else's file is not replaced */
    snprintf(p, sizeof p, "%s/notes.txt", ck);
    CHECK_STATUS(dw_write_file_atomic(p, "mine", 4));
    CHECK(probe_checkpoint_save(ck, a, NULL, NULL) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "notes.txt") != NULL);
    unlink(p);
    /* truncated weights */
    snprintf(p, sizeof p, "%s/model.safetensors", ck);
    size_t len;
    char *bytes = dw_read_file(p, &len);
    CHECK_STATUS(dw_write_file_atomic(p, bytes, len - 4));
    CHECK(probe_checkpoint_load(ck, c, NULL) == DW_EPARSE);
    CHECK(strstr(dw_error_get(), "data_offsets") != NULL);
    CHECK_STATUS(dw_write_file_atomic(p, bytes, 5));
    CHECK(probe_checkpoint_load(ck, c, NULL) == DW_EPARSE);
    free(bytes);
    /* a model of another shape does not load these tensors */
    CHECK_STATUS(probe_checkpoint_save(ck, a, NULL, NULL));
    ProbeModelConfig wc = *probe_model_config(a);
    wc.width = 32;
    ProbeModel *w = probe_model_alloc(&wc, 1, 8, 1);
    CHECK(probe_checkpoint_load(ck, w, NULL) == DW_EPARSE);
    CHECK(strstr(dw_error_get(), "shape") != NULL);
    probe_model_free(w);
    /* config.json checks */
    snprintf(p, sizeof p, "%s/config.json", ck);
    const char *bad = "{\"model_type\":\"llama\",\"hidden_size\":16}";
    CHECK_STATUS(dw_write_file_atomic(p, bad, strlen(bad)));
    ProbeModelConfig mc;
    CHECK(probe_checkpoint_config(ck, &mc, NULL) == DW_EPARSE);
    const char *par = "{\"hidden_size\":16,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
                      "\"intermediate_size\":64,\"vocab_size\":9,\"max_position_embeddings\":8,"
                      "\"use_parallel_residual\":true}";
    CHECK_STATUS(dw_write_file_atomic(p, par, strlen(par)));
    CHECK(probe_checkpoint_config(ck, &mc, NULL) == DW_EPARSE);
    CHECK(strstr(dw_error_get(), "parallel") != NULL);
    CHECK(probe_checkpoint_config("/nonexistent/ck", &mc, NULL) == DW_EIO);
    probe_model_free(a);
    probe_model_free(b);
    probe_model_free(c);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir_, sizeof dir_, "%s/dwplan_probe_ck_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir_)) {
        perror("mkdtemp");
        return 1;
    }
    test_layout_();
    test_round_trip_();
    test_replace_and_errors_();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir_);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir_);
    return check_done("test_probe_checkpoint");
}

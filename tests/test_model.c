/* tests/test_model.c — the probe model (probe/model.c) in float, as a run uses it:
 *   - parameter count equals planner/count.c's GPT-NeoX count (biases, LayerNorm, untied,
 *     r = 4) for a table of shapes; tensor names, shapes and sizes add up to it;
 *   - impossible shapes are refused with a message;
 *   - loss at step 0 ≈ ln V (V = 256, init_std 0.02: within 0.05);
 *   - a tiny model overfits one batch (loss < 0.1 within 300 AdamW steps);
 *   - same seed → bitwise-identical loss trajectory and gradient norms, with 1 thread and
 *     with 2 threads (each against itself);
 *   - per-layer gradient norms and the global norm match a direct computation from the
 *     gradient tensors; clipping leaves the norm at max_norm;
 *   - AdamW's weight decay reaches the matrices and nothing else;
 *   - a forward at a smaller (B, T) than allocated equals a model allocated at that size;
 *     a forward without targets returns NaN and the same logits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dw.h"
#include "../planner/count.h"
#include "../probe/model.h"
#include "check.h"

static ProbeModelConfig cfg(int L, int C, int NH, int V, int T) {
    ProbeModelConfig c;
    probe_model_config_default(&c);
    c.depth = L;
    c.width = C;
    c.heads = NH;
    c.vocab = V;
    c.seq_len = T;
    return c;
}

static void random_tokens(int32_t *tok, size_t n, int V, uint64_t seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        tok[i] = (int32_t)((seed >> 33) % (uint64_t)V);
    }
}

// ----------------------------------------------------------------------------

static void test_counts(void) {
    static const struct {
        int L, C, NH, V, biases;
    } shapes[] = {
        {1, 8, 2, 7, 1}, {2, 64, 1, 256, 1}, {8, 512, 8, 256, 1}, {24, 512, 8, 50257, 1},
        {3, 96, 3, 1000, 0}, {12, 768, 12, 50304, 1},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        ProbeModelConfig c = cfg(shapes[i].L, shapes[i].C, shapes[i].NH, shapes[i].V, 64);
        c.biases = shapes[i].biases;
        CHECK_STATUS(probe_model_config_check(&c));
        PlanShape s;
        plan_shape_default(&s);
        s.depth = c.depth;
        s.width = c.width;
        s.heads = c.heads;
        s.head_dim = 0;
        s.vocab = c.vocab;
        s.mlp_ratio = 4;
        s.biases = c.biases;
        s.tied = 0;
        s.rmsnorm = 0;
        s.swiglu = 0;
        s.learned_pos = 0;
        PlanCount pc;
        CHECK_STATUS(plan_count(&s, &pc));
        size_t n = probe_model_num_params(&c);
        if ((double)n != pc.total)
            fprintf(stderr, "shape %zu: probe %zu, planner %.0f\n", i, n, pc.total);
        CHECK((double)n == pc.total);
    }
    /* the paper's 2×512 row with GPT-2's vocabulary: 57,768,960 (tests/test_count.c) */
    ProbeModelConfig c = cfg(2, 512, 8, 50257, 1024);
    CHECK(probe_model_num_params(&c) == 57768960);
    /* FLOPs per token: 6·(L·12·C² + V·C) + 6·L·T·C */
    CHECK_REL(probe_model_flops_per_token(&c, 1024),
              6.0 * (2 * 12.0 * 512 * 512 + 50257.0 * 512) + 6.0 * 2 * 1024 * 512, 1e-15);
    CHECK(probe_model_memory_bytes(&c, 8, 1024) > 16 * probe_model_num_params(&c));

    /* named tensors: Hugging Face order and shapes, sizes summing to the count */
    c = cfg(3, 16, 2, 11, 8);
    for (int biases = 0; biases <= 1; biases++) {
        c.biases = biases;
        ProbeModel *m = probe_model_alloc(&c, 2, 8, 1);
        CHECK(m != NULL);
        if (!m) return;
        int nt = probe_model_ntensors(m);
        CHECK(nt == 4 + (biases ? 12 : 8) * 3);
        size_t total = 0;
        float *first = NULL;
        for (int i = 0; i < nt; i++) {
            float *data;
            int64_t shape[2];
            int ndim;
            const char *name = probe_model_tensor(m, i, 0, &data, shape, &ndim);
            CHECK(name != NULL && data != NULL);
            if (i == 0) first = data;
            total += (size_t)shape[0] * (ndim == 2 ? (size_t)shape[1] : 1);
            if (i == 0) CHECK(!strcmp(name, "gpt_neox.embed_in.weight") && shape[0] == 11);
            if (i == nt - 1) CHECK(!strcmp(name, "embed_out.weight") && shape[1] == 16);
            if (!strcmp(name, "gpt_neox.layers.1.attention.query_key_value.weight"))
                CHECK(ndim == 2 && shape[0] == 48 && shape[1] == 16);
            if (!strcmp(name, "gpt_neox.layers.2.mlp.dense_4h_to_h.weight"))
                CHECK(ndim == 2 && shape[0] == 16 && shape[1] == 64);
            if (!strcmp(name, "gpt_neox.layers.0.mlp.dense_h_to_4h.bias"))
                CHECK(biases && ndim == 1 && shape[0] == 64);
            if (!strcmp(name, "gpt_neox.final_layer_norm.bias")) CHECK(ndim == 1 && shape[0] == 16);
        }
        CHECK(total == probe_model_num_params(&c));
        CHECK(probe_model_tensor(m, nt, 0, NULL, NULL, NULL) == NULL);
        /* which = 1..3 alias the other blocks at the same offsets */
        float *g;
        probe_model_tensor(m, 0, 1, &g, NULL, NULL);
        size_t nblock;
        CHECK(probe_model_block(m, 1, &nblock) == g && probe_model_block(m, 0, NULL) == first);
        CHECK(nblock >= total);
        probe_model_free(m);
    }
}

static void test_bad_configs(void) {
    ProbeModelConfig c = cfg(0, 64, 1, 256, 64);
    CHECK(probe_model_config_check(&c) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "depth") != NULL);
    c = cfg(2, 64, 3, 256, 64);
    CHECK(probe_model_config_check(&c) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "divide") != NULL);
    c = cfg(2, 6, 2, 256, 64); /* head size 3 */
    CHECK(probe_model_config_check(&c) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "odd") != NULL);
    c = cfg(2, 64, 1, 1, 64);
    CHECK(probe_model_config_check(&c) == DW_EINVAL);
    c = cfg(2, 64, 1, 256, 64);
    CHECK(probe_model_alloc(&c, 2, 65, 1) == NULL); /* T beyond seq_len */
    CHECK(probe_model_alloc(&c, 2, 64, 0) == NULL); /* no threads */
}

/* Step-0 loss of a V = 256 model at init_std 0.02: the logits are tiny, so ≈ ln V. */
static void test_initial_loss(void) {
    ProbeModelConfig c = cfg(2, 64, 2, 256, 64);
    ProbeModel *m = probe_model_alloc(&c, 2, 64, 2);
    CHECK(m != NULL);
    if (!m) return;
    int32_t tok[2 * 64 + 1];
    random_tokens(tok, 2 * 64 + 1, 256, 7);
    probe_model_init(m, 1);
    float loss = probe_model_forward(m, tok, tok + 1, 2, 64);
    printf("  step-0 loss %.5f, ln V = %.5f\n", loss, log(256.0));
    CHECK_ABS(loss, log(256.0), 0.05);
    CHECK_REL(probe_model_loss(m), loss, 1e-7);
    probe_model_free(m);
}

/* A tiny model memorises one batch. */
static void test_overfit(void) {
    ProbeModelConfig c = cfg(2, 32, 2, 32, 16);
    ProbeModel *m = probe_model_alloc(&c, 2, 16, 2);
    CHECK(m != NULL);
    if (!m) return;
    int32_t tok[2 * 16 + 1];
    random_tokens(tok, 2 * 16 + 1, 32, 11);
    probe_model_init(m, 3);
    float loss = 0, first = 0;
    int step;
    for (step = 1; step <= 300; step++) {
        loss = probe_model_forward(m, tok, tok + 1, 2, 16);
        if (step == 1) first = loss;
        if (loss < 0.1f) break;
        probe_model_zero_grad(m);
        probe_model_backward(m);
        probe_model_clip_grad(m, 1.0);
        probe_model_adamw(m, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.0f, step);
    }
    printf("  overfit: loss %.4f -> %.4f after %d steps\n", first, loss, step - 1);
    CHECK(loss < 0.1f);
    probe_model_free(m);
}

/* Ten training steps; losses and the final per-layer norms into out[]. */
static void trajectory(int threads, double *out, int n) {
    ProbeModelConfig c = cfg(3, 32, 2, 64, 24);
    ProbeModel *m = probe_model_alloc(&c, 2, 24, threads);
    DW_ASSERT(m);
    int32_t tok[2 * 24 + 1];
    random_tokens(tok, 2 * 24 + 1, 64, 5);
    probe_model_init(m, 42);
    for (int s = 0; s < n - 3; s++) {
        out[s] = probe_model_forward(m, tok, tok + 1, 2, 24);
        probe_model_zero_grad(m);
        probe_model_backward(m);
        probe_model_clip_grad(m, 1.0);
        probe_model_adamw(m, 3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, s + 1);
    }
    probe_model_grad_norms(m, out + n - 3, NULL, NULL);
    probe_model_free(m);
}

static void test_determinism(void) {
    enum { N = 13 };
    for (int threads = 1; threads <= 2; threads++) {
        double a[N], b[N];
        trajectory(threads, a, N);
        trajectory(threads, b, N);
        int same = memcmp(a, b, sizeof a) == 0;
        printf("  %d thread(s): losses %.6f -> %.6f, identical on rerun: %s\n", threads, a[0],
               a[N - 4], same ? "yes" : "NO");
        CHECK(same);
        CHECK(a[N - 4] < a[0]);
    }
}

/* Per-layer norms against the tensors; global norm and clipping. */
static void test_grad_norms(void) {
    ProbeModelConfig c = cfg(3, 32, 2, 40, 16);
    ProbeModel *m = probe_model_alloc(&c, 2, 16, 2);
    CHECK(m != NULL);
    if (!m) return;
    int32_t tok[2 * 16 + 1];
    random_tokens(tok, 2 * 16 + 1, 40, 9);
    probe_model_init(m, 5);
    probe_model_forward(m, tok, tok + 1, 2, 16);
    probe_model_zero_grad(m);
    probe_model_backward(m);
    double block[3], attn[3], mlp[3], want_a[3] = {0}, want_m[3] = {0}, all = 0;
    probe_model_grad_norms(m, block, attn, mlp);
    for (int i = 0; i < probe_model_ntensors(m); i++) {
        float *g;
        int64_t shape[2];
        int ndim, layer = -1;
        const char *name = probe_model_tensor(m, i, 1, &g, shape, &ndim);
        size_t n = (size_t)shape[0] * (ndim == 2 ? (size_t)shape[1] : 1);
        double ss = 0;
        for (size_t k = 0; k < n; k++) ss += (double)g[k] * g[k];
        all += ss;
        if (sscanf(name, "gpt_neox.layers.%d.", &layer) != 1) continue;
        int is_mlp = strstr(name, ".mlp.") || strstr(name, "post_attention_layernorm");
        if (is_mlp) want_m[layer] += ss;
        else want_a[layer] += ss;
    }
    for (int l = 0; l < 3; l++) {
        printf("  layer %d: |g| block %.6e attn %.6e mlp %.6e\n", l, block[l], attn[l], mlp[l]);
        CHECK_REL(attn[l], sqrt(want_a[l]), 1e-12);
        CHECK_REL(mlp[l], sqrt(want_m[l]), 1e-12);
        CHECK_REL(block[l], sqrt(want_a[l] + want_m[l]), 1e-12);
        CHECK(attn[l] > 0 && mlp[l] > 0);
    }
    double norm = probe_model_clip_grad(m, 0); /* no clipping: the norm only */
    CHECK_REL(norm, sqrt(all), 1e-12);
    CHECK_REL(probe_model_clip_grad(m, norm / 2), norm, 1e-15);
    CHECK_REL(probe_model_clip_grad(m, 0), norm / 2, 1e-5);
    probe_model_grad_norms(m, NULL, NULL, NULL); /* all optional */
    probe_model_free(m);
}

/* Smaller (B, T) than allocated; logits without targets. */
static void test_shapes(void) {
    ProbeModelConfig c = cfg(2, 32, 4, 30, 24);
    ProbeModel *big = probe_model_alloc(&c, 4, 24, 2), *small = probe_model_alloc(&c, 2, 10, 2);
    CHECK(big && small);
    if (!big || !small) return;
    probe_model_init(big, 8);
    probe_model_init(small, 8);
    int32_t tok[2 * 10 + 1];
    random_tokens(tok, 2 * 10 + 1, 30, 3);
    float lb = probe_model_forward(big, tok, tok + 1, 2, 10);
    float ls = probe_model_forward(small, tok, tok + 1, 2, 10);
    CHECK(lb == ls);
    probe_model_zero_grad(big);
    probe_model_zero_grad(small);
    probe_model_backward(big);
    probe_model_backward(small);
    double nb[2], ns[2];
    probe_model_grad_norms(big, nb, NULL, NULL);
    probe_model_grad_norms(small, ns, NULL, NULL);
    CHECK(nb[0] == ns[0] && nb[1] == ns[1]);
    float keep[2 * 10 * 30];
    memcpy(keep, probe_model_logits(big), sizeof keep);
    CHECK(isnan(probe_model_forward(big, tok, NULL, 2, 10)));
    CHECK(isnan(probe_model_loss(big)));
    CHECK(memcmp(keep, probe_model_logits(big), sizeof keep) == 0);
    CHECK(probe_model_config(big)->width == 32);
    probe_model_free(big);
    probe_model_free(small);
}

/* Weight decay on matrices only: with zero gradients and moments one AdamW step at lr 1,
 * wd 0.1 scales every matrix by 0.9 and leaves LayerNorm parameters and biases alone. */
static void test_weight_decay(void) {
    ProbeModelConfig c = cfg(2, 16, 2, 12, 8);
    ProbeModel *m = probe_model_alloc(&c, 1, 8, 2);
    CHECK(m != NULL);
    if (!m) return;
    probe_model_init(m, 4);
    size_t n;
    float *p = probe_model_block(m, 0, &n);
    for (size_t k = 0; k < n; k++) p[k] += 0.25f; /* biases and gains non-trivial too */
    float *before = malloc(sizeof(float) * n);
    memcpy(before, p, sizeof(float) * n);
    probe_model_zero_grad(m);
    probe_model_adamw(m, 1.0f, 0.9f, 0.95f, 1e-8f, 0.1f, 1);
    int ok_decay = 1, ok_keep = 1, nt = probe_model_ntensors(m);
    for (int i = 0; i < nt; i++) {
        int64_t shape[2];
        int ndim;
        float *d;
        probe_model_tensor(m, i, 0, &d, shape, &ndim);
        size_t off = probe_model_tensor_offset(m, i);
        size_t len = (size_t)shape[0] * (ndim == 2 ? (size_t)shape[1] : 1);
        CHECK(d == p + off);
        for (size_t k = 0; k < len; k++) {
            float want = ndim == 2 ? before[off + k] * 0.9f : before[off + k];
            if (ndim == 2 && fabsf(d[k] - want) > 1e-7f) ok_decay = 0;
            if (ndim == 1 && d[k] != want) ok_keep = 0;
        }
    }
    CHECK(ok_decay);
    CHECK(ok_keep);
    free(before);
    probe_model_free(m);
}

int main(void) {
    test_counts();
    test_bad_configs();
    test_initial_loss();
    test_overfit();
    test_determinism();
    test_grad_norms();
    test_shapes();
    test_weight_decay();
    return check_done("test_model");
}

/* tests/test_count.c — parameter/FLOP counting (planner/count.c), Hugging Face config
 * reading (planner/hfconfig.c) and the hardware table (planner/hardware.c).
 *
 * Certified values: the paper's parameter column (DESIGN §6) and the published total
 * parameter counts of open checkpoints, each re-derived by hand below.
 *
 * Known limitations (not tested because not modelled):
 *   | model family        | what is not counted                        | size           |
 *   |---------------------|--------------------------------------------|----------------|
 *   | qwen2               | q/k/v biases                               | D·(Q + 2K)     |
 *   | gemma2              | the two extra post-norms per block         | 2·W per block  |
 *   | MoE configs         | refused with DW_EPARSE                     |                |
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/dw.h"
#include "../planner/count.h"
#include "../planner/hardware.h"
#include "../planner/hfconfig.h"
#include "check.h"

// ----------------------------------------------------------------------------
// The paper's rows (DESIGN §6): GPT-NeoX block (GELU, r = 4, biases, LayerNorm, RoPE),
// V = 50257 untied. Per block 12·W² + 13·W; embeddings 2·V·W; final LayerNorm 2W.

typedef struct {
    double depth, width;
    double want;  /* the paper's figure, in `unit`s */
    double unit;  /* 1e6 (to the nearest 1M) or 1e7 (7B rows, 0.01B) */
} PaperRow;

static const PaperRow paper_rows_[] = {
    /* 2·(12·512² + 13·512) + 2·50257·512 + 1024 = 6,304,768 + 51,463,168 + 1,024 = 57,768,960 */
    {2, 512, 58, 1e6},
    /* 8·3,152,384 + 51,464,192 = 76,683,264 */
    {8, 512, 77, 1e6},
    /* 16·3,152,384 + 51,464,192 = 101,902,336 */
    {16, 512, 102, 1e6},
    /* 24·3,152,384 + 51,464,192 = 127,121,408 */
    {24, 512, 127, 1e6},
    /* 32·(12·4096² + 13·4096) + 2·50257·4096 + 8192
     *   = 32·201,379,840 + 411,705,344 + 8,192 = 6,855,868,416 → 6.86B */
    {32, 4096, 686, 1e7},
    /* 64·(12·2816² + 13·2816) + 2·50257·2816 + 5632
     *   = 64·95,194,880 + 283,047,424 + 5,632 = 6,375,525,376 → 6.38B */
    {64, 2816, 638, 1e7},
};

/* The exact counts behind the rows above (the sums in the comments). */
static const double paper_exact_[] = {57768960,   76683264,   101902336,
                                      127121408,  6855868416, 6375525376};

static void test_paper_rows(void) {
    for (size_t i = 0; i < sizeof paper_rows_ / sizeof paper_rows_[0]; i++) {
        const PaperRow *r = &paper_rows_[i];
        PlanShape s;
        PlanCount c;
        plan_shape_default(&s);
        s.depth = r->depth;
        s.width = r->width;
        CHECK_STATUS(plan_count(&s, &c));
        CHECK_ABS(c.total, paper_exact_[i], 0);
        CHECK_ABS(round(c.total / r->unit), r->want, 0);
        CHECK_ABS(c.per_block, 12 * r->width * r->width + 13 * r->width, 0);
        /* DESIGN §4.1: 12·D·W² + 2·50257·W reproduces the W = 512 rows. */
        if (r->width == 512) {
            double approx = 12 * r->depth * r->width * r->width + 2 * 50257 * r->width;
            CHECK_ABS(round(approx / r->unit), r->want, 0);
        }
        /* The same shape with explicit heads (head_dim 64) counts the same. */
        s.heads = r->width / 64;
        s.head_dim = 0;
        PlanCount c2;
        CHECK_STATUS(plan_count(&s, &c2));
        CHECK_ABS(c2.total, c.total, 0);
    }
}

// ----------------------------------------------------------------------------
// Published models: shape by hand, total by hand, and the same through examples/models.

typedef struct {
    const char *file; /* under examples/models */
    const char *hf_name;
    double depth, width, heads, kv_heads, ffn;
    int vocab, swiglu, tied, biases, rmsnorm, max_pos, learned_pos;
    double total;
} ModelRow;

static const ModelRow models_[] = {
    /* GPT-2 124M: block 4·768² + 4·768 (attn) + 8·768² + 5·768 (MLP) + 4·768 (2 LN)
     * = 7,087,872; ×12 = 85,054,464; wte 50257·768 = 38,597,376; wpe 1024·768 = 786,432;
     * ln_f 1,536; tied head. Total 124,439,808 (HF openai-community/gpt2). */
    {"gpt2.json", "openai-community/gpt2", 12, 768, 12, 12, 3072, 50257, 0, 1, 1, 0, 1024, 1,
     124439808},
    /* Pythia-1.4B: block 12·2048² + 13·2048 = 50,358,272; ×24 = 1,208,598,528;
     * embed + head 2·50304·2048 = 206,045,184; final LN 4,096. Total 1,414,647,808
     * (Pythia paper Table 1 / EleutherAI/pythia-1.4b). */
    {"pythia-1.4b.json", "EleutherAI/pythia-1.4b", 24, 2048, 16, 16, 8192, 50304, 0, 0, 1, 0,
     2048, 0, 1414647808},
    /* Llama-2-7B: attn 4·4096² = 67,108,864; MLP 3·4096·11008 = 135,266,304; norms 8,192;
     * block 202,383,360; ×32 = 6,476,267,520; 2·32000·4096 = 262,144,000; final 4,096.
     * Total 6,738,415,616 (meta-llama/Llama-2-7b-hf). */
    {"llama-2-7b.json", "meta-llama/Llama-2-7b-hf", 32, 4096, 32, 32, 11008, 32000, 1, 0, 0, 1,
     4096, 0, 6738415616},
    /* Llama-3-8B: attn 2·4096² + 2·4096·1024 = 41,943,040; MLP 3·4096·14336 = 176,160,768;
     * norms 8,192; block 218,112,000; ×32 = 6,979,584,000; 2·128256·4096 = 1,050,673,152;
     * final 4,096. Total 8,030,261,248 (meta-llama/Meta-Llama-3-8B). */
    {"llama-3-8b.json", "meta-llama/Meta-Llama-3-8B", 32, 4096, 32, 8, 14336, 128256, 1, 0, 0,
     1, 8192, 0, 8030261248},
    /* Llama-3-70B: attn 2·8192² + 2·8192·1024 = 150,994,944; MLP 3·8192·28672 = 704,643,072;
     * norms 16,384; block 855,654,400; ×80 = 68,452,352,000; 2·128256·8192 = 2,101,346,304;
     * final 8,192. Total 70,553,706,496 (meta-llama/Meta-Llama-3-70B). */
    {"llama-3-70b.json", "meta-llama/Meta-Llama-3-70B", 80, 8192, 64, 8, 28672, 128256, 1, 0,
     0, 1, 8192, 0, 70553706496},
    /* Mistral-7B: block as Llama-3-8B (218,112,000); ×32 = 6,979,584,000;
     * 2·32000·4096 = 262,144,000; final 4,096. Total 7,241,732,096 (Mistral-7B-v0.1). */
    {"mistral-7b.json", "mistralai/Mistral-7B-v0.1", 32, 4096, 32, 8, 14336, 32000, 1, 0, 0, 1,
     32768, 0, 7241732096},
};

static void shape_of_row_(const ModelRow *m, PlanShape *s) {
    plan_shape_default(s);
    s->depth = m->depth;
    s->width = m->width;
    s->heads = m->heads;
    s->kv_heads = m->kv_heads;
    s->head_dim = 0;
    s->ffn_dim = m->ffn;
    s->vocab = m->vocab;
    s->swiglu = m->swiglu;
    s->tied = m->tied;
    s->biases = m->biases;
    s->rmsnorm = m->rmsnorm;
    s->max_pos = m->max_pos;
    s->learned_pos = m->learned_pos;
}

static void test_models(void) {
    const char *src = getenv("DW_SOURCE_DIR");
    if (!src || !*src) src = ".";
    for (size_t i = 0; i < sizeof models_ / sizeof models_[0]; i++) {
        const ModelRow *m = &models_[i];
        PlanShape s, f;
        PlanCount c, cf;
        shape_of_row_(m, &s);
        CHECK_STATUS(plan_count(&s, &c));
        CHECK_ABS(c.total, m->total, 0);

        char path[1024], name[128];
        snprintf(path, sizeof path, "%s/examples/models/%s", src, m->file);
        int rc = plan_hfconfig_read(path, &f, name, sizeof name);
        CHECK_STATUS(rc);
        if (rc) continue;
        CHECK_STATUS(plan_count(&f, &cf));
        CHECK_ABS(cf.total, m->total, 0);
        CHECK_ABS(cf.nonembed, c.nonembed, 0);
        CHECK(strcmp(name, m->hf_name) == 0);
        CHECK(f.swiglu == m->swiglu && f.tied == m->tied && f.biases == m->biases &&
              f.rmsnorm == m->rmsnorm && f.learned_pos == m->learned_pos);
        /* max_position_embeddings is the position limit; the training context stays the
         * default until a caller sets it (issue 12, case 4) */
        CHECK(f.max_pos == m->max_pos && f.vocab == m->vocab && f.seq_len == s.seq_len);
        if (cf.total != m->total) fprintf(stderr, "  model %s\n", m->file);
    }
}

/* Explicit head_dim with H·hd != W, tied default of the family: Gemma 7B.
 * attn 4·3072·(16·256) = 50,331,648; MLP 3·3072·24576 = 226,492,416; norms 6,144;
 * block 276,830,208; ×28 = 7,751,245,824; tied embedding 256000·3072 = 786,432,000;
 * final 3,072. Total 8,537,680,896 (google/gemma-7b). */
static void test_gemma_inline(void) {
    const char *json = "{\"model_type\": \"gemma\", \"architectures\": [\"GemmaForCausalLM\"],"
                       " \"hidden_act\": \"gelu\", \"hidden_size\": 3072,"
                       " \"num_hidden_layers\": 28, \"num_attention_heads\": 16,"
                       " \"num_key_value_heads\": 16, \"head_dim\": 256,"
                       " \"intermediate_size\": 24576, \"vocab_size\": 256000,"
                       " \"max_position_embeddings\": 8192}";
    PlanShape s;
    PlanCount c;
    char name[64];
    CHECK_STATUS(plan_hfconfig_parse(json, "gemma-7b.json", &s, name, sizeof name));
    CHECK_STATUS(plan_count(&s, &c));
    CHECK_ABS(c.total, 8537680896.0, 0);
    CHECK(s.tied == 1 && s.swiglu == 1 && s.rmsnorm == 1 && s.biases == 0);
    CHECK(strcmp(name, "gemma") == 0); /* no _name_or_path: model_type */

    /* Neither _name_or_path nor model_type: the file stem; layout from architectures. */
    const char *json2 = "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64,"
                        " \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                        " \"intermediate_size\": 128, \"vocab_size\": 100}";
    CHECK_STATUS(plan_hfconfig_parse(json2, "dir/tiny-llama.json", &s, name, sizeof name));
    CHECK(strcmp(name, "tiny-llama") == 0);
    CHECK(s.swiglu == 1 && s.kv_heads == 4 && s.seq_len == 1024 && s.max_pos == 0);
}

// ----------------------------------------------------------------------------
// Continuous shapes, conventions and FLOPs

static void test_continuous_and_flops(void) {
    LawConventions conv = {0};
    conv.params = LAW_PARAMS_NONEMBED;
    conv.flops = LAW_FLOPS_FULL;
    conv.vocab = 50257;
    conv.seq_len = 1024;
    conv.mlp_ratio = 4;
    conv.biases = 1;

    /* Real (D, W): heads derived, no rounding, the count is 12·D·W² + 13·D·W. */
    PlanShape s;
    PlanCount c;
    double D = 7.3, W = 700.5;
    plan_shape_from_conventions(&s, &conv, D, W);
    CHECK(s.heads == 0 && s.depth == D && s.width == W && s.vocab == 50257);
    CHECK_STATUS(plan_count(&s, &c));
    CHECK_REL(c.nonembed, 12 * D * W * W + 13 * D * W, 1e-14);
    CHECK_REL(c.total, c.nonembed + 2 * 50257 * W + 2 * W, 1e-14);
    CHECK_REL(plan_law_params(&conv, &s), c.nonembed, 0);

    /* FULL: 6·N_nonembed + 6·V·W + 6·D·ctx·W, by hand at 24 × 1792 (DESIGN §6's 1B row):
     * N_nonembed = 24·(12·1792² + 13·1792) = 24·(38,535,168 + 23,296) = 24·38,558,464
     *            = 925,403,136;
     * 6·N = 5,552,418,816; 6·50257·1792 = 540,363,264; 6·24·1024·1792 = 264,241,152;
     * sum 6,357,023,232 FLOPs per token. */
    plan_shape_from_conventions(&s, &conv, 24, 1792);
    CHECK_STATUS(plan_count(&s, &c));
    CHECK_ABS(c.nonembed, 925403136.0, 0);
    CHECK_ABS(plan_flops_per_token(&conv, &s), 6357023232.0, 0);
    CHECK_ABS(plan_flops_per_token(&conv, &s),
              6 * c.nonembed + 6 * 50257.0 * 1792 + 6 * 24.0 * 1024 * 1792, 0);

    /* 6NT under each parameter convention. */
    conv.flops = LAW_FLOPS_6NT;
    CHECK_ABS(plan_flops_per_token(&conv, &s), 6 * c.nonembed, 0);
    conv.params = LAW_PARAMS_TOTAL;
    CHECK_ABS(plan_law_params(&conv, &s), c.total, 0);
    CHECK_ABS(plan_flops_per_token(&conv, &s), 6 * c.total, 0);
    conv.params = LAW_PARAMS_12DW2;
    CHECK_ABS(plan_law_params(&conv, &s), 12 * 24.0 * 1792 * 1792, 0);
    CHECK_ABS(plan_flops_per_token(&conv, &s), 6 * 12 * 24.0 * 1792 * 1792, 0);

    /* SwiGLU / RMSNorm / tied / no biases from the conventions (mlp_ratio 8/3 → F = 8W/3). */
    conv.params = LAW_PARAMS_TOTAL;
    conv.swiglu = 1;
    conv.rmsnorm = 1;
    conv.tied = 1;
    conv.biases = 0;
    conv.mlp_ratio = 8.0 / 3.0;
    plan_shape_from_conventions(&s, &conv, 4, 768);
    CHECK_STATUS(plan_count(&s, &c));
    /* block 4·768² + 3·768·2048 + 2·768 = 2,359,296 + 4,718,592 + 1,536 = 7,079,424 */
    CHECK_REL(c.per_block, 7079424.0, 1e-15);
    CHECK_REL(c.total, 4 * 7079424.0 + 50257.0 * 768 + 768, 1e-15);

    /* GQA with derived heads: kv width = kv_heads · head_dim. */
    plan_shape_default(&s);
    s.depth = 1;
    s.width = 1024;
    s.kv_heads = 2; /* head_dim 64 → kv width 128 */
    s.biases = 0;
    CHECK_STATUS(plan_count(&s, &c));
    CHECK_ABS(c.attn, 2 * 1024.0 * 1024 + 2 * 1024.0 * 128, 0);
}

// ----------------------------------------------------------------------------
// Invalid shapes → DW_EINVAL with a message

typedef struct {
    const char *name;
    double depth, width, heads, kv_heads, head_dim;
    int vocab;
} BadShape;

static const BadShape bad_shapes_[] = {
    {"depth 0", 0, 512, 8, 0, 0, 50257},
    {"width 0", 4, 0, 0, 0, 0, 50257},
    {"negative width", 4, -64, 0, 0, 0, 50257},
    {"NaN depth", NAN, 512, 0, 0, 0, 50257},
    {"heads not dividing width", 4, 512, 7, 0, 0, 50257},
    {"kv_heads not dividing heads", 4, 512, 8, 3, 0, 50257},
    {"kv_heads > heads", 4, 512, 8, 16, 0, 50257},
    {"fractional heads", 4, 512, 2.5, 0, 0, 50257},
    {"vocab 0", 4, 512, 8, 0, 0, 0},
};

static void test_bad_shapes(void) {
    for (size_t i = 0; i < sizeof bad_shapes_ / sizeof bad_shapes_[0]; i++) {
        const BadShape *b = &bad_shapes_[i];
        PlanShape s;
        PlanCount c;
        plan_shape_default(&s);
        s.depth = b->depth;
        s.width = b->width;
        s.heads = b->heads;
        s.kv_heads = b->kv_heads;
        s.head_dim = b->head_dim;
        s.vocab = b->vocab;
        dw_error_clear();
        int rc = plan_count(&s, &c);
        CHECK(rc == DW_EINVAL);
        CHECK(dw_error_get()[0] != '\0');
        if (rc != DW_EINVAL) fprintf(stderr, "  case: %s (rc %d)\n", b->name, rc);
    }
    /* Explicit head_dim: H·hd need not equal W. */
    PlanShape s;
    PlanCount c;
    plan_shape_default(&s);
    s.depth = 2;
    s.width = 3072;
    s.heads = 16;
    s.head_dim = 256;
    CHECK_STATUS(plan_count(&s, &c));
    /* A NaN from the convention helpers for a bad shape. */
    LawConventions conv = {0};
    s.depth = 0;
    CHECK(isnan(plan_law_params(&conv, &s)));
    CHECK(isnan(plan_flops_per_token(&conv, &s)));
}

// ----------------------------------------------------------------------------
// Bad config files → DW_EPARSE naming the file and the field

typedef struct {
    const char *file;
    const char *text;
    const char *field; /* must appear in the message ("" for malformed JSON) */
} BadConfig;

#define LLAMA_REST_                                                                           \
    "\"model_type\": \"llama\", \"num_attention_heads\": 32, \"intermediate_size\": 11008, "   \
    "\"vocab_size\": 32000"

static const BadConfig bad_configs_[] = {
    {"missing.json", "{" LLAMA_REST_ ", \"num_hidden_layers\": 32}", "hidden_size"},
    {"abc.json", "{" LLAMA_REST_ ", \"hidden_size\": \"abc\", \"num_hidden_layers\": 32}",
     "hidden_size"},
    {"neg.json", "{" LLAMA_REST_ ", \"hidden_size\": 4096, \"num_hidden_layers\": -2}",
     "num_hidden_layers"},
    {"frac.json", "{" LLAMA_REST_ ", \"hidden_size\": 4096.5, \"num_hidden_layers\": 32}",
     "hidden_size"},
    {"tie.json",
     "{" LLAMA_REST_ ", \"hidden_size\": 4096, \"num_hidden_layers\": 32, "
     "\"tie_word_embeddings\": 1}",
     "tie_word_embeddings"},
    {"noffn.json",
     "{\"model_type\": \"llama\", \"num_attention_heads\": 32, \"vocab_size\": 32000, "
     "\"hidden_size\": 4096, \"num_hidden_layers\": 32}",
     "intermediate_size"},
    {"nolayout.json",
     "{\"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
     "\"vocab_size\": 100}",
     "model_type"},
    {"moe.json",
     "{" LLAMA_REST_ ", \"hidden_size\": 4096, \"num_hidden_layers\": 32, "
     "\"num_local_experts\": 8}",
     "num_local_experts"},
    {"heads.json", "{" LLAMA_REST_ ", \"hidden_size\": 4100, \"num_hidden_layers\": 32}",
     "heads"},
    {"malformed.json", "{\"hidden_size\": 4096,\n \"num_hidden_layers\": }", ""},
    {"array.json", "[1, 2]", ""},
};

static void test_bad_configs(void) {
    char dir[] = "/tmp/test_count_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp failed");
        return;
    }
    for (size_t i = 0; i < sizeof bad_configs_ / sizeof bad_configs_[0]; i++) {
        const BadConfig *b = &bad_configs_[i];
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, b->file);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f) continue;
        fputs(b->text, f);
        fclose(f);
        PlanShape s;
        char name[64];
        dw_error_clear();
        int rc = plan_hfconfig_read(path, &s, name, sizeof name);
        const char *msg = dw_error_get();
        CHECK(rc == DW_EPARSE);
        CHECK(strstr(msg, b->file) != NULL);
        CHECK(strstr(msg, b->field) != NULL);
        if (rc != DW_EPARSE || !strstr(msg, b->file) || !strstr(msg, b->field))
            fprintf(stderr, "  case %s: rc %d, message \"%s\"\n", b->file, rc, msg);
        remove(path);
    }
    /* A file that does not exist is an I/O error. */
    char path[256];
    PlanShape s;
    snprintf(path, sizeof path, "%s/absent.json", dir);
    CHECK(plan_hfconfig_read(path, &s, NULL, 0) == DW_EIO);
    rmdir(dir);
}

// ----------------------------------------------------------------------------
// Hardware

static void test_hardware(void) {
    const PlanGpu *g = plan_gpu_find("H100");
    CHECK(g != NULL);
    if (g) CHECK_ABS(g->bf16_flops, 989e12, 0);
    CHECK(plan_gpu_find("h100-sxm") == g);
    CHECK(plan_gpu_find("NVIDIA-H100") == g);
    CHECK(plan_gpu_find("h100-pcie") != g && plan_gpu_find("h100-pcie") != NULL);
    CHECK(plan_gpu_find("tpu-v5p") && plan_gpu_find("tpu-v5p")->bf16_flops == 459e12);
    CHECK(plan_gpu_find("rtx-9999") == NULL);
    CHECK(plan_gpu_find(NULL) == NULL);

    int n = 0;
    const PlanGpu *tab = plan_gpu_table(&n);
    CHECK(n >= 14);
    for (int i = 0; i < n; i++) {
        CHECK(tab[i].bf16_flops > 1e13 && tab[i].source && tab[i].source[0] && tab[i].note);
        CHECK(plan_gpu_find(tab[i].name) == &tab[i]);
    }
    CHECK(strstr(plan_gpu_find("v100")->note, "BF16") != NULL);

    double flops = 0;
    CHECK_STATUS(plan_compute_from_hardware("h100", 512, 30, 0.4, &flops));
    CHECK_REL(flops, 989e12 * 512 * 30 * 86400 * 0.4, 1e-15);

    dw_error_clear();
    CHECK(plan_compute_from_hardware("rtx-9999", 8, 1, 0.4, &flops) == DW_ENOTFOUND);
    CHECK(strstr(dw_error_get(), "rtx-9999") && strstr(dw_error_get(), "h100") &&
          strstr(dw_error_get(), "tpu-v5p"));
    CHECK(plan_compute_from_hardware("h100", 0, 1, 0.4, &flops) == DW_ERANGE);
    CHECK(plan_compute_from_hardware("h100", 8, -1, 0.4, &flops) == DW_ERANGE);
    CHECK(plan_compute_from_hardware("h100", INFINITY, 1, 0.4, &flops) == DW_ERANGE);
    CHECK(plan_compute_from_hardware("h100", 8, NAN, 0.4, &flops) == DW_ERANGE);
    CHECK(plan_compute_from_hardware("h100", 8, 1, 0, &flops) == DW_ERANGE);
    CHECK(plan_compute_from_hardware("h100", 8, 1, 1.01, &flops) == DW_ERANGE);
    CHECK_STATUS(plan_compute_from_hardware("h100", 8, 1, 1, &flops));
}

int main(void) {
    test_paper_rows();
    test_models();
    test_gemma_inline();
    test_continuous_and_flops();
    test_bad_shapes();
    test_bad_configs();
    test_hardware();
    return check_done("test_count");
}

/* tests/test_check.c — a named model against a law (planner/check.c, planner/check.h) and the
 * config reader's refusals (planner/hfconfig.c): issue 12 cases 3, 4, 7, 8 and 9.
 *
 *   case 3  a named model and the optimum are counted under ONE accounting (the law's V,
 *           context, tying and FLOP formula): no built-in model beats the optimum of any
 *           preset law, nor of a law with V = 100352 and ctx 4096 (cost >= -1e-4).
 *   case 4  the training context is an input, not max_position_embeddings: FLOPs per token
 *           by hand at ctx 4096; attention FLOPs are 6·D·ctx·W (not halved for causal masks).
 *   case 7  every mixture-of-experts key is refused, naming the file and the field.
 *   case 8  every file in examples/models/ is reachable by its stem (pythia-1.4b).
 *   case 9  heads that do not divide the width are refused, in plan_count and in configs.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dw.h"
#include "../common/embedded.h"
#include "../fit/law.h"
#include "../planner/check.h"
#include "../planner/count.h"
#include "../planner/hfconfig.h"
#include "../planner/plan.h"
#include "check.h"

// ----------------------------------------------------------------------------
// case 4: FLOPs per token by hand at a given training context

/* Mistral-7B at ctx 4096 under the full convention:
 *   N_nonembed = 32 · 218,112,000 = 6,979,584,000 (block as in test_count.c)
 *   6·N        = 41,877,504,000
 *   6·V·W      = 6 · 32000 · 4096 = 786,432,000
 *   6·D·ctx·W  = 6 · 32 · 4096 · 4096 = 3,221,225,472   (QK^T and AV over all ctx positions,
 *                                                        forward + backward; not halved)
 *   total        45,885,161,472 FLOPs per token (1.0 % above 6·N_total = 43,450,392,576).
 * At max_position_embeddings = 32768 the attention term alone would be 25,769,803,776. */
static void test_flops_at_context(void) {
    PlanShape s;
    PlanCount c;
    char name[128];
    LawConventions conv;
    int rc = plan_model_shape("mistral-7b", &s, name, sizeof name);
    CHECK_STATUS(rc);
    if (rc) return;
    law_conventions_default(&conv);
    conv.vocab = s.vocab;
    /* the config's 32768 is the position limit, not the training context */
    CHECK(s.max_pos == 32768);
    CHECK(s.seq_len == conv.seq_len);
    s.seq_len = 4096;
    conv.seq_len = 4096;
    CHECK_STATUS(plan_count(&s, &c));
    CHECK_ABS(c.total, 7241732096.0, 0);
    CHECK_ABS(plan_flops_per_token(&conv, &s), 45885161472.0, 0);
    CHECK_ABS(6 * c.total, 43450392576.0, 0);

    /* Qwen2-7B (W 3584, D 28, 28 heads, 4 kv, F 18944, V 152064, max positions 131072):
     * charged at the law's ctx, not at 131072. Attention at ctx 4096: 6·28·4096·3584
     * = 2,466,250,752 (at 131072 it would be 78,920,024,064). */
    const char *qwen = "{\"model_type\": \"qwen2\", \"hidden_size\": 3584,"
                       " \"num_hidden_layers\": 28, \"num_attention_heads\": 28,"
                       " \"num_key_value_heads\": 4, \"intermediate_size\": 18944,"
                       " \"vocab_size\": 152064, \"max_position_embeddings\": 131072}";
    CHECK_STATUS(plan_hfconfig_parse(qwen, "qwen2-7b.json", &s, name, sizeof name));
    CHECK(s.max_pos == 131072 && s.seq_len != 131072);
    s.seq_len = 4096;
    conv.seq_len = 4096;
    conv.vocab = s.vocab;
    CHECK_STATUS(plan_count(&s, &c));
    CHECK_ABS(plan_flops_per_token(&conv, &s) - 6 * c.nonembed - 6.0 * 152064 * 3584,
              2466250752.0, 0);

    /* GPT-2: the position table is max_pos rows whatever the training context. */
    CHECK_STATUS(plan_model_shape("gpt2", &s, name, sizeof name));
    s.seq_len = 512;
    CHECK_STATUS(plan_count(&s, &c));
    CHECK_ABS(c.total, 124439808.0, 0);
    CHECK_ABS(c.pos, 1024.0 * 768, 0);
    s.seq_len = 2048; /* longer than the learned table: impossible */
    dw_error_clear();
    CHECK(plan_count(&s, &c) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "1024") != NULL);
}

// ----------------------------------------------------------------------------
// case 3: one accounting

/* A law with the depth-delusion form and V = 100352, ctx 4096 (the example). */
static Law *law_v100k_(void) {
    Law *law = NULL;
    if (law_load("depth-delusion", &law)) return NULL;
    law->conv.vocab = 100352;
    law->conv.seq_len = 4096;
    return law;
}

static void check_no_negative_cost_(const Law *law, const char *law_name) {
    for (const DwEmbedded *e = dw_model_shapes; e->name; e++) {
        PlanShape s;
        PlanCheck ck;
        char name[128];
        CHECK_STATUS(plan_model_shape(e->name, &s, name, sizeof name));
        int rc = plan_check(law, &s, 0, 0, &ck);
        CHECK_STATUS(rc);
        if (rc) continue;
        CHECK(ck.dloss >= -PLAN_COST_NEGATIVE_TOL);
        if (ck.dloss < -PLAN_COST_NEGATIVE_TOL)
            fprintf(stderr, "  %s under %s: cost %+.4f\n", e->name, law_name, ck.dloss);
    }
}

static void test_one_accounting(void) {
    for (const DwEmbedded *p = dw_law_presets; p->name; p++) {
        Law *law = NULL;
        CHECK_STATUS(law_load(p->name, &law));
        if (law) check_no_negative_cost_(law, p->name);
        law_free(law);
    }
    Law *law = law_v100k_();
    CHECK(law != NULL);
    if (!law) return;
    check_no_negative_cost_(law, "V100352/ctx4096");

    /* GPT-2 under it is counted with the law's V and ctx: FLOPs per token
     * 6·85,054,464 + 6·100352·768 + 6·12·4096·768 = 510,326,784 + 462,422,016 + 226,492,416
     * = 1,199,241,216. */
    PlanShape s;
    PlanCheck ck;
    PlanAccounting acc;
    char name[128];
    CHECK_STATUS(plan_model_shape("gpt2", &s, name, sizeof name));
    CHECK_STATUS(plan_check(law, &s, 0, 1e9, &ck));
    CHECK_REL(ck.pt.flops, 1e9 * 1199241216.0, 1e-15);
    CHECK_ABS(ck.pt.params_total, 124439808.0, 0); /* the model's own count, said as such */
    CHECK_STATUS(plan_check_accounting(law, &s, 0, &acc));
    CHECK_ABS(acc.flops_per_token_law, 1199241216.0, 0);
    CHECK(acc.vocab_own == 50257 && acc.vocab_law == 100352);
    CHECK(acc.ctx == 4096 && acc.tied_own == 1 && acc.tied_law == 0);
    CHECK(acc.differs != 0);
    /* untied under the law: 85,054,464 + 2·100352·768 + 1,536 = 239,196,672 */
    CHECK_ABS(acc.params_total_law, 239196672.0, 0);

    /* --seq-len: both sides counted at the given context. 6·12·2048·768 = 113,246,208. */
    CHECK_STATUS(plan_check_ctx(law, &s, 0, 1e9, 2048, &ck));
    CHECK_REL(ck.pt.flops, 1e9 * (510326784.0 + 462422016.0 + 113246208.0), 1e-15);
    CHECK(plan_check_ctx(law, &s, 0, 1e9, -5, &ck) == DW_EINVAL);

    /* The warnings of a check: the optimum's and the shape's, and a negative cost. */
    PlanWarnings ws = {0};
    CHECK_STATUS(plan_check(law, &s, 0, 0, &ck));
    ck.dloss = -0.05; /* as if the optimum were not optimal */
    plan_check_warnings(law, &ck, "gpt2", &ws);
    int neg = 0;
    for (int i = 0; i < ws.n; i++) neg |= strcmp(ws.w[i].code, "negative-cost") == 0;
    CHECK(neg);
    law_free(law);
}

// ----------------------------------------------------------------------------
// case 7: mixture-of-experts configs

#define MOE_BASE_                                                                             \
    "\"hidden_size\": 2048, \"num_hidden_layers\": 27, \"num_attention_heads\": 16, "        \
    "\"intermediate_size\": 10944, \"vocab_size\": 102400, \"hidden_act\": \"silu\""

static const struct {
    const char *text;
    const char *field;
} moe_[] = {
    {"{\"model_type\": \"deepseek_v2\", " MOE_BASE_ ", \"n_routed_experts\": 64}",
     "n_routed_experts"},
    {"{\"model_type\": \"mixtral\", " MOE_BASE_ ", \"num_local_experts\": 8}",
     "num_local_experts"},
    {"{\"model_type\": \"qwen2_moe\", " MOE_BASE_ ", \"num_experts\": 60}", "num_experts"},
    {"{" MOE_BASE_ ", \"moe_num_experts\": 16}", "moe_num_experts"},
    {"{" MOE_BASE_ ", \"ffn_config\": {\"moe_num_experts\": 16, \"moe_top_k\": 4}}",
     "ffn_config.moe_num_experts"},
    {"{" MOE_BASE_ ", \"num_experts_per_tok\": 2}", "num_experts_per_tok"},
    {"{" MOE_BASE_ ", \"n_shared_experts\": 2}", "n_shared_experts"},
    {"{" MOE_BASE_ ", \"moe_intermediate_size\": 1408}", "moe_intermediate_size"},
    {"{\"model_type\": \"llama4\", \"text_config\": {" MOE_BASE_ ", \"num_local_experts\": 16}}",
     "num_local_experts"},
    /* an MoE model_type without any key we know */
    {"{\"model_type\": \"olmoe\", " MOE_BASE_ "}", "model_type"},
};

static void test_moe_refused(void) {
    for (size_t i = 0; i < sizeof moe_ / sizeof moe_[0]; i++) {
        PlanShape s;
        char name[64];
        dw_error_clear();
        int rc = plan_hfconfig_parse(moe_[i].text, "moe.json", &s, name, sizeof name);
        const char *msg = dw_error_get();
        CHECK(rc == DW_EPARSE);
        CHECK(strstr(msg, "moe.json") && strstr(msg, moe_[i].field) &&
              strstr(msg, "mixture-of-experts"));
        if (rc != DW_EPARSE || !strstr(msg, moe_[i].field) || !strstr(msg, "mixture-of-experts"))
            fprintf(stderr, "  moe case %zu (%s): rc %d, \"%s\"\n", i, moe_[i].field, rc, msg);
    }
    /* dense configs that carry an expert count of 0 or 1, or null, are dense */
    const char *dense = "{" MOE_BASE_ ", \"num_experts\": 1, \"n_routed_experts\": null,"
                        " \"num_experts_per_tok\": 0}";
    PlanShape s;
    CHECK_STATUS(plan_hfconfig_parse(dense, "dense.json", &s, NULL, 0));
}

// ----------------------------------------------------------------------------
// case 8: every file in examples/models by its stem

static void test_every_model_by_stem(void) {
    const char *src = getenv("DW_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/examples/models", src && *src ? src : ".");
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d) return;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char stem[256], name[128];
        snprintf(stem, sizeof stem, "%.*s", (int)(len - 5), e->d_name);
        PlanShape s;
        dw_error_clear();
        int rc = plan_model_shape(stem, &s, name, sizeof name);
        CHECK_STATUS(rc);
        if (rc) fprintf(stderr, "  model '%s': %s\n", stem, dw_error_get());
        n++;
    }
    closedir(d);
    CHECK(n >= 6);
}

// ----------------------------------------------------------------------------
// case 9: heads must divide the width

static void test_heads_divide_width(void) {
    PlanShape s;
    PlanCount c;
    plan_shape_default(&s);
    s.depth = 2;
    s.width = 4096;
    s.heads = 33; /* no head_dim given: 4096 / 33 is not whole */
    dw_error_clear();
    CHECK(plan_count(&s, &c) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "33") && strstr(dw_error_get(), "4096"));
    s.heads = 32;
    CHECK_STATUS(plan_count(&s, &c));
    CHECK_ABS(c.attn, 4 * 4096.0 * 4096 + 4 * 4096.0, 0);

    const char *cfg = "{\"model_type\": \"llama\", \"hidden_size\": 4096,"
                      " \"num_hidden_layers\": 2, \"num_attention_heads\": 33,"
                      " \"intermediate_size\": 11008, \"vocab_size\": 32000}";
    dw_error_clear();
    CHECK(plan_hfconfig_parse(cfg, "h33.json", &s, NULL, 0) == DW_EPARSE);
    const char *msg = dw_error_get();
    CHECK(strstr(msg, "h33.json") && strstr(msg, "num_attention_heads") &&
          strstr(msg, "hidden_size"));
}

int main(void) {
    test_flops_at_context();
    test_one_accounting();
    test_moe_refused();
    test_every_model_by_stem();
    test_heads_divide_width();
    return check_done("test_check");
}

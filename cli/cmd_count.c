/* cli/cmd_count.c — `dwplan count`: parameters (both conventions) and training FLOPs of a
 * shape (DESIGN §4.1, docs/counting.md). */
#include <math.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "planner/count.h"
#include "planner/hfconfig.h"
#include "report.h"

static void help_(void) {
    printf("usage: dwplan count (--depth D --width W | --hf-config FILE | --model NAME)\n"
           "                    [--heads H] [--head-dim HD] [--kv-heads K] [--vocab V] [--ffn F]\n"
           "                    [--swiglu] [--tied] [--no-biases] [--rmsnorm] [--seq-len S]\n"
           "                    [--tokens T] [--json]\n"
           "\n"
           "Counts parameters per part and in both conventions (non-embedding, total) and the\n"
           "training FLOPs per token, 6·N_nonembed + 6·V·W + 6·D·ctx·W (and 6·N for comparison).\n"
           "Defaults are the probe's GPT-NeoX block: V = 50257, r = 4, GELU, biases, LayerNorm,\n"
           "untied, heads W/64.\n"
           "\n"
           "  --heads H      attention heads; each is W/H wide, so H must divide W (or give\n"
           "                 --head-dim for H·HD != W, as Gemma 7B's 16 × 256 over 3072)\n"
           "  --seq-len S    the training context (default 1024, the probe's). A config's\n"
           "                 max_position_embeddings is its position limit, not its training\n"
           "                 context, and is never used for FLOPs (it sizes GPT-2's position table)\n"
           "  --json         one JSON object: every part, both counts, seq_len, FLOPs per token\n"
           "\n"
           "Attention FLOPs: 6·D·ctx·W is Kaplan et al.'s term, the causal half of the unmasked\n"
           "QK^T and A·V products (12·D·ctx·W, PaLM's MFU count): the work a causal kernel does.\n"
           "It is not halved again; see docs/counting.md before comparing with another MFU.\n"
           "\n"
           "examples:\n"
           "  dwplan count --depth 24 --width 512          # the paper's 127M model\n"
           "  dwplan count --model llama-2-7b --seq-len 4096 --json\n"
           "  dwplan count --hf-config examples/models/mistral-7b.json --seq-len 8192\n");
}

static int render_json_(const char *name, const PlanShape *s, const PlanCount *c,
                        double fpt_full, double tokens) {
    cJSON *j = cJSON_CreateObject();
    if (name[0]) cJSON_AddStringToObject(j, "model", name);
    cJSON_AddNumberToObject(j, "depth", s->depth);
    cJSON_AddNumberToObject(j, "width", s->width);
    cJSON_AddNumberToObject(j, "heads", s->heads > 0 ? s->heads : s->width / 64);
    cJSON_AddNumberToObject(j, "vocab", s->vocab);
    cJSON_AddNumberToObject(j, "seq_len", s->seq_len);
    if (s->max_pos > 0) cJSON_AddNumberToObject(j, "max_positions", s->max_pos);
    static const char *keys[] = {"attn_per_block", "mlp_per_block", "norms_per_block",
                                 "per_block", "blocks", "embed", "pos", "head",
                                 "final_norm", "params_nonembed", "params_total"};
    double vals[] = {c->attn, c->mlp, c->norms, c->per_block, c->blocks, c->embed, c->pos,
                     c->head, c->final_norm, c->nonembed, c->total};
    for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++)
        cJSON_AddNumberToObject(j, keys[k], vals[k]);
    cJSON_AddNumberToObject(j, "flops_per_token", fpt_full);
    cJSON_AddNumberToObject(j, "flops_per_token_attention", 6 * s->depth * s->seq_len * s->width);
    cJSON_AddNumberToObject(j, "flops_per_token_6N", 6 * c->total);
    if (tokens > 0) cJSON_AddNumberToObject(j, "flops", fpt_full * tokens);
    return report_print_json(j);
}

static void render_text_(const char *name, const PlanShape *s, const PlanCount *c,
                         double fpt_full, double tokens, int seq_given) {
    if (name[0]) printf("%s\n", name);
    printf("shape: %g layers × width %g\n", s->depth, s->width);
    printf("  per block      %.0f  (attention %.0f, MLP %.0f, norms %.0f)\n", c->per_block,
           c->attn, c->mlp, c->norms);
    printf("  blocks         %.0f  (= non-embedding N)\n", c->nonembed);
    printf("  embeddings     %.0f input, %.0f output head, %.0f positions\n", c->embed, c->head,
           c->pos);
    printf("  total          %.0f\n", c->total);
    printf("  context        %d training tokens per sequence%s", s->seq_len,
           seq_given ? "" : " (default; --seq-len sets it)");
    if (s->max_pos > 0) printf("; the config allows %d", s->max_pos);
    printf("\n");
    printf("  FLOPs/token    %.4g  (6N_nonembed + 6VW + 6·D·ctx·W, attention %.4g);  "
           "6·N_total = %.4g\n",
           fpt_full, 6 * s->depth * s->seq_len * s->width, 6 * c->total);
    if (tokens > 0) printf("  training FLOPs %.4g for %.4g tokens\n", fpt_full * tokens, tokens);
}

int cmd_count(int argc, char **argv) {
    PlanShape s;
    const char *hf = NULL, *model = NULL;
    double tokens = 0, head_dim = 0;
    int json = 0, help = 0, rc, seq_len = 0;
    char name[128] = "";
    plan_shape_default(&s);
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &help),         CLI_OPT_FLAG("-h", &help),
        CLI_OPT_FLAG("--json", &json),         CLI_OPT_FLAG("--swiglu", &s.swiglu),
        CLI_OPT_FLAG("--tied", &s.tied),       CLI_OPT_FLAG("--rmsnorm", &s.rmsnorm),
        CLI_OPT_STR("--hf-config", &hf),       CLI_OPT_STR("--model", &model),
        CLI_OPT_NUM("--depth", &s.depth, 0, 0), CLI_OPT_NUM("--width", &s.width, 0, 0),
        CLI_OPT_NUM("--heads", &s.heads, 0, 0), CLI_OPT_NUM("--kv-heads", &s.kv_heads, 0, 0),
        CLI_OPT_NUM("--head-dim", &head_dim, 0, 0),
        CLI_OPT_NUM("--ffn", &s.ffn_dim, 0, 1), CLI_OPT_NUM("--tokens", &tokens, 0, 1),
        CLI_OPT_INT("--vocab", &s.vocab, 1, 100000000),
        CLI_OPT_INT("--seq-len", &seq_len, 1, 100000000)};
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "--no-biases")) {
            s.biases = 0;
            continue;
        }
        int r = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "count");
        if (r < 0) return -r;
        if (r == 0) return cli_usage_error("count", "unknown option '%s'", argv[i]);
        if (help) {
            help_();
            return 0;
        }
    }
    if (model) {
        if (hf) return cli_usage_error("count", "give --hf-config or --model, not both");
        hf = model;
    }
    if (hf) {
        if ((rc = plan_model_shape(hf, &s, name, sizeof name))) return cli_fail("count", rc);
    } else if (!(s.depth > 0 && s.width > 0)) {
        return cli_usage_error("count", "give --depth and --width, or --hf-config/--model");
    } else {
        /* a model has whole layers, widths and heads (check refuses the same); plan_count
         * takes fractional depth and width for the planner's continuous search */
        const struct {
            const char *opt;
            double v;
        } whole[] = {{"--depth", s.depth}, {"--width", s.width}, {"--head-dim", head_dim},
                     {"--ffn", s.ffn_dim}};
        for (size_t k = 0; k < sizeof whole / sizeof whole[0]; k++)
            if (whole[k].v != floor(whole[k].v))
                return cli_usage_error("count", "%s must be a whole number (got %g)",
                                       whole[k].opt, whole[k].v);
        if (head_dim > 0 && !(s.heads > 0))
            return cli_usage_error("count", "--head-dim goes with --heads");
        s.head_dim = head_dim; /* 0: W / heads, which must then divide W */
    }
    if (seq_len > 0) s.seq_len = seq_len;
    PlanCount c;
    if ((rc = plan_count(&s, &c))) return cli_fail("count", rc);
    LawConventions conv;
    law_conventions_default(&conv);
    conv.vocab = s.vocab;
    conv.seq_len = s.seq_len;
    double fpt_full = plan_flops_per_token(&conv, &s);
    if (json) return render_json_(name, &s, &c, fpt_full, tokens);
    render_text_(name, &s, &c, fpt_full, tokens, seq_len > 0);
    return 0;
}

/* cli/cmd_check.c — `dwplan check`: is a shape past its critical depth, and what does its
 * shape cost against the law's optimum at the same compute? */
#include <math.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwfmt.h"
#include "planner/hfconfig.h"
#include "planner/plan.h"
#include "report.h"

static void help_(void) {
    printf(
        "usage: dwplan check (--depth D --width W [--heads H] | --hf-config FILE | --model NAME)\n"
        "                    [--tokens T | --compute C] [--law FILE|PRESET] [--json]\n"
        "\n"
        "Evaluates an existing or proposed shape under a law: its critical depth D_crit(W),\n"
        "D/D_crit, predicted loss, and the loss it gives up against the law's optimal shape at\n"
        "the same training compute. Without --tokens or --compute the shape is assumed trained\n"
        "on 20 tokens per parameter (Chinchilla's rule), and the output says so.\n"
        "\n"
        "  --hf-config FILE   a Hugging Face config.json (hidden_size, num_hidden_layers,\n"
        "                     num_attention_heads, num_key_value_heads, intermediate_size,\n"
        "                     vocab_size, tie_word_embeddings)\n"
        "  --model NAME       a built-in shape: gpt2, pythia-1.4b, llama-2-7b, llama-3-8b,\n"
        "                     llama-3-70b, mistral-7b (examples/models/)\n"
        "  --depth/--width    a block shape in the law's conventions (heads: W over the\n"
        "                     planner's head width, 32 below W = 256, 64 below 2048, else 128)\n"
        "\n"
        "examples:\n"
        "  dwplan check --depth 64 --width 2816 --tokens 140e9\n"
        "  dwplan check --hf-config examples/models/llama-3-70b.json --tokens 15e12\n"
        "\n"
        "exit codes: 0 ok, 1 no optimum found, 2 usage, 3 bad config or law file, 4 system\n");
}

static int render_json_(const char *name, const Law *law, const PlanCheck *ck) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", name);
    cJSON_AddItemToObject(j, "law", report_law_json(law));
    cJSON_AddItemToObject(j, "shape", report_point_json(&ck->pt));
    cJSON_AddBoolToObject(j, "tokens_assumed_20_per_param", ck->tokens_assumed);
    cJSON_AddItemToObject(j, "optimal_at_same_compute", report_point_json(&ck->opt.real));
    cJSON_AddNumberToObject(j, "loss_cost", ck->dloss);
    cJSON_AddBoolToObject(j, "past_critical_depth", ck->past_dcrit);
    return report_print_json(j);
}

static int render_text_(const char *name, const Law *law, const PlanCheck *ck) {
    const PlanPoint *pt = &ck->pt, *o = &ck->opt.real;
    char n1[32], n2[32], t[32], c[32];
    dw_fmt_count(pt->params_nonembed, n1, sizeof n1);
    dw_fmt_count(pt->params_total, n2, sizeof n2);
    dw_fmt_count(pt->tokens, t, sizeof t);
    dw_fmt_sci(pt->flops, c, sizeof c);
    printf("dwplan check: %s — %.0f layers × width %.0f (%d heads × %d)\n", name, pt->depth,
           pt->width, pt->heads, pt->head_dim);
    report_law_line(stdout, law);
    printf("\n  params        %s non-embedding, %s total\n", n1, n2);
    printf("  tokens        %s%s;  compute %s FLOPs\n", t,
           ck->tokens_assumed ? " (assumed: 20 tokens per parameter; pass --tokens)" : "", c);
    printf("  loss          %.4f nats/token (law's prediction)\n", pt->loss);
    if (pt->dcrit_kind > 0)
        printf("  D_crit(W)     none: under this law loss falls with depth at this width\n");
    else
        printf("  D_crit(W)     %.1f layers;  D/D_crit = %.2f — %s\n", pt->dcrit,
               pt->depth / pt->dcrit,
               ck->past_dcrit ? "PAST the critical depth: layers beyond it add loss"
                              : "within the critical depth");
    printf("\n  optimal at the same compute: %.0f layers × %.0f (%d heads), T %.3g, loss %.4f\n",
           o->depth, o->width, o->heads, o->tokens, o->loss);
    printf("  loss cost of this shape: %+.4f nats/token\n", ck->dloss);
    return 0;
}

int cmd_check(int argc, char **argv) {
    const char *law_name = LAW_DEFAULT_PRESET, *hf = NULL, *model = NULL;
    double depth = 0, width = 0, heads = 0, tokens = 0, compute = 0;
    int json = 0, help = 0, code = 0, rc;
    Law *law = NULL;
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &help),      CLI_OPT_FLAG("-h", &help),
        CLI_OPT_FLAG("--json", &json),      CLI_OPT_NUM("--depth", &depth, 0, 0),
        CLI_OPT_NUM("--width", &width, 0, 0), CLI_OPT_NUM("--heads", &heads, 0, 0),
        CLI_OPT_NUM("--tokens", &tokens, 0, 1), CLI_OPT_NUM("--compute", &compute, 0, 1),
        CLI_OPT_STR("--law", &law_name),    CLI_OPT_STR("--hf-config", &hf),
        CLI_OPT_STR("--model", &model)};
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "check");
        if (r < 0) return -r;
        if (r == 0) return cli_usage_error("check", "unknown option '%s'", argv[i]);
        if (help) {
            help_();
            return 0;
        }
    }
    int sources = (hf != NULL) + (model != NULL) + (depth > 0 || width > 0);
    if (sources != 1)
        return cli_usage_error("check", "give exactly one of --depth/--width, --hf-config, --model");
    if (!hf && !model && !(depth > 0 && width > 0))
        return cli_usage_error("check", "--depth and --width go together");
    if (!hf && !model && (depth != floor(depth) || width != floor(width)))
        return cli_usage_error("check", "--depth and --width must be whole numbers");
    if (tokens > 0 && compute > 0)
        return cli_usage_error("check", "give --tokens or --compute, not both");

    if ((rc = law_load(law_name, &law))) return cli_fail("check", rc);
    PlanShape shape;
    char name[128] = "";
    if (hf || model) {
        if ((rc = plan_model_shape(hf ? hf : model, &shape, name, sizeof name))) {
            code = cli_fail("check", rc);
            goto out;
        }
    } else {
        plan_shape_at(law, depth, width, 0, &shape);
        if (heads > 0) {
            shape.heads = heads;
            shape.head_dim = 0;
        } else {
            shape.head_dim = plan_default_head_dim(width); /* the planner's rule */
            shape.heads = width / shape.head_dim;
            if (shape.heads != floor(shape.heads)) shape.heads = 0, shape.head_dim = 0;
        }
        snprintf(name, sizeof name, "%gx%g", depth, width);
    }
    PlanCheck ck;
    if ((rc = plan_check(law, &shape, compute, tokens, &ck))) {
        code = cli_fail("check", rc);
        goto out;
    }
    code = json ? render_json_(name, law, &ck) : render_text_(name, law, &ck);
out:
    law_free(law);
    return code;
}

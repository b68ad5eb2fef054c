/* cli/cmd_check.c — `dwplan check`: is a shape past its critical depth, and what does its
 * shape cost against the law's optimum at the same compute, both counted the law's way
 * (planner/check.h)? */
#include <math.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwfmt.h"
#include "planner/check.h"
#include "planner/hfconfig.h"
#include "planner/laws.h"
#include "planner/plan.h"
#include "planner/region.h"
#include "planner/warn.h"
#include "plan_render.h"
#include "report.h"

/* The region at the shape's compute and the laws side by side (issue 13, part 5). */
typedef struct {
    int region;          /* the region was computed */
    PlanRegion g;
    char eps_why[320];
    int percent;
    double dbest;        /* the shape's loss − the region's best real shape's */
    double p;            /* share of draws under which the shape is within eps; NaN: none */
    int inside;          /* dbest <= eps */
    PlanLawTable lt;     /* n = 0: --laws none */
} CheckMore;

static void help_(void) {
    printf(
        "usage: dwplan check (--depth D --width W [--heads H] | --hf-config FILE | --model NAME)\n"
        "                    [--tokens T | --compute C] [--seq-len S] [--law FILE|PRESET]\n"
        "                    [--within EPS|P%%|off] [--laws A,B|none] [--json]\n"
        "\n"
        "Evaluates an existing or proposed shape under a law: its critical depth D_crit(W),\n"
        "D/D_crit, predicted loss, and the loss it gives up against the law's optimal shape at\n"
        "the same training compute. Without --tokens or --compute the shape is assumed trained\n"
        "on 20 tokens per parameter (its own total; Chinchilla's rule), and the output says so.\n"
        "\n"
        "One accounting: the law's N and C are defined by its conventions, so the named model\n"
        "is counted as the optimum is: its own blocks (depth, width, heads, MLP, norms) with\n"
        "the law's vocabulary, tying, training context and FLOP formula, no learned position\n"
        "table. The output names what differs from the model's own (V, tying, positions); its\n"
        "own parameter counts are printed too. A shape that beats the optimum by more than\n"
        "1e-4 nats is a bug signal and is warned as such.\n"
        "\n"
        "  --hf-config FILE   a Hugging Face config.json (hidden_size, num_hidden_layers,\n"
        "                     num_attention_heads, num_key_value_heads, intermediate_size,\n"
        "                     vocab_size, tie_word_embeddings); mixture-of-experts configs\n"
        "                     are refused (exit 3, naming the field)\n"
        "  --model NAME       a built-in shape: gpt2, pythia-1.4b, llama-2-7b, llama-3-8b,\n"
        "                     llama-3-70b, mistral-7b (examples/models/)\n"
        "  --depth/--width    a block shape in the law's conventions (heads: W over the\n"
        "                     planner's head width, 32 below W = 256, 64 below 2048, else 128;\n"
        "                     --heads H must divide W)\n"
        "  --seq-len S        training context for the shape and the optimum (default the\n"
        "                     law's); max_position_embeddings is never used as it\n"
        "  --within EPS|P%%|off  the near-optimal region at the shape's compute (as plan:\n"
        "                     default max(0.005-nat noise floor, the law's own loss\n"
        "                     uncertainty capped at 0.01)): is the shape inside it, its\n"
        "                     +nats over the best real shape, P(within) from the draws\n"
        "  --laws A,B|none    the laws the shape is judged under at the same compute\n"
        "                     (default every embedded preset): each one's own best shape,\n"
        "                     the shape's regret, and its critical depth under that law\n"
        "  --json             one JSON object: shape, optimum, loss_cost, accounting,\n"
        "                     region, laws, warnings\n"
        "\n"
        "examples:\n"
        "  dwplan check --depth 64 --width 2816 --tokens 140e9\n"
        "  dwplan check --hf-config examples/models/llama-3-70b.json --tokens 15e12\n"
        "  dwplan check --model mistral-7b --seq-len 8192 --tokens 2e12 --json\n"
        "\n"
        "exit codes: 0 ok, 1 no optimum found, 2 usage, 3 bad config or law file, 4 system\n");
}

static const char *level_name_(PlanWarnLevel l) {
    return l == PLAN_WARN_SEVERE ? "severe" : l == PLAN_WARN_CAUTION ? "caution" : "note";
}

static cJSON *accounting_json_(const PlanAccounting *a) {
    cJSON *j = cJSON_CreateObject(), *law = cJSON_CreateObject(), *own = cJSON_CreateObject();
    cJSON_AddNumberToObject(law, "vocab", a->vocab_law);
    cJSON_AddNumberToObject(law, "seq_len", a->ctx);
    cJSON_AddBoolToObject(law, "tied", a->tied_law);
    cJSON_AddNumberToObject(law, "params_total", a->params_total_law);
    cJSON_AddNumberToObject(law, "params_law", a->params_law);
    cJSON_AddNumberToObject(law, "flops_per_token", a->flops_per_token_law);
    cJSON_AddNumberToObject(own, "vocab", a->vocab_own);
    cJSON_AddBoolToObject(own, "tied", a->tied_own);
    if (a->max_pos_own > 0) cJSON_AddNumberToObject(own, "max_positions", a->max_pos_own);
    cJSON_AddBoolToObject(own, "learned_positions", a->learned_pos_own);
    cJSON_AddNumberToObject(own, "params_total", a->params_total_own);
    cJSON_AddNumberToObject(own, "flops_per_token", a->flops_per_token_own);
    cJSON_AddStringToObject(j, "used", "law");
    cJSON_AddItemToObject(j, "law", law);
    cJSON_AddItemToObject(j, "model", own);
    return j;
}

static void more_json_(cJSON *j, const CheckMore *m) {
    if (m->region) {
        cJSON *g = cli_region_json(&m->g, m->eps_why, &(PlanPoint){0});
        cJSON_DeleteItemFromObject(g, "recommended_inside");
        cJSON_DeleteItemFromObject(g, "recommended_p_within");
        cJSON_AddBoolToObject(g, "shape_inside", m->inside);
        cJSON_AddNumberToObject(g, "shape_dloss_over_best", m->dbest);
        dw_json_add_num(g, "shape_p_within", m->p);
        cJSON_AddItemToObject(j, "region", g);
    }
    if (m->lt.n) {
        cJSON_AddItemToObject(j, "laws", cli_laws_json(&m->lt));
        cJSON_AddStringToObject(j, "laws_agree", m->lt.agree);
    }
}

static int render_json_(const char *name, const Law *law, const PlanCheck *ck,
                        const PlanAccounting *acc, const PlanWarnings *ws, const CheckMore *m) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", name);
    cJSON_AddItemToObject(j, "law", report_law_json(law));
    cJSON_AddItemToObject(j, "shape", report_point_json(&ck->pt));
    cJSON_AddBoolToObject(j, "tokens_assumed_20_per_param", ck->tokens_assumed);
    cJSON_AddItemToObject(j, "optimal_at_same_compute", report_point_json(&ck->opt.real));
    cJSON_AddNumberToObject(j, "loss_cost", ck->dloss);
    cJSON_AddBoolToObject(j, "past_critical_depth", ck->past_dcrit);
    dw_json_add_num(j, "past_critical_depth_cost", ck->past_dcrit_cost);
    cJSON_AddItemToObject(j, "accounting", accounting_json_(acc));
    more_json_(j, m);
    cJSON *wa = cJSON_AddArrayToObject(j, "warnings");
    for (int i = 0; i < ws->n; i++) {
        cJSON *w = cJSON_CreateObject();
        cJSON_AddStringToObject(w, "level", level_name_(ws->w[i].level));
        cJSON_AddStringToObject(w, "code", ws->w[i].code);
        cJSON_AddStringToObject(w, "text", ws->w[i].text);
        cJSON_AddItemToArray(wa, w);
    }
    return report_print_json(j);
}

/* "counted with the law's V = 100352 and ctx = 4096 (untied, no position table); gpt2's own:
 * V 50257, tied, 1024 learned positions" */
static void render_accounting_(const char *name, const PlanAccounting *a) {
    char tl[32], tw[32];
    dw_fmt_count(a->params_total_law, tl, sizeof tl);
    dw_fmt_count(a->params_total_own, tw, sizeof tw);
    printf("  accounting    counted with the law's V = %d and ctx = %d (%s, no position table)",
           a->vocab_law, a->ctx, a->tied_law ? "tied" : "untied");
    if (!(a->differs & (PLAN_ACC_VOCAB | PLAN_ACC_TIED | PLAN_ACC_POS))) {
        printf(", as %s itself\n", name);
    } else {
        printf(";\n                %s's own: V %d, %s", name, a->vocab_own,
               a->tied_own ? "tied" : "untied");
        if (a->learned_pos_own) printf(", %d learned positions", a->max_pos_own);
        printf(" (%s total as built, %s as the law counts)\n", tw, tl);
    }
    if (a->differs & PLAN_ACC_CTX)
        printf("                note: ctx %d exceeds the %d positions %s allows\n", a->ctx,
               a->max_pos_own, name);
}

static void more_text_(const char *name, const Law *law, const CheckMore *m) {
    if (m->region) {
        const PlanRegion *g = &m->g;
        char c[32], p[256] = "";
        printf("\n  near-optimal region at %s FLOPs under %s: real shapes within %.2g nats of "
               "the best (%.4f);\n    tolerance: %s\n", dw_fmt_sci(g->compute, c, sizeof c),
               law->name, g->eps, g->best_loss, m->eps_why);
        char n0[16], n1[16];
        if (g->shape_free)
            printf("    a band of N, not of shapes (the law has no shape term): N %s..%s\n",
                   dw_fmt_count(g->params_lo, n0, sizeof n0),
                   dw_fmt_count(g->params_hi, n1, sizeof n1));
        else
            printf("    %d shapes: depth %.0f..%.0f, width %.0f..%.0f\n", g->n, g->depth_lo,
                   g->depth_hi, g->width_lo, g->width_hi);
        if (isfinite(m->p))
            snprintf(p, sizeof p, "; P(within) %.2f over %d parameter draws", m->p, g->ndraws);
        else
            snprintf(p, sizeof p, "; P(within): no draws (%s)", g->draws_why);
        printf("    %s is %s it: %+.4f nats over the best real shape%s\n", name,
               m->inside ? "INSIDE" : "OUTSIDE", fabs(m->dbest) < 5e-5 ? 0.0 : m->dbest, p);
    }
    if (m->lt.n) {
        cli_laws_text(&m->lt, name, "the same compute", law->name);
        cli_laws_dcrit_text(&m->lt, name);
    }
}

static int render_text_(const char *name, const Law *law, const PlanCheck *ck,
                        const PlanAccounting *acc, const PlanWarnings *ws, const CheckMore *m) {
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
    render_accounting_(name, acc);
    printf("  tokens        %s%s;  compute %s FLOPs\n", t,
           ck->tokens_assumed ? " (assumed: 20 tokens per parameter; pass --tokens)" : "", c);
    printf("  loss          %.4f nats/token (law's prediction)\n", pt->loss);
    if (pt->dcrit_kind == PLAN_DCRIT_NO_SHAPE)
        printf("  D_crit(W)     none: the law has no shape term (depth enters only through N)\n");
    else if (pt->dcrit_kind > 0)
        printf("  D_crit(W)     none: under this law loss falls with depth at this width\n");
    else if (ck->past_dcrit && isfinite(ck->past_dcrit_cost))
        printf("  D_crit(W)     %.1f layers;  D/D_crit = %.2f — PAST the critical depth: under "
               "this law the layers beyond it add %+.4f nats (same width and tokens)\n",
               pt->dcrit, pt->depth / pt->dcrit, ck->past_dcrit_cost);
    else
        printf("  D_crit(W)     %.1f layers;  D/D_crit = %.2f — %s\n", pt->dcrit,
               pt->depth / pt->dcrit,
               ck->past_dcrit ? "PAST the critical depth: layers beyond it add loss"
                              : "within the critical depth");
    printf("\n  optimal at the same compute: %.0f layers × %.0f (%d heads), T %.3g, loss %.4f\n",
           o->depth, o->width, o->heads, o->tokens, o->loss);
    printf("  loss cost of this shape: %+.4f nats/token\n", fabs(ck->dloss) < 5e-5 ? 0 : ck->dloss);
    more_text_(name, law, m);
    if (ws->n > 0) printf("\n");
    for (int i = 0; i < ws->n; i++)
        printf("  warning (%s): %s\n", level_name_(ws->w[i].level), ws->w[i].text);
    return 0;
}

/* The shape to check: a named model or --depth/--width in the law's conventions. */
static int shape_of_(const Law *law, const char *src, double depth, double width, double heads,
                     PlanShape *shape, char *name, size_t n) {
    if (src) return plan_model_shape(src, shape, name, n);
    plan_shape_at(law, depth, width, 0, shape);
    if (heads > 0) {
        shape->heads = heads;
        shape->head_dim = 0; /* W / heads: plan_count refuses heads that do not divide W */
    } else {
        shape->head_dim = plan_default_head_dim(width); /* the planner's rule */
        shape->heads = width / shape->head_dim;
        if (shape->heads != floor(shape->heads)) shape->heads = 0, shape->head_dim = 0;
    }
    snprintf(name, n, "%gx%g", depth, width);
    return DW_OK;
}

/* The region at the shape's compute and the shape under each law into m. `law` is the
 * recommending law at the training context used (the caller set --seq-len). Returns 0 or an
 * exit code after printing the error. */
static int more_(const char *within, const char *laws, Law *law, int seq_len,
                 const PlanShape *shape, const PlanCheck *ck, CheckMore *m) {
    int given, rc;
    double eps;
    Law **set = NULL;
    int nset = 0;
    m->p = NAN;
    if ((rc = cli_within("check", within, law, &ck->opt, &eps, &m->percent, &given, m->eps_why,
                         sizeof m->eps_why)))
        return rc;
    if (eps > 0) {
        const PlanPoint *pt = &ck->pt;
        LawX x = {.depth = pt->depth, .width = pt->width, .params = pt->params_law,
                  .tokens = pt->tokens};
        if ((rc = plan_region(law, &ck->opt, eps, 200, &m->g)) ||
            (rc = plan_region_p_point(law, &m->g, &x, &m->p)))
            return cli_fail("check", rc);
        m->region = 1;
        m->dbest = pt->loss - m->g.best_loss;
        m->inside = m->dbest <= eps;
    }
    if ((rc = cli_laws_load("check", laws, law, seq_len, &set, &nset))) return rc;
    if (nset && (rc = plan_laws_compare_shape((const Law *const *)set, nset, &ck->opt, shape,
                                              &m->lt)))
        rc = cli_fail("check", rc);
    cli_laws_free(set, nset, law);
    return rc;
}

int cmd_check(int argc, char **argv) {
    const char *law_name = LAW_DEFAULT_PRESET, *hf = NULL, *model = NULL, *within = NULL,
               *laws = NULL;
    CheckMore more = {0};
    double depth = 0, width = 0, heads = 0, tokens = 0, compute = 0;
    int json = 0, help = 0, code = 0, rc, seq_len = 0;
    Law *law = NULL;
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &help),      CLI_OPT_FLAG("-h", &help),
        CLI_OPT_FLAG("--json", &json),      CLI_OPT_NUM("--depth", &depth, 0, 0),
        CLI_OPT_NUM("--width", &width, 0, 0), CLI_OPT_NUM("--heads", &heads, 0, 0),
        CLI_OPT_NUM("--tokens", &tokens, 0, 1), CLI_OPT_NUM("--compute", &compute, 0, 1),
        CLI_OPT_INT("--seq-len", &seq_len, 1, 100000000),
        CLI_OPT_STR("--law", &law_name),    CLI_OPT_STR("--hf-config", &hf),
        CLI_OPT_STR("--model", &model),   CLI_OPT_STR("--within", &within),
        CLI_OPT_STR("--laws", &laws)};
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
    PlanCheck ck;
    PlanAccounting acc;
    PlanWarnings ws = {0};
    char name[128] = "";
    if ((rc = shape_of_(law, hf ? hf : model, depth, width, heads, &shape, name, sizeof name)) ||
        (rc = plan_check_accounting(law, &shape, seq_len, &acc)) ||
        (rc = plan_check_ctx(law, &shape, compute, tokens, seq_len, &ck))) {
        code = cli_fail("check", rc);
        goto out;
    }
    char origin[300];
    if ((rc = plan_point_meaningful(&ck.pt, name, law_origin_text(law_name, origin,
                                                                  sizeof origin)))) {
        code = cli_fail("check", rc); /* a number beyond meaning is refused, not printed */
        goto out;
    }
    plan_check_warnings(law, &ck, name, &ws);
    if (seq_len > 0) law->conv.seq_len = seq_len; /* as plan_check_ctx counted */
    if ((code = more_(within, laws, law, seq_len, &shape, &ck, &more))) goto out;
    code = json ? render_json_(name, law, &ck, &acc, &ws, &more)
                : render_text_(name, law, &ck, &acc, &ws, &more);
out:
    plan_region_free(&more.g);
    plan_laws_free(&more.lt);
    law_free(law);
    return code;
}

/* cli/cmd_plan.c — `dwplan plan` (also `dwplan --compute C`): the compute-optimal shape
 * under a law, its reasoning, alternatives, budget sweeps and a Hugging Face config. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwfmt.h"
#include "common/dwjson.h"
#include "fit/paper.h"
#include "planner/hardware.h"
#include "planner/hfconfig.h"
#include "planner/plan.h"
#include "planner/laws.h"
#include "planner/region.h"
#include "planner/warn.h"
#include "plan_render.h"
#include "report.h"

static void help_(void) {
    printf(
        "usage: dwplan plan BUDGET [options]     (\"plan\" may be omitted)\n"
        "\n"
        "Finds the depth, width and token count that minimise the predicted loss under a\n"
        "scaling law at a fixed training compute, rounds it to a real shape and explains it.\n"
        "\n"
        "budget (one of):\n"
        "  --compute C            training FLOPs, e.g. 1e22\n"
        "  --gpu NAME --gpus N --days D [--mfu F]\n"
        "                         C = dense bf16 peak × N × D × 86400 × F (F default 0.4)\n"
        "  --params N             best shape with N parameters (law's convention) and its\n"
        "                         compute-optimal tokens; add --compute to fix the budget too\n"
        "  --tokens T             the compute-optimal plan that trains on T tokens; add\n"
        "                         --compute to fix both (the model size follows)\n"
        "options:\n"
        "  --law FILE|PRESET      law file or embedded preset (default %s;\n"
        "                         see dwplan law list)\n"
        "  --sweep-compute LO:HI  solve across budgets; print exponents of D*, W*, N*, T* vs C\n"
        "  --points N             budgets in the sweep (default 4 per decade, at least 33)\n"
        "  --draws N              parameter draws for the intervals of D*, W*, N*, T* when the\n"
        "                         law has no bootstrap draws (default 200; 0 turns them off)\n"
        "  --vs MODEL             compare with a model shape (built-in name or config.json);\n"
        "                         default: the built-in model nearest in size\n"
        "  --head-dim H           head width (default 32 below W = 256, 64 below 2048, else\n"
        "                         128)\n"
        "  --heads-multiple K     heads a multiple of K, so W is a multiple of K × head width\n"
        "                         (default 8, for tensor parallelism; 1 allows any count)\n"
        "  --seq-len S            training context for the attention FLOPs (default: the\n"
        "                         law's context)\n"
        "  --within EPS|P%%|off    the near-optimal region: every real shape at the budget\n"
        "                         within EPS nats (or P%% of the loss, e.g. 0.2%%) of the best,\n"
        "                         with the share of parameter draws under which each is\n"
        "                         within it; given, it lists one row per width. Default: a\n"
        "                         summary at max(0.005-nat noise floor, the law's own loss\n"
        "                         uncertainty capped at 0.01; docs/options.md); off hides it.\n"
        "                         Taken at a fixed compute: not with a fixed N or T\n"
        "  --laws A,B,...|none    the laws the recommendation is judged under (presets or\n"
        "                         law files; default every embedded preset): each law's own\n"
        "                         best shape at the same budget and the recommendation's\n"
        "                         regret under it; none hides the table\n"
        "  --max-depth D          depth search limit (default 1024)\n"
        "  --emit hf-config       print a Hugging Face config.json of the recommended shape\n"
        "                         (JSON already: --json changes nothing)\n"
        "  --json                 machine-readable output\n"
        "  --list-gpus            the accelerator table with sources\n"
        "\n"
        "examples:\n"
        "  dwplan --compute 1e22\n"
        "  dwplan plan --gpu h100 --gpus 512 --days 30 --mfu 0.4 --json\n"
        "  dwplan plan --compute 1e23 --emit hf-config > config.json\n"
        "  dwplan plan --params 7e9 --tokens 2e12\n"
        "  dwplan plan --compute 1e22 --law gemstones --within 0.005\n"
        "  dwplan plan --sweep-compute 1e18:1e25 --law chinchilla-epoch\n"
        "\n"
        "Rounding to a real shape keeps what you fixed: a fixed N within 2%%, a fixed T\n"
        "exactly, C exactly unless T is fixed too (then within 2%%); the output says how far\n"
        "rounding moved each quantity. Alternatives hold the same quantities. A named model\n"
        "is counted with the law's vocabulary, context and FLOP convention.\n"
        "\n"
        "exit codes: 0 ok, 1 no feasible shape, 2 usage, 3 bad law file, 4 system error\n",
        LAW_DEFAULT_PRESET);
}

static int list_gpus_(int json) {
    int n;
    const PlanGpu *g = plan_gpu_table(&n);
    if (json) {
        cJSON *a = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", g[i].name);
            cJSON_AddNumberToObject(o, "bf16_flops", g[i].bf16_flops);
            cJSON_AddStringToObject(o, "source", g[i].source);
            if (g[i].note && g[i].note[0]) cJSON_AddStringToObject(o, "note", g[i].note);
            cJSON_AddItemToArray(a, o);
        }
        return report_print_json(a);
    }
    printf("%-12s %14s  %s\n", "gpu", "dense bf16", "source");
    for (int i = 0; i < n; i++)
        printf("%-12s %9.0f TFLOP/s  %s%s%s\n", g[i].name, g[i].bf16_flops / 1e12, g[i].source,
               g[i].note && g[i].note[0] ? "; " : "", g[i].note ? g[i].note : "");
    return 0;
}

/* A loss difference to 4 decimals, never "-0.0000". */
static const char *fmt_delta_(double d, char *buf, size_t n) {
    if (!isfinite(d)) snprintf(buf, n, "n/a");
    else if (fabs(d) < 5e-5) snprintf(buf, n, "+0.0000");
    else snprintf(buf, n, "%+.4f", d);
    return buf;
}

static void fmt_range_(const double ci[2], int count, char *buf, size_t n) {
    char a[24], b[24];
    if (!isfinite(ci[0])) {
        snprintf(buf, n, "%s", "");
        return;
    }
    if (count) {
        dw_fmt_count(ci[0], a, sizeof a);
        dw_fmt_count(ci[1], b, sizeof b);
    } else {
        snprintf(a, sizeof a, "%.1f", ci[0]);
        snprintf(b, sizeof b, "%.1f", ci[1]);
    }
    snprintf(buf, n, "[%s, %s]", a, b);
}

/* The interval column of one quantity: "fixed" for what the request fixed. */
static void interval_col_(const PlanResult *r, int fix_bit, const double ci[2], int count,
                          char *buf, size_t n) {
    if (r && (r->fixed & fix_bit)) snprintf(buf, n, "fixed");
    else fmt_range_(r ? ci : (double[2]){NAN, NAN}, count, buf, n);
}

static void print_point_(const char *title, const PlanPoint *pt, const PlanResult *r) {
    char n1[32], n2[32], t[32], c[32], ci[80], line[96];
    dw_fmt_count(pt->params_nonembed, n1, sizeof n1);
    dw_fmt_count(pt->params_total, n2, sizeof n2);
    dw_fmt_count(pt->tokens, t, sizeof t);
    dw_fmt_sci(pt->flops, c, sizeof c);
    printf("%s%s\n", title, r ? "                                  95% interval of the optimum" : "");
    snprintf(line, sizeof line, "%.0f layers", pt->depth);
    interval_col_(r, 0, r ? r->depth_ci : NULL, 0, ci, sizeof ci);
    printf("  depth D       %-36s %s\n", line, ci);
    snprintf(line, sizeof line, "%.0f  (%d heads × %d)", pt->width, pt->heads, pt->head_dim);
    interval_col_(r, 0, r ? r->width_ci : NULL, 1, ci, sizeof ci);
    printf("  width W       %-36s %s\n", line, ci);
    snprintf(line, sizeof line, "%s non-embedding, %s total", n1, n2);
    interval_col_(r, PLAN_FIX_PARAMS, r ? r->params_ci : NULL, 1, ci, sizeof ci);
    printf("  params N      %-36s %s\n", line, ci);
    snprintf(line, sizeof line, pt->tokens_per_param >= 0.1 ? "%s  (%.1f per parameter)"
                                                             : "%s  (%.2g per parameter)",
             t, pt->tokens_per_param);
    interval_col_(r, PLAN_FIX_TOKENS, r ? r->tokens_ci : NULL, 1, ci, sizeof ci);
    printf("  tokens T      %-36s %s\n", line, ci);
    printf("  compute       %s FLOPs%s\n", c, r && (r->fixed & PLAN_FIX_COMPUTE) ? "  (fixed)" : "");
}

/* "N +1.2% (fixed 7.00B, within 2%)" for one quantity of the rounding line. */
static void moved_item_(const PlanResult *r, int k, char *buf, size_t n) {
    static const char *const name[3] = {"N", "T", "C"};
    static const int bit[3] = {PLAN_FIX_PARAMS, PLAN_FIX_TOKENS, PLAN_FIX_COMPUTE};
    const double want[3] = {r->req.params, r->req.tokens, r->req.compute};
    const double got[3] = {r->real.params_law, r->real.tokens, r->real.flops};
    char v[32], w[32];
    if (r->fixed & bit[k]) {
        double rel = got[k] / want[k] - 1;
        dw_fmt_sci_short(want[k], w, sizeof w);
        if (fabs(rel) < 1e-12) snprintf(v, sizeof v, "exact");
        else snprintf(v, sizeof v, "%+.2f%%", 100 * rel);
        snprintf(buf, n, "%s %s (fixed at %s)", name[k], v, w);
    } else {
        double rel = r->moved[k];
        if (fabs(rel) < 1e-12) snprintf(buf, n, "%s exact", name[k]);
        else snprintf(buf, n, "%s %+.2f%%", name[k], 100 * rel);
    }
}

static void print_rounding_(const PlanResult *r) {
    char it[3][80];
    for (int k = 0; k < 3; k++) moved_item_(r, k, it[k], sizeof it[k]);
    printf("  rounding:     %s, %s, %s from the continuous optimum; width a multiple of %d "
           "(%d heads × %d)\n", it[0], it[1], it[2], r->width_step, r->heads_multiple,
           r->real.head_dim);
    if (r->round_note[0]) printf("                note: %s\n", r->round_note);
    for (int i = 0; i < r->nnotes; i++) printf("                note: %s\n", r->interval_notes[i]);
}

static void print_dcrit_(const Law *law, const PlanPoint *pt, const double ci[2]) {
    if (!law_form_has_shape(&law->form)) {
        printf("  D_crit(W)     none: the law has no shape term (depth enters only through N)\n");
        return;
    }
    if (pt->dcrit_kind > 0) {
        printf("  D_crit(W)     none: under this law loss still falls with depth at W = %.0f\n",
               pt->width);
        return;
    }
    printf("  D_crit(W)     %.1f layers at W = %.0f;  D/D_crit = %.2f", pt->dcrit, pt->width,
           pt->depth / pt->dcrit);
    int k = law_form_param_index(&law->form, "kappa");
    if (k >= 0 && (law->fixed >> k & 1))
        printf("  (kappa = %.3g held fixed in the fit: no interval)\n", law->p[k]);
    else if (ci && isfinite(ci[0]))
        printf("  95%% [%.1f, %.1f]\n", ci[0], ci[1]);
    else
        printf("  (no interval)\n");
}

static void reasoning_(const Law *law, const PlanResult *r) {
    const PlanPoint *o = &r->real;
    printf("why:\n");
    if (r->shape_free) {
        printf("  This law (%s) has no shape term (no depth or width in it): it fixes N and T\n"
               "  only, so the aspect ratio W/D = %.0f is imposed, not chosen (Kaplan et al.\n"
               "  found loss flat over a wide range of aspect ratios). Use a law with a shape\n"
               "  term to choose it.\n",
               law->name, r->req.aspect);
    } else {
        double ratio = plan_iso_n_depth_ratio(law);
        if (isfinite(ratio) && o->dcrit_kind == 0)
            printf("  At fixed parameter count the law's loss is lowest at D0(W) = D_crit(W)·e^(-1/2γ)\n"
                   "  = %.2f·D_crit (γ = %.3g); the budget then balances N against T, so the shape\n"
                   "  sits at D/D_crit ≈ %.2f and width carries the growth.\n",
                   ratio, law->p[law_form_param_index(&law->form, "gamma")], o->depth / o->dcrit);
        else if (o->dcrit_kind == 0)
            printf("  The law's fixed-width loss minimum is D_crit(W) = %.1f; the compute-optimal\n"
                   "  depth is %.2f of it.\n", o->dcrit, o->depth / o->dcrit);
    }
    const PlanAlt *worst = NULL;
    for (int i = 0; i < r->nalts; i++)
        if (r->alts[i].comparable && (!worst || r->alts[i].dloss > worst->dloss)) worst = &r->alts[i];
    if (worst) {
        char d[32];
        printf("  The costliest alternative below (%s) loses %s nats.\n", worst->label,
               fmt_delta_(worst->dloss, d, sizeof d));
    }
}

static const char *const WARN_LEVEL[] = {"note", "caution", "severe"};

static void print_warnings_(const PlanWarnings *ws) {
    if (ws->n == 0) return;
    printf("warnings:\n");
    for (int i = 0; i < ws->n; i++) printf("  [%s] %s\n", WARN_LEVEL[ws->w[i].level], ws->w[i].text);
    printf("\n");
}

static void warnings_json_(cJSON *j, const PlanWarnings *ws) {
    cJSON *a = cJSON_AddArrayToObject(j, "warnings");
    for (int i = 0; i < ws->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code", ws->w[i].code);
        cJSON_AddStringToObject(o, "level", WARN_LEVEL[ws->w[i].level]);
        cJSON_AddStringToObject(o, "text", ws->w[i].text);
        cJSON_AddItemToArray(a, o);
    }
}

/* What the alternatives hold, for the title. */
static const char *held_text_(const PlanResult *r) {
    int n = r->fixed & PLAN_FIX_PARAMS, t = r->fixed & PLAN_FIX_TOKENS;
    return n && t ? "the same N and T, compute following the shape"
           : n    ? "the same N and compute"
           : t    ? "the same T and compute"
                  : "the same compute";
}

static int emit_hf_config_(const Law *law, const PlanResult *r) {
    const PlanPoint *o = &r->real;
    cJSON *j = cJSON_CreateObject();
    int swiglu = law->conv.swiglu;
    cJSON *arch = cJSON_AddArrayToObject(j, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(swiglu ? "LlamaForCausalLM" : "GPTNeoXForCausalLM"));
    cJSON_AddStringToObject(j, "model_type", swiglu ? "llama" : "gpt_neox");
    cJSON_AddNumberToObject(j, "hidden_size", o->width);
    cJSON_AddNumberToObject(j, "num_hidden_layers", o->depth);
    cJSON_AddNumberToObject(j, "num_attention_heads", o->heads);
    cJSON_AddNumberToObject(j, "intermediate_size", round(law->conv.mlp_ratio * o->width));
    cJSON_AddNumberToObject(j, "vocab_size", law->conv.vocab);
    cJSON_AddNumberToObject(j, "max_position_embeddings", law->conv.seq_len);
    cJSON_AddBoolToObject(j, "tie_word_embeddings", law->conv.tied);
    if (swiglu) {
        cJSON_AddNumberToObject(j, "num_key_value_heads", o->heads);
        cJSON_AddStringToObject(j, "hidden_act", "silu");
        cJSON_AddNumberToObject(j, "rms_norm_eps", 1e-5);
    } else {
        cJSON_AddStringToObject(j, "hidden_act", "gelu");
        cJSON_AddNumberToObject(j, "rotary_pct", 1.0);
        cJSON_AddNumberToObject(j, "rotary_emb_base", 10000);
        cJSON_AddBoolToObject(j, "use_parallel_residual", 0);
        cJSON_AddNumberToObject(j, "layer_norm_eps", 1e-5);
    }
    cJSON *d = cJSON_AddObjectToObject(j, "dwplan");
    cJSON_AddNumberToObject(d, "compute", o->flops);
    cJSON_AddNumberToObject(d, "tokens", round(o->tokens));
    cJSON_AddNumberToObject(d, "predicted_loss", o->loss);
    cJSON_AddStringToObject(d, "law", law->name);
    cJSON_AddStringToObject(d, "version", DWPLAN_VERSION);
    return report_print_json(j);
}

static int sweep_(const Law *law, const PlanRequest *req, const char *spec, int points, int json) {
    char *colon = strchr(spec, ':');
    double lo, hi;
    if (!colon) return cli_usage_error("plan", "--sweep-compute wants LO:HI, e.g. 1e18:1e25");
    char lo_s[64];
    if (colon - spec >= (long)sizeof lo_s)
        return cli_usage_error("plan", "--sweep-compute LO: '%.*s...' is not a number", 16, spec);
    snprintf(lo_s, sizeof lo_s, "%.*s", (int)(colon - spec), spec);
    if (dw_parse_double(lo_s, "--sweep-compute LO", 1, &lo) ||
        dw_parse_double(colon + 1, "--sweep-compute HI", 1, &hi))
        return cli_fail("plan", DW_EINVAL);
    if (!(lo > 0) || !(hi > lo))
        return cli_usage_error("plan", "--sweep-compute needs 0 < LO < HI (got %g:%g)", lo, hi);
    if (lo < 1e10 || hi > PLAN_FLOPS_MAX)
        return cli_usage_error("plan", "--sweep-compute budgets must lie in [1e10, %g] FLOPs",
                               PLAN_FLOPS_MAX);
    int n = points > 0 ? points : (int)ceil(4 * log10(hi / lo)) + 1;
    if (points <= 0 && n < 33) n = 33;
    PlanPoint *pts = calloc((size_t)n, sizeof *pts);
    double slope[4], se[4], r2[4];
    if (!pts) return EXIT_SYSTEM;
    int rc = plan_sweep(law, req, lo, hi, n, pts, slope, se, r2);
    if (rc) {
        free(pts);
        return cli_fail("plan", rc);
    }
    static const char *names[4] = {"depth", "width", "params", "tokens"};
    /* the law's status, and the ends of the sweep against its data range (both ends: the
     * quantities are monotone in C, so the middle cannot be further out) */
    PlanWarnings ws = {0};
    char what[64];
    plan_warn_law(law, &ws);
    for (int e = 0; e < 2; e++) {
        const PlanPoint *pt = &pts[e ? n - 1 : 0];
        snprintf(what, sizeof what, "the optimum at C = %.3g", pt->flops);
        plan_warn_point(law, pt, what, &ws);
    }
    if (json) {
        cJSON *j = cJSON_CreateObject();
        warnings_json_(j, &ws);
        cJSON_AddItemToObject(j, "law", report_law_json(law));
        cJSON *ex = cJSON_AddObjectToObject(j, "exponents");
        for (int k = 0; k < 4; k++) {
            cJSON *e = cJSON_AddObjectToObject(ex, names[k]);
            cJSON_AddNumberToObject(e, "slope", slope[k]);
            cJSON_AddNumberToObject(e, "se", isfinite(se[k]) ? se[k] : 0);
            cJSON_AddNumberToObject(e, "r2", r2[k]);
        }
        cJSON *a = cJSON_AddArrayToObject(j, "optima");
        for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, report_point_json(&pts[i]));
        free(pts);
        return report_print_json(j);
    }
    print_warnings_(&ws);
    report_law_line(stdout, law);
    printf("\n%10s %9s %10s %10s %10s %8s\n", "compute", "D*", "W*", "N*", "T*", "loss");
    for (int i = 0; i < n; i++) {
        char c[32], nn[32], t[32];
        dw_fmt_sci(pts[i].flops, c, sizeof c);
        dw_fmt_count(pts[i].params_law, nn, sizeof nn);
        dw_fmt_count(pts[i].tokens, t, sizeof t);
        printf("%10s %9.2f %10.1f %10s %10s %8.4f\n", c, pts[i].depth, pts[i].width, nn, t,
               pts[i].loss);
    }
    printf("\nfitted exponents over %d budgets (log-log least squares on the continuous optima):\n", n);
    for (int k = 0; k < 4; k++)
        printf("  %-7s ∝ C^%.4f  (SE %.1e, R² %.6f)\n", k == 0 ? "D*" : k == 1 ? "W*" : k == 2 ? "N*" : "T*",
               slope[k], se[k], r2[k]);
    printf("  paper's claim: D* ∝ C^%.2f, W* ∝ C^%.2f (see README: the claims disagree with\n"
           "  the paper's own alpha and delta)\n", FIT_PAPER_D_SLOPE, FIT_PAPER_W_SLOPE);
    free(pts);
    return 0;
}

/* What the user asked for, parsed. */
typedef struct {
    const char *law_name, *gpu, *sweep, *emit, *vs, *within, *laws;
    double gpus, days, mfu;
    int json, points, ndraws, list, help, have_mfu, seq_len;
    PlanRequest req;
} PlanArgs;

/* Budgets are checked before any work: a clear message, exit 2. */
static int check_budget_(int argc, PlanArgs *a) {
    PlanRequest *req = &a->req;
    a->have_mfu = !isnan(a->mfu);
    if (!a->have_mfu) a->mfu = 0.4;
    if (a->gpu || a->gpus > 0 || a->days > 0) {
        if (!a->gpu || !(a->gpus > 0) || !(a->days > 0))
            return cli_usage_error("plan", "hardware budgets need --gpu NAME, --gpus N and --days D");
        if (a->gpus != floor(a->gpus))
            return cli_usage_error("plan", "--gpus wants a whole number of GPUs (got %g)", a->gpus);
        if (req->compute > 0)
            return cli_usage_error("plan", "give either --compute or hardware (--gpu), not both");
        int rc = plan_compute_from_hardware(a->gpu, a->gpus, a->days, a->mfu, &req->compute);
        if (rc) return cli_fail("plan", rc);
    } else if (a->have_mfu) {
        return cli_usage_error("plan", "--mfu only makes sense with --gpu/--gpus/--days");
    }
    if (argc <= 1 || (req->compute == 0 && req->params == 0 && req->tokens == 0 && !a->sweep)) {
        if (argc <= 1) {
            help_();
            return EXIT_USAGE;
        }
        return cli_usage_error("plan", "no budget: give --compute C (e.g. 1e22), --params, "
                               "--tokens or --gpu/--gpus/--days");
    }
    static const struct { const char *name; double lo, hi; } lim[] = {
        {"--compute", 1e10, PLAN_FLOPS_MAX}, {"--params", 1e4, 1e15}, {"--tokens", 1e5, 1e17}};
    double vals[3] = {req->compute, req->params, req->tokens};
    for (int k = 0; k < 3; k++)
        if (vals[k] != 0 && !(vals[k] >= lim[k].lo && vals[k] <= lim[k].hi))
            return cli_usage_error("plan", "%s %g is outside the plausible range [%g, %g]",
                                   lim[k].name, vals[k], lim[k].lo, lim[k].hi);
    if (a->emit && strcmp(a->emit, "hf-config"))
        return cli_usage_error("plan", "--emit supports 'hf-config' only (got '%s')", a->emit);
    if (a->emit && a->sweep)
        return cli_usage_error("plan", "--emit writes one shape's config: not with --sweep-compute");
    if (a->emit && a->json)
        fprintf(stderr, "dwplan plan: --emit hf-config output is already JSON; --json changes "
                        "nothing\n");
    return 0;
}

static cJSON *rounding_json_(const PlanResult *res) {
    cJSON *o = cJSON_CreateObject();
    cJSON *f = cJSON_AddArrayToObject(o, "fixed");
    static const char *const fix[3] = {"params", "tokens", "compute"};
    for (int k = 0; k < 3; k++)
        if (res->fixed & (1 << k)) cJSON_AddItemToArray(f, cJSON_CreateString(fix[k]));
    cJSON *m = cJSON_AddObjectToObject(o, "moved"); /* real / continuous optimum − 1 */
    for (int k = 0; k < 3; k++) cJSON_AddNumberToObject(m, fix[k], res->moved[k]);
    cJSON_AddNumberToObject(o, "tolerance", PLAN_ROUND_TOL);
    cJSON_AddNumberToObject(o, "heads_multiple", res->heads_multiple);
    cJSON_AddNumberToObject(o, "width_step", res->width_step);
    if (res->round_note[0]) cJSON_AddStringToObject(o, "note", res->round_note);
    cJSON *n = cJSON_AddArrayToObject(o, "interval_notes");
    for (int i = 0; i < res->nnotes; i++)
        cJSON_AddItemToArray(n, cJSON_CreateString(res->interval_notes[i]));
    return o;
}

static cJSON *alternatives_json_(const PlanResult *res) {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < res->nalts; i++) {
        const PlanAlt *alt = &res->alts[i];
        cJSON *o = report_point_json(&alt->pt);
        cJSON_AddStringToObject(o, "label", alt->label);
        cJSON_AddBoolToObject(o, "comparable", alt->comparable);
        if (alt->comparable) cJSON_AddNumberToObject(o, "delta_loss", alt->dloss);
        else cJSON_AddNullToObject(o, "delta_loss");
        if (isfinite(alt->dloss_ci[0]))
            cJSON_AddItemToObject(o, "delta_loss_ci95", cJSON_CreateDoubleArray(alt->dloss_ci, 2));
        else
            cJSON_AddNullToObject(o, "delta_loss_ci95");
        if (alt->note[0]) cJSON_AddStringToObject(o, "note", alt->note);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static int render_json_(const PlanArgs *a, const Law *law, const PlanResult *res,
                        const PlanWarnings *ws, const PlanRegion *region, const char *eps_why,
                        const PlanLawTable *lt) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "dwplan_version", DWPLAN_VERSION);
    warnings_json_(j, ws);
    cJSON *b = cJSON_AddObjectToObject(j, "budget");
    cJSON_AddNumberToObject(b, "compute", res->req.compute);
    if (a->gpu) {
        cJSON_AddStringToObject(b, "gpu", a->gpu);
        cJSON_AddNumberToObject(b, "gpus", a->gpus);
        cJSON_AddNumberToObject(b, "days", a->days);
        cJSON_AddNumberToObject(b, "mfu", a->mfu);
    }
    if (a->req.params > 0) cJSON_AddNumberToObject(b, "params", a->req.params);
    if (a->req.tokens > 0) cJSON_AddNumberToObject(b, "tokens", a->req.tokens);
    if (a->seq_len > 0) cJSON_AddNumberToObject(b, "seq_len", a->seq_len);
    cJSON_AddItemToObject(j, "law", report_law_json(law));
    cJSON_AddItemToObject(j, "recommended", report_point_json(&res->real));
    cJSON_AddItemToObject(j, "continuous_optimum", report_point_json(&res->cont));
    cJSON_AddItemToObject(j, "rounding", rounding_json_(res));
    cJSON *l = cJSON_AddObjectToObject(j, "predicted_loss");
    cJSON_AddNumberToObject(l, "value", res->real.loss);
    if (isfinite(res->loss_lo)) {
        double ci[2] = {res->loss_lo, res->loss_hi};
        cJSON_AddItemToObject(l, "ci95", cJSON_CreateDoubleArray(ci, 2));
    } else {
        cJSON_AddNullToObject(l, "ci95");
    }
    cJSON_AddStringToObject(l, "ci_method", res->loss_ci_method);
    cJSON *iv = cJSON_AddObjectToObject(j, "optimum_intervals");
    cJSON_AddStringToObject(iv, "method", res->ci_method);
    cJSON_AddNumberToObject(iv, "draws", res->ci_draws);
    const char *keys[5] = {"depth", "width", "params", "tokens", "dcrit"};
    const double *civ[5] = {res->depth_ci, res->width_ci, res->params_ci, res->tokens_ci,
                            res->dcrit_ci};
    for (int k = 0; k < 5; k++) {
        if (isfinite(civ[k][0])) cJSON_AddItemToObject(iv, keys[k], cJSON_CreateDoubleArray(civ[k], 2));
        else cJSON_AddNullToObject(iv, keys[k]);
    }
    cJSON_AddBoolToObject(j, "on_bound", res->on_bound);
    if (res->on_bound) cJSON_AddStringToObject(j, "bound_note", res->bound_note);
    cJSON_AddBoolToObject(j, "shape_free_law", res->shape_free);
    cJSON_AddStringToObject(j, "alternatives_hold", held_text_(res));
    cJSON_AddItemToObject(j, "alternatives", alternatives_json_(res));
    cJSON *dr = cJSON_AddArrayToObject(j, "dropped");
    for (int i = 0; i < res->ndropped; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "reason", res->dropped[i]);
        cJSON_AddItemToArray(dr, o);
    }
    if (res->alt_warning[0]) cJSON_AddStringToObject(j, "alternatives_warning", res->alt_warning);
    if (region) cJSON_AddItemToObject(j, "region", cli_region_json(region, eps_why, &res->real));
    if (lt) {
        cJSON_AddItemToObject(j, "laws", cli_laws_json(lt));
        cJSON_AddStringToObject(j, "laws_agree", lt->agree);
    }
    return report_print_json(j);
}

static void print_alternatives_(const PlanResult *res) {
    if (!res->nalts && !res->ndropped) return;
    printf("\nalternatives at %s\n(loss cost vs the recommendation, paired 95%% interval over "
           "the same draws):\n", held_text_(res));
    for (int i = 0; i < res->nalts; i++) {
        const PlanAlt *alt = &res->alts[i];
        char n1[32], t[32], d[32], lo[32], hi[32];
        dw_fmt_count(alt->pt.params_total, n1, sizeof n1);
        dw_fmt_count(alt->pt.tokens, t, sizeof t);
        printf("  %-40s N %7s  T %7s  loss %.4f  ", alt->label, n1, t, alt->pt.loss);
        if (!alt->comparable) printf("not ranked\n");
        else if (isfinite(alt->dloss_ci[0]))
            printf("%s  [%s, %s]\n", fmt_delta_(alt->dloss, d, sizeof d),
                   fmt_delta_(alt->dloss_ci[0], lo, sizeof lo), fmt_delta_(alt->dloss_ci[1], hi, sizeof hi));
        else printf("%s\n", fmt_delta_(alt->dloss, d, sizeof d));
        if (alt->note[0]) printf("      %s\n", alt->note);
    }
    for (int i = 0; i < res->ndropped; i++) printf("  not shown: %s\n", res->dropped[i]);
    if (res->alt_warning[0]) printf("  warning: %s\n", res->alt_warning);
}

static int render_text_(const PlanArgs *a, const Law *law, const PlanResult *res,
                        const PlanWarnings *ws) {
    char c[32];
    dw_fmt_sci(res->req.compute, c, sizeof c);
    if ((res->fixed & PLAN_FIX_PARAMS) && (res->fixed & PLAN_FIX_TOKENS))
        printf("dwplan plan: best shape at fixed N and T (compute follows: %s FLOPs at the "
               "continuous optimum)", c);
    else
        printf("dwplan plan: compute-optimal shape for C = %s FLOPs", c);
    if (a->gpu) printf(" (%g × %s for %g days at %.0f%% MFU)", a->gpus, a->gpu, a->days, 100 * a->mfu);
    printf("\n");
    report_law_line(stdout, law);
    if (a->seq_len > 0) printf("     ctx = %d from --seq-len (attention FLOPs)\n", a->seq_len);
    printf("\n");
    print_warnings_(ws);
    print_point_("recommended shape", &res->real, res);
    printf("  loss          %.4f nats/token", res->real.loss);
    if (isfinite(res->loss_lo))
        printf("  [%.4f, %.4f] (%s)\n", res->loss_lo, res->loss_hi, res->loss_ci_method);
    else
        printf("  (no interval — %s)\n", res->loss_ci_method);
    print_dcrit_(law, &res->real, res->dcrit_ci);
    print_rounding_(res);
    printf("  continuous optimum: D = %.2f, W = %.1f, T = %.3g, loss %.4f\n", res->cont.depth,
           res->cont.width, res->cont.tokens, res->cont.loss);
    printf("  intervals: %s\n", res->ci_method);
    printf("\n");
    reasoning_(law, res);
    print_alternatives_(res);
    return 0;
}

/* Solves, adds intervals and alternatives, renders. */
static int plan_(const PlanArgs *a, const Law *law) {
    PlanResult res;
    PlanShape vshape;
    PlanWarnings ws = {0};
    char vname[128] = "";
    int rc;
    char origin[300];
    if ((rc = plan_solve(law, &a->req, &res)) || (rc = plan_intervals(law, &res, a->ndraws)) ||
        (rc = plan_point_meaningful(&res.real, "the recommended shape",
                                    law_origin_text(a->law_name, origin, sizeof origin))))
        return cli_fail("plan", rc);
    if (a->vs) {
        if ((rc = plan_model_shape(a->vs, &vshape, vname, sizeof vname))) return cli_fail("plan", rc);
    } else if (plan_model_nearest(res.real.params_total, &vshape, vname, sizeof vname) != DW_OK) {
        vname[0] = '\0';
    }
    if ((rc = plan_alternatives(law, &res, vname[0] ? &vshape : NULL, vname)))
        return cli_fail("plan", rc);
    if (a->emit) return emit_hf_config_(law, &res);
    plan_warn_result(law, &res, &ws);
    double eps;
    int percent, given;
    char eps_why[320] = "";
    PlanRegion g = {0};
    PlanLawTable lt = {0};
    Law **set = NULL;
    int nset = 0, region = 0;
    if ((rc = cli_within("plan", a->within, law, &res, &eps, &percent, &given, eps_why,
                         sizeof eps_why)))
        return rc;
    if (eps > 0 && (res.fixed & (PLAN_FIX_PARAMS | PLAN_FIX_TOKENS)) && !given)
        eps = 0; /* the region is at a fixed compute; said below the recommendation */
    if (eps > 0 && (rc = plan_region(law, &res, eps, a->ndraws, &g))) return cli_fail("plan", rc);
    region = eps > 0;
    if ((rc = cli_laws_load("plan", a->laws, (Law *)law, a->seq_len, &set, &nset))) goto out;
    if (nset && (rc = plan_laws_compare((const Law *const *)set, nset, &res, &lt))) {
        rc = cli_fail("plan", rc);
        goto out;
    }
    if (a->json) {
        rc = render_json_(a, law, &res, &ws, region ? &g : NULL, eps_why, nset ? &lt : NULL);
        goto out;
    }
    rc = render_text_(a, law, &res, &ws);
    if (region) cli_region_text(law, &g, percent, given, eps_why, &res.real);
    else if (!a->within || strcmp(a->within, "off"))
        printf("\nnear-optimal region: not computed (it is taken at a fixed compute; this "
               "request fixes %s)\n", res.fixed & PLAN_FIX_PARAMS ? "N" : "T");
    if (nset) {
        char what[64];
        snprintf(what, sizeof what, "the recommended %.0fx%.0f", res.real.depth, res.real.width);
        cli_laws_text(&lt, what, held_text_(&res), law->name);
    }
out:
    plan_laws_free(&lt);
    cli_laws_free(set, nset, law);
    plan_region_free(&g);
    return rc;
}

int cmd_plan(int argc, char **argv) {
    PlanArgs a = {.law_name = LAW_DEFAULT_PRESET, .mfu = NAN, .ndraws = 200};
    Law *law = NULL;
    int code;
    plan_request_default(&a.req);
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &a.help),       CLI_OPT_FLAG("-h", &a.help),
        CLI_OPT_FLAG("--json", &a.json),       CLI_OPT_FLAG("--list-gpus", &a.list),
        CLI_OPT_NUM("--compute", &a.req.compute, 0, 1), CLI_OPT_NUM("--params", &a.req.params, 0, 1),
        CLI_OPT_NUM("--tokens", &a.req.tokens, 0, 1),   CLI_OPT_NUM("--gpus", &a.gpus, 0, 0),
        CLI_OPT_NUM("--days", &a.days, 0, 0),  CLI_OPT_NUM("--mfu", &a.mfu, 0, 0),
        CLI_OPT_NUM("--max-depth", &a.req.d_max, 1, 0),
        CLI_OPT_INT("--head-dim", &a.req.head_dim, 1, 1024),
        CLI_OPT_INT("--heads-multiple", &a.req.heads_multiple, 1, 1024),
        CLI_OPT_INT("--seq-len", &a.seq_len, 1, 10000000),
        CLI_OPT_INT("--draws", &a.ndraws, 0, 100000), CLI_OPT_INT("--points", &a.points, 3, 10000),
        CLI_OPT_STR("--law", &a.law_name),     CLI_OPT_STR("--gpu", &a.gpu),
        CLI_OPT_STR("--sweep-compute", &a.sweep), CLI_OPT_STR("--emit", &a.emit),
        CLI_OPT_STR("--vs", &a.vs),            CLI_OPT_STR("--within", &a.within),
        CLI_OPT_STR("--laws", &a.laws)};
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "plan");
        if (r < 0) return -r;
        if (r == 0) return cli_usage_error("plan", "unknown option '%s'", argv[i]);
        if (a.help) {
            help_();
            return 0;
        }
    }
    if (a.list) return list_gpus_(a.json);
    if ((code = check_budget_(argc, &a))) return code;
    int rc = law_load(a.law_name, &law);
    if (rc) return cli_fail("plan", rc);
    if (a.seq_len > 0) law->conv.seq_len = a.seq_len; /* the training context, not the law's */
    code = a.sweep ? sweep_(law, &a.req, a.sweep, a.points, a.json) : plan_(&a, law);
    law_free(law);
    return code;
}

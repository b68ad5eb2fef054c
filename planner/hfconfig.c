/* planner/hfconfig.c — Hugging Face config.json → PlanShape (see hfconfig.h for the fields
 * and the block layouts).
 *
 * Design stance: strict about the numbers (a count is only as good as its inputs, so a
 * missing, fractional or non-positive size is an error naming the field), lenient about the
 * rest (unknown fields are ignored; JSON null means "absent", as transformers writes it).
 */
#include "hfconfig.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dw.h"
#include "../common/embedded.h"

typedef enum { FAM_UNKNOWN, FAM_GATED, FAM_NEOX, FAM_GPT2 } Family;

typedef struct {
    const char *model_type;
    Family fam;
    int tied_default; /* the transformers config class default for tie_word_embeddings */
} FamilyRow;

/* model_type → layout. Gemma and GPT-2 configs default to tied embeddings; the others set
 * tie_word_embeddings = False in their config classes. Gemma 2's extra post-norms (2·W per
 * block) are not modelled. */
static const FamilyRow families_[] = {
    {"llama", FAM_GATED, 0},  {"mistral", FAM_GATED, 0}, {"qwen2", FAM_GATED, 0},
    {"gemma", FAM_GATED, 1},  {"gemma2", FAM_GATED, 1},  {"phi3", FAM_GATED, 0},
    {"gpt_neox", FAM_NEOX, 0}, {"gpt2", FAM_GPT2, 1},
};

/* architectures[0] prefix (lower case, no punctuation) → model_type, for configs without
 * model_type. */
static const struct {
    const char *prefix;
    const char *model_type;
} arch_prefixes_[] = {
    {"gptneox", "gpt_neox"}, {"gpt2", "gpt2"},   {"llama", "llama"}, {"mistral", "mistral"},
    {"qwen2", "qwen2"},      {"gemma2", "gemma2"}, {"gemma", "gemma"}, {"phi3", "phi3"},
};

static const FamilyRow *family_find_(const char *model_type) {
    if (!model_type) return NULL;
    for (size_t i = 0; i < sizeof families_ / sizeof families_[0]; i++)
        if (strcmp(families_[i].model_type, model_type) == 0) return &families_[i];
    return NULL;
}

static void copy_str_(char *dst, size_t n, const char *src) {
    if (!dst || n == 0) return;
    snprintf(dst, n, "%s", src ? src : "");
}

/* The file stem of a path ("examples/models/llama-2-7b.json" → "llama-2-7b"). */
static void path_stem_(const char *path, char *dst, size_t n) {
    if (!dst || n == 0) return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (len >= n) len = n - 1;
    memcpy(dst, base, len);
    dst[len] = '\0';
}

/* The item for the first of `names` present and not null, or NULL; *found names it. */
static const cJSON *get_any_(const cJSON *obj, const char *const *names, const char **found) {
    for (; *names; names++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, *names);
        if (it && !cJSON_IsNull(it)) {
            *found = *names;
            return it;
        }
    }
    return NULL;
}

static const char *json_type_name_(const cJSON *it) {
    if (cJSON_IsString(it)) return "a string";
    if (cJSON_IsBool(it)) return "a boolean";
    if (cJSON_IsArray(it)) return "an array";
    if (cJSON_IsObject(it)) return "an object";
    return "not a number";
}

/* Reads an integer in 1 .. max from the first present of `names` (names[0] is the canonical
 * name used in messages). *out is left as is when absent and not required. */
static int get_pos_int_(const cJSON *obj, const char *origin, const char *const *names,
                        int required, double max, double *out) {
    const char *name = names[0];
    const cJSON *it = get_any_(obj, names, &name);
    if (!it) {
        if (!required) return DW_OK;
        if (names[1])
            return dw_error_set(DW_EPARSE, "%s: field '%s' is missing (also looked for '%s')",
                                origin, names[0], names[1]);
        return dw_error_set(DW_EPARSE, "%s: field '%s' is missing", origin, names[0]);
    }
    if (!cJSON_IsNumber(it)) {
        if (cJSON_IsString(it))
            return dw_error_set(DW_EPARSE,
                                "%s: field '%s' must be a positive integer (got \"%.40s\")",
                                origin, name, it->valuestring);
        return dw_error_set(DW_EPARSE, "%s: field '%s' must be a positive integer (got %s)",
                            origin, name, json_type_name_(it));
    }
    double v = it->valuedouble;
    if (!isfinite(v) || v != floor(v) || v <= 0)
        return dw_error_set(DW_EPARSE, "%s: field '%s' must be a positive integer (got %.17g)",
                            origin, name, v);
    if (v > max)
        return dw_error_set(DW_EPARSE, "%s: field '%s' = %.10g is beyond any model: want 1 .. %.0f",
                            origin, name, v, max);
    *out = v;
    return DW_OK;
}

static int get_bool_(const cJSON *obj, const char *origin, const char *name, int *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!it || cJSON_IsNull(it)) return DW_OK;
    if (!cJSON_IsBool(it))
        return dw_error_set(DW_EPARSE, "%s: field '%s' must be true or false (got %s)", origin,
                            name, cJSON_IsNumber(it) ? "a number" : json_type_name_(it));
    *out = cJSON_IsTrue(it) ? 1 : 0;
    return DW_OK;
}

static const char *get_str_(const cJSON *obj, const char *name) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring : NULL;
}

/* model_type from architectures[0] ("LlamaForCausalLM" → "llama"), or NULL. */
static const char *model_type_from_arch_(const cJSON *obj) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "architectures");
    const cJSON *first = cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, 0) : NULL;
    if (!cJSON_IsString(first)) return NULL;
    char low[64];
    size_t k = 0;
    for (const char *p = first->valuestring; *p && k + 1 < sizeof low; p++)
        if (isalnum((unsigned char)*p)) low[k++] = (char)tolower((unsigned char)*p);
    low[k] = '\0';
    for (size_t i = 0; i < sizeof arch_prefixes_ / sizeof arch_prefixes_[0]; i++)
        if (strncmp(low, arch_prefixes_[i].prefix, strlen(arch_prefixes_[i].prefix)) == 0)
            return arch_prefixes_[i].model_type;
    return NULL;
}

/* 1-based line of `pos` in `text`. */
static int line_of_(const char *text, const char *pos) {
    int line = 1;
    for (const char *p = text; p < pos && *p; p++)
        if (*p == '\n') line++;
    return line;
}

// ----------------------------------------------------------------------------

static const char *const k_width_[] = {"hidden_size", "n_embd", NULL};
static const char *const k_depth_[] = {"num_hidden_layers", "n_layer", NULL};
static const char *const k_heads_[] = {"num_attention_heads", "n_head", NULL};
static const char *const k_kv_[] = {"num_key_value_heads", NULL};
static const char *const k_hd_[] = {"head_dim", NULL};
static const char *const k_ffn_[] = {"intermediate_size", "n_inner", NULL};
static const char *const k_vocab_[] = {"vocab_size", NULL};
static const char *const k_ctx_[] = {"max_position_embeddings", "n_positions", "n_ctx", NULL};

/* Sane limits: a size beyond them is a typo or a hostile file, never a model (the largest
 * dense models are about 2e4 wide and 1.3e2 deep, vocabularies about 2.6e5). 2^31 - 1 bounds
 * every size a PlanShape holds in an int (vocab, max_pos). */
#define HF_WIDTH_MAX 1e6
#define HF_DEPTH_MAX 1e5
#define HF_HEADS_MAX 1e6
#define HF_HEAD_DIM_MAX 65536.0
#define HF_VOCAB_MAX 1e8
#define HF_CTX_MAX 2147483647.0
#define HF_RATIO_MAX 64.0 /* heads × head_dim and the MLP inner width over the width, both
                             ways; the law's conventions.mlp_ratio has the same limit */

// ----------------------------------------------------------------------------
// mixture-of-experts configs: refused (a dense count of an MoE is neither its active nor its
// total parameter count, and no law dwplan ships was fitted to MoE runs)

/* Keys whose value counts experts: more than one → MoE (dense configs may carry 0 or 1). */
static const char *const moe_count_keys_[] = {
    "num_local_experts", /* Mixtral, PhiMoE, GraniteMoE, JetMoE, Arctic, GPT-OSS, Llama 4 */
    "num_experts",       /* Qwen2/3-MoE, OLMoE, Jamba, Switch, NLLB-MoE */
    "n_routed_experts",  /* DeepSeek V2/V3, GLM-4 MoE, dots.llm */
    "moe_num_experts",   /* ERNIE 4.5 MoE, DBRX's ffn_config */
    "num_moe_experts",   /* Megatron-style exports */
    "n_experts",
    NULL};
/* Keys that only an MoE has: a value of one or more → MoE. */
static const char *const moe_only_keys_[] = {
    "num_experts_per_tok", "moe_top_k", "moe_router_topk", "n_shared_experts",
    "num_shared_experts", "moe_intermediate_size", "shared_expert_intermediate_size", NULL};
/* model_type values of MoE families whose configs might use a key not listed above; any
 * model_type containing "moe" is refused too. */
static const char *const moe_types_[] = {
    "mixtral", "deepseek_v2", "deepseek_v3", "dbrx", "jamba", "arctic", "gpt_oss", "llama4",
    "minimax", "switch_transformers", "grok", "dots1", NULL};

/* DW_EPARSE naming the field when `obj` (named `where`, "" for the root) is an MoE. */
static int moe_refuse_obj_(const cJSON *obj, const char *origin, const char *where) {
    for (int pass = 0; pass < 2; pass++) {
        const char *const *keys = pass == 0 ? moe_count_keys_ : moe_only_keys_;
        double lim = pass == 0 ? 1 : 0;
        for (; *keys; keys++) {
            const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, *keys);
            if (cJSON_IsNumber(it) && it->valuedouble > lim)
                return dw_error_set(DW_EPARSE,
                                    "%s: field '%s%s' = %g: mixture-of-experts models are not "
                                    "supported (dwplan counts dense transformers; no shipped "
                                    "law was fitted to MoE runs)",
                                    origin, where, *keys, it->valuedouble);
        }
    }
    return DW_OK;
}

static int moe_refuse_(const cJSON *root, const cJSON *cfg, const char *origin) {
    int rc;
    const cJSON *objs[2] = {root, cfg};
    int nobj = cfg != root ? 2 : 1;
    for (int i = 0; i < nobj; i++) { /* the fields first: they say the most */
        const cJSON *o = objs[i];
        if ((rc = moe_refuse_obj_(o, origin, ""))) return rc;
        const cJSON *ffn = cJSON_GetObjectItemCaseSensitive(o, "ffn_config"); /* DBRX */
        if (cJSON_IsObject(ffn) && (rc = moe_refuse_obj_(ffn, origin, "ffn_config.")))
            return rc;
    }
    for (int i = 0; i < nobj; i++) {
        const cJSON *o = objs[i];
        const char *mt = get_str_(o, "model_type");
        int moe_type = mt && strstr(mt, "moe") != NULL;
        for (const char *const *t = moe_types_; mt && *t && !moe_type; t++)
            moe_type = strcmp(mt, *t) == 0;
        if (moe_type)
            return dw_error_set(DW_EPARSE,
                                "%s: field 'model_type' = '%s': a mixture-of-experts family; "
                                "mixture-of-experts models are not supported",
                                origin, mt);
    }
    return DW_OK;
}

// ----------------------------------------------------------------------------

/* The sizes against each other: the attention's inner width (heads × head_dim) and the MLP's
 * within a factor HF_RATIO_MAX of the model width either way. */
static int check_ratios_(const PlanShape *s, const char *origin) {
    if (s->head_dim > 0) {
        double q = s->heads * s->head_dim, r = q / s->width;
        if (r > HF_RATIO_MAX || r < 1 / HF_RATIO_MAX)
            return dw_error_set(DW_EPARSE,
                                "%s: field 'num_attention_heads' × field 'head_dim' = %g × %g = "
                                "%g is %.3g times field 'hidden_size' = %g: want 1/%g .. %g "
                                "times", origin, s->heads, s->head_dim, q, r, s->width,
                                HF_RATIO_MAX, HF_RATIO_MAX);
    }
    double r = s->ffn_dim / s->width;
    if (r > HF_RATIO_MAX || r < 1 / HF_RATIO_MAX)
        return dw_error_set(DW_EPARSE,
                            "%s: field 'intermediate_size' = %g is %.3g times field "
                            "'hidden_size' = %g: want 1/%g .. %g times", origin, s->ffn_dim, r,
                            s->width, HF_RATIO_MAX, HF_RATIO_MAX);
    return DW_OK;
}

static int shape_from_json_(const cJSON *root, const char *origin, PlanShape *out,
                            char *model_name, size_t n) {
    int rc;
    const cJSON *cfg = root;
    const cJSON *text_cfg = cJSON_GetObjectItemCaseSensitive(root, "text_config");
    if (!cJSON_GetObjectItemCaseSensitive(root, "hidden_size") &&
        !cJSON_GetObjectItemCaseSensitive(root, "n_embd") && cJSON_IsObject(text_cfg))
        cfg = text_cfg;

    if ((rc = moe_refuse_(root, cfg, origin))) return rc;

    // layout
    const char *model_type = get_str_(cfg, "model_type");
    const FamilyRow *row = family_find_(model_type);
    if (!row) row = family_find_(model_type_from_arch_(cfg));
    if (!row && cfg != root) row = family_find_(get_str_(root, "model_type"));
    Family fam = row ? row->fam : FAM_UNKNOWN;
    int tied = row ? row->tied_default : 0;
    if (fam == FAM_UNKNOWN) {
        const char *act = get_str_(cfg, "hidden_act");
        if (!act) act = get_str_(cfg, "activation_function");
        if (act && (strcmp(act, "silu") == 0 || strcmp(act, "swish") == 0 ||
                    strcmp(act, "swiglu") == 0))
            fam = FAM_GATED;
        else if (act && (strncmp(act, "gelu", 4) == 0 || strcmp(act, "relu") == 0))
            fam = FAM_NEOX;
        else
            return dw_error_set(DW_EPARSE,
                                "%s: field 'model_type': cannot tell the block layout of '%s' "
                                "(known: llama, mistral, qwen2, gemma, gemma2, phi3, gpt_neox, "
                                "gpt2; or give hidden_act)",
                                origin, model_type ? model_type : "(missing)");
    }

    // sizes
    PlanShape s;
    plan_shape_default(&s);
    double vocab = 0, ctx = 0;
    if ((rc = get_pos_int_(cfg, origin, k_width_, 1, HF_WIDTH_MAX, &s.width))) return rc;
    if ((rc = get_pos_int_(cfg, origin, k_depth_, 1, HF_DEPTH_MAX, &s.depth))) return rc;
    if ((rc = get_pos_int_(cfg, origin, k_heads_, 1, HF_HEADS_MAX, &s.heads))) return rc;
    s.kv_heads = s.heads;
    if ((rc = get_pos_int_(cfg, origin, k_kv_, 0, HF_HEADS_MAX, &s.kv_heads))) return rc;
    s.head_dim = 0; /* derived W / H unless given */
    if ((rc = get_pos_int_(cfg, origin, k_hd_, 0, HF_HEAD_DIM_MAX, &s.head_dim))) return rc;
    s.ffn_dim = 0;
    if ((rc = get_pos_int_(cfg, origin, k_ffn_, fam == FAM_GATED, HF_RATIO_MAX * HF_WIDTH_MAX,
                            &s.ffn_dim))) return rc;
    if (s.ffn_dim == 0) s.ffn_dim = 4 * s.width; /* GPT-2's n_inner = null */
    if ((rc = get_pos_int_(cfg, origin, k_vocab_, 1, HF_VOCAB_MAX, &vocab))) return rc;
    if ((rc = get_pos_int_(cfg, origin, k_ctx_, 0, HF_CTX_MAX, &ctx))) return rc;
    if ((rc = get_bool_(cfg, origin, "tie_word_embeddings", &tied))) return rc;
    s.vocab = (int)vocab;
    /* max_position_embeddings is the longest context the positions allow, not the context
     * the model was trained at (Mistral 32768, Qwen2 131072): the training context stays the
     * default (plan_shape_default) until the caller sets it (--seq-len, a law's context). */
    if (fam == FAM_GPT2 && ctx == 0) ctx = 1024; /* GPT2Config's n_positions default */
    s.max_pos = (int)ctx;
    if (s.max_pos > 0 && s.seq_len > s.max_pos) s.seq_len = s.max_pos;
    s.tied = tied;
    s.swiglu = fam == FAM_GATED;
    s.rmsnorm = fam == FAM_GATED;
    s.biases = fam != FAM_GATED;
    s.learned_pos = fam == FAM_GPT2;

    if (s.head_dim == 0 && fmod(s.width, s.heads) != 0)
        return dw_error_set(DW_EPARSE,
                            "%s: field 'num_attention_heads' = %g does not divide field "
                            "'hidden_size' = %g (and no 'head_dim' is given)",
                            origin, s.heads, s.width);
    if (fmod(s.heads, s.kv_heads) != 0)
        return dw_error_set(DW_EPARSE,
                            "%s: field 'num_key_value_heads' = %g does not divide field "
                            "'num_attention_heads' = %g",
                            origin, s.kv_heads, s.heads);
    if ((rc = check_ratios_(&s, origin))) return rc;
    PlanCount c;
    if ((rc = plan_count(&s, &c))) return dw_error_prefix(DW_EPARSE, "%s", origin);

    *out = s;
    const char *name = get_str_(root, "_name_or_path");
    if (!name) name = get_str_(cfg, "_name_or_path");
    if (!name) name = model_type;
    if (name)
        copy_str_(model_name, n, name);
    else
        path_stem_(origin, model_name, n);
    return DW_OK;
}

int plan_hfconfig_parse(const char *json_text, const char *origin, PlanShape *out,
                        char *model_name, size_t n) {
    DW_ASSERT(json_text && out);
    if (!origin) origin = "config.json";
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json_text, &end, 1);
    if (!root) {
        int line = end ? line_of_(json_text, end) : 0;
        return dw_error_set(DW_EPARSE, "%s:%d: malformed JSON", origin, line);
    }
    int rc;
    if (!cJSON_IsObject(root))
        rc = dw_error_set(DW_EPARSE, "%s: a config must be a JSON object", origin);
    else
        rc = shape_from_json_(root, origin, out, model_name, n);
    cJSON_Delete(root);
    return rc;
}

int plan_hfconfig_read(const char *path, PlanShape *out, char *model_name, size_t n) {
    DW_ASSERT(path && out);
    char *text = dw_read_file(path, NULL);
    if (!text) return DW_EIO; /* message set by dw_read_file */
    int rc = plan_hfconfig_parse(text, path, out, model_name, n);
    free(text);
    return rc;
}

// ----------------------------------------------------------------------------
// the embedded model shapes

int plan_model_shape(const char *name_or_path, PlanShape *s, char *name, size_t n) {
    for (const DwEmbedded *e = dw_model_shapes; e->name; e++)
        if (!strcmp(e->name, name_or_path)) return plan_hfconfig_parse(e->text, e->name, s, name, n);
    if (!strchr(name_or_path, '/') && !strstr(name_or_path, ".json")) {
        char list[512] = "";
        for (const DwEmbedded *e = dw_model_shapes; e->name; e++) {
            strncat(list, list[0] ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, e->name, sizeof list - strlen(list) - 1);
        }
        return dw_error_set(DW_ENOTFOUND, "unknown model '%s': not a built-in shape (%s) nor a "
                            "config.json path", name_or_path, list);
    }
    return plan_hfconfig_read(name_or_path, s, name, n);
}

int plan_model_nearest(double total, PlanShape *s, char *name, size_t n) {
    double best = HUGE_VAL;
    int found = 0;
    for (const DwEmbedded *e = dw_model_shapes; e->name; e++) {
        PlanShape m;
        PlanCount c;
        char nm[128];
        if (plan_hfconfig_parse(e->text, e->name, &m, nm, sizeof nm) || plan_count(&m, &c)) continue;
        double d = fabs(log(c.total / total));
        if (d < best) {
            best = d;
            *s = m;
            snprintf(name, n, "%s", e->name);
            found = 1;
        }
    }
    dw_error_clear();
    return found ? DW_OK : dw_error_set(DW_ENOTFOUND, "no built-in model shape");
}

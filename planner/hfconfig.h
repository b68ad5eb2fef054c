/* planner/hfconfig.h — reads a Hugging Face config.json into a PlanShape (DESIGN §4.4:
 * `dwplan check --hf-config`, the planner's "named existing model" comparison).
 *
 * Fields read (first name found wins; GPT-2 aliases after the slash):
 *   hidden_size / n_embd                       W          required
 *   num_hidden_layers / n_layer                D          required
 *   num_attention_heads / n_head               H          required
 *   num_key_value_heads                        KV         default H
 *   head_dim                                   hd         default W / H
 *   intermediate_size / n_inner                F          default 4·W (GELU families only)
 *   vocab_size                                 V          required
 *   max_position_embeddings / n_positions / n_ctx  max_pos  (the position limit; GPT-2
 *                                              default 1024). NOT the training context:
 *                                              seq_len stays plan_shape_default's (the
 *                                              caller sets it: --seq-len, a law's context)
 *   tie_word_embeddings                        tied       default false; true for gpt2, gemma
 * When the root has no hidden_size but a "text_config" object (multimodal wrappers), that
 * object is read instead.
 *
 * Block layout from model_type (then architectures[0], then hidden_act/activation_function):
 *   llama, mistral, qwen2, qwen3, gemma, gemma2, phi3, olmo, ... → SwiGLU (gated MLP),
 *       RMSNorm, no biases, RoPE. Qwen2's q/k/v biases are NOT counted (PlanShape's `biases`
 *       is all-or-nothing): Qwen2-7B is undercounted by D·(Q + 2K) = 28·4608 ≈ 0.13M.
 *   gpt_neox → GELU, LayerNorm, biases, untied, RoPE.
 *   gpt2     → GELU, LayerNorm, biases, tied, learned positions (seq_len × W).
 *   unknown model_type: hidden_act (or activation_function) silu or swish → the llama
 *       layout; gelu, gelu_new, ... or relu → the gpt_neox layout.
 * Heads must divide hidden_size unless head_dim is given (DW_EPARSE naming both fields).
 * Mixture-of-experts configs are refused (DW_EPARSE naming the field): an expert count above
 * one (num_local_experts, num_experts, n_routed_experts, moe_num_experts, num_moe_experts,
 * n_experts, also inside DBRX's ffn_config), any MoE-only key of one or more
 * (num_experts_per_tok, moe_top_k, moe_router_topk, n_shared_experts, num_shared_experts,
 * moe_intermediate_size, shared_expert_intermediate_size), or an MoE model_type (mixtral,
 * deepseek_v2/v3, dbrx, jamba, arctic, gpt_oss, llama4, ..., anything containing "moe").
 */
#ifndef PLAN_HFCONFIG_H
#define PLAN_HFCONFIG_H

#include <stddef.h>

#include "count.h"

/* Parses config.json text.
 * Inputs:  json_text   NUL-terminated JSON (borrowed)
 *          origin      names the source in messages ("llama.json"); its stem is the model
 *                      name of last resort; may be NULL ("config.json")
 *          out         receives the shape (written only on DW_OK)
 *          model_name  when non-NULL, receives _name_or_path, else model_type, else the stem
 *                      of origin, truncated to n bytes including the NUL
 * Return:  DW_OK; DW_EPARSE with a message naming origin and the field for malformed JSON,
 *          a missing required field, a non-integer or non-positive value, a wrong type, an
 *          undecidable block layout or a mixture-of-experts model. */
int plan_hfconfig_parse(const char *json_text, const char *origin, PlanShape *out,
                        char *model_name, size_t n);

/* Reads and parses the file at `path` (used as origin). DW_EIO when it cannot be read,
 * otherwise as plan_hfconfig_parse. */
int plan_hfconfig_read(const char *path, PlanShape *out, char *model_name, size_t n);

/* A model's shape by name or path: an embedded shape (examples/models/, `dwplan check
 * --model`, `dwplan plan --vs`), else a config.json path. DW_ENOTFOUND names the built-in
 * shapes when `name_or_path` is neither; otherwise as plan_hfconfig_read. */
int plan_model_shape(const char *name_or_path, PlanShape *s, char *name, size_t n);

/* The embedded model whose total parameter count is nearest to `total` (in log ratio), the
 * default named model among the planner's alternatives. DW_OK or DW_ENOTFOUND. */
int plan_model_nearest(double total, PlanShape *s, char *name, size_t n);

#endif

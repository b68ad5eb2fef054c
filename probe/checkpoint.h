/* probe/checkpoint.h — probe checkpoints (DESIGN §3 "Checkpoint"): a directory with
 *
 *   model.safetensors      the parameters, fp32, GPT-NeoX / Hugging Face tensor names
 *                          (probe_model_tensor), "__metadata__" with dwplan's run settings
 *   config.json            Hugging Face GPTNeoXConfig (GPTNeoXForCausalLM, model_type
 *                          gpt_neox, use_parallel_residual false, rotary_pct 1.0, ...) plus a
 *                          "dwplan" member with the probe's own settings
 *   optimizer.safetensors  (optional, for --resume) AdamW moments as NAME.exp_avg and
 *                          NAME.exp_avg_sq, and the run state (step, seed, data position,
 *                          measurements so far) as JSON in "__metadata__"/"dwplan_state"
 *
 * safetensors (https://github.com/huggingface/safetensors): 8-byte little-endian header
 * length n, n bytes of JSON {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
 * ..., "__metadata__": {string: string}}, padded with spaces to a multiple of 8, then the
 * raw little-endian tensor bytes (offsets relative to the end of the header).
 *
 * The directory is written atomically: everything goes into DIR.tmp.PID beside it (each file
 * fsynced), which then replaces DIR in one step (renameat2 RENAME_EXCHANGE where the file
 * system has it, else two renames). A reader sees the old checkpoint or the new one.
 */
#ifndef PROBE_CHECKPOINT_H
#define PROBE_CHECKPOINT_H

#include "probe/model.h"

#define PROBE_CKPT_WEIGHTS "model.safetensors"
#define PROBE_CKPT_CONFIG "config.json"
#define PROBE_CKPT_OPTIM "optimizer.safetensors"

/* Writes tensors of `m` as one safetensors file (not atomic by itself: checkpoint_save uses it
 * inside its temporary directory; `dwplan probe eval --grads` writes gradients with it).
 * Inputs:  path      the file (created or truncated, fsynced)
 *          m         the model; its tensors in probe_model_tensor order
 *          nwhich    number of tensor kinds
 *          which     kinds (0 parameters, 1 gradients, 2 first moment, 3 second moment)
 *          suffix    per kind, appended to the tensor name ("" for none, ".exp_avg", ...)
 *          meta_json a JSON object whose values are all strings (safetensors' rule), stored
 *                    as "__metadata__"; NULL for none
 * Return:  DW_OK; DW_EINVAL for a meta_json that is not such an object; DW_EIO (message
 *          names the file); DW_ENOMEM. */
int probe_safetensors_save(const char *path, ProbeModel *m, int nwhich, const int *which,
                           const char *const *suffix, const char *meta_json);

/* Reads tensors saved as above into `m`: each NAME+suffix must be present with dtype F32
 * and the model's shape (extra tensors are ignored). *meta_json (when meta_json is
 * non-NULL) receives the "__metadata__" object as a new string (caller frees; "{}" when
 * absent).
 * Return: DW_OK; DW_EIO the file cannot be read; DW_EPARSE a malformed header, a missing
 * tensor, a wrong dtype or shape, offsets outside the file (message names file and tensor);
 * DW_ENOMEM. */
int probe_safetensors_load(const char *path, ProbeModel *m, int nwhich, const int *which,
                           const char *const *suffix, char **meta_json);

/* Checks, before any work, that `dir` can take a checkpoint: absent (its parent writable),
 * or a directory holding nothing but a checkpoint's files (which a save replaces). Writes
 * nothing. DW_OK; DW_EINVAL (not a directory, foreign files, an empty name), DW_EIO (no
 * writable parent), with the message naming dir. */
int probe_checkpoint_target_check(const char *dir);

/* Writes a checkpoint directory for `m` atomically (see above). First removes the
 * DIR.tmp.PID/ directories of writers that died mid-save (dw_stale_temps_clean).
 * Inputs:  dir         the checkpoint directory (created or replaced)
 *          m           the model (parameters and, with state_json, AdamW moments)
 *          run_json    JSON object text with the run's settings, stored as config.json's
 *                      "dwplan" member and as model.safetensors' metadata "dwplan_run";
 *                      NULL for none
 *          state_json  JSON object text with the run state; non-NULL also writes
 *                      optimizer.safetensors (moments + this state as "dwplan_state")
 * Return:  DW_OK; DW_EINVAL (bad JSON text); DW_EIO; DW_ENOMEM. */
int probe_checkpoint_save(const char *dir, ProbeModel *m, const char *run_json,
                          const char *state_json);

/* Reads dir/config.json into *c (depth, width, heads, vocab, seq_len, mlp_ratio, biases,
 * init_std) and, when run_json is non-NULL, the "dwplan" member as a new string (caller
 * frees; NULL when absent).
 * Every field is checked for its type and range before it is converted (the shape within
 * probe_model_config_check's limits).
 * Return: DW_OK; DW_EIO (no such checkpoint: message names the directory); DW_EPARSE a
 * malformed or incomplete config.json, a field of the wrong type or out of range (message
 * names the file and the field), an architecture other than GPT-NeoX, or
 * intermediate_size not a multiple of hidden_size. */
int probe_checkpoint_config(const char *dir, ProbeModelConfig *c, char **run_json);

/* Checks dir against config c (from probe_checkpoint_config) BEFORE a model is allocated
 * for it, reading only the files' headers: model.safetensors declares every tensor of c
 * (probe_model_config_tensor) with dtype F32, c's shape and integral data_offsets inside
 * the file, and the tensors' sizes add up to no more than the data section (so a small file
 * cannot stand for a large model). With state_json non-NULL, optimizer.safetensors
 * likewise for both moments, and its run state is returned as a new string (caller frees).
 * Return: DW_OK; DW_EIO a missing file; DW_EPARSE (message names the file and the tensor);
 * DW_ENOMEM. */
int probe_checkpoint_check(const char *dir, const ProbeModelConfig *c, char **state_json);

/* Loads the parameters of dir into `m` (allocated for dir's config), and with
 * state_json non-NULL also the AdamW moments and the run state (a new string the caller
 * frees; it is an error when the checkpoint has no optimizer.safetensors).
 * Return: as probe_safetensors_load; DW_EIO for a missing file. */
int probe_checkpoint_load(const char *dir, ProbeModel *m, char **state_json);

/* Writes config.json text (Hugging Face GPTNeoX form) for a model config into a new string
 * the caller frees; run_json as in probe_checkpoint_save. NULL on DW_ENOMEM / bad run_json. */
char *probe_checkpoint_hf_config(const ProbeModelConfig *c, const char *run_json);

#endif

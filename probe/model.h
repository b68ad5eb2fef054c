/* probe/model.h — the probe's transformer (DESIGN §5): GPT-NeoX layout, Pre-LN, RoPE
 * (θ = 10000, rotate-half, full head), causal multi-head attention, GELU MLP (W → r·W → W),
 * LayerNorm with gain and bias, biases on linear layers (switchable), untied output head;
 * AdamW. fp32, on the CPU or (ProbeDevice) on a CUDA GPU. Memory is planned once: one block for parameters, one for their
 * gradients, one for the AdamW moments, one for activations (llm.c's malloc_and_point).
 *
 * Letters: B batch, T sequence, C width, L depth, NH heads, HS = C/NH head size, V vocab.
 * Every call is deterministic for a seed and a thread count.
 */
#ifndef PROBE_MODEL_H
#define PROBE_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int depth;       /* L >= 1 */
    int width;       /* C >= 1 */
    int heads;       /* NH, divides C */
    int vocab;       /* V >= 2 */
    int seq_len;     /* maximum T (RoPE tables) */
    int mlp_ratio;   /* r (default 4) */
    int biases;      /* 1: biases on q/k/v/o and MLP linears */
    float init_std;  /* default 0.02; output projections get init_std / sqrt(2·L) */
} ProbeModelConfig;

/* Defaults above; depth/width/heads/vocab/seq_len must still be set. */
void probe_model_config_default(ProbeModelConfig *c);

/* The largest probe model, in parameters (2^40): beyond it the counts in size_t could wrap. */
#define PROBE_PARAMS_MAX 1099511627776.0

/* DW_OK or DW_EINVAL with a message for impossible shapes (zero depth, heads not dividing
 * width, odd head size for RoPE, more than PROBE_PARAMS_MAX parameters, ...). */
int probe_model_config_check(const ProbeModelConfig *c);

/* The named tensors of a model of config c (which must pass probe_model_config_check)
 * without allocating one, e.g. to check a file's header before a model is made: their
 * number, and tensor i's name (into name, n bytes) and shape as probe_model_tensor gives
 * them. probe_model_config_tensor returns DW_OK, or DW_EINVAL for i out of range. */
int probe_model_config_ntensors(const ProbeModelConfig *c);
int probe_model_config_tensor(const ProbeModelConfig *c, int i, char *name, size_t n,
                              int64_t shape[2], int *ndim);

/* Parameter count (exact; matches planner/count.c's GPT-NeoX count for the same shape). */
size_t probe_model_num_params(const ProbeModelConfig *c);

/* Bytes a run at batch B, sequence T will allocate (parameters, gradients, AdamW moments,
 * activations, scratch): estimated up front so the CLI can refuse an impossible plan.
 * SIZE_MAX when the count would not fit in half a size_t. */
size_t probe_model_memory_bytes(const ProbeModelConfig *c, int B, int T);

/* Training FLOPs per token of a forward+backward pass as the model really computes them
 * (matmuls only: 6·N_matmul + attention 6·L·T·C·(causal: counted in full)), for tokens/s
 * → MFU. */
double probe_model_flops_per_token(const ProbeModelConfig *c, int T);

typedef struct ProbeModel ProbeModel;

/* Where a model runs (kernels/kern.h): backend KERN_CPU with `threads` compute threads, or
 * KERN_CUDA on device `device` with GEMMs in `math` (KERN_MATH_FP32, _TF32, _BF16) and the
 * backend library `library` (NULL: kernels/kern.c's search). */
typedef struct {
    int backend, threads, math, device;
    const char *library;
} ProbeDevice;
void probe_device_default(ProbeDevice *d); /* CPU, 1 thread, fp32 */

/* Allocates for batches up to B×T. threads: compute threads (>= 1; OpenMP threads, each
 * running a single-threaded BLAS — keep jobs × threads <= cores, docs/probe-model.md). NULL
 * on failure with the message set (DW_EINVAL config, DW_ENOMEM). */
ProbeModel *probe_model_alloc(const ProbeModelConfig *c, int B, int T, int threads);
void probe_model_free(ProbeModel *m);

/* Precision of a model's blocks. PROBE_F32 is the run (probe_model_alloc). PROBE_F64 runs
 * the same forward, backward and AdamW code in double, for the whole-model
 * finite-difference test; for such a model probe_model_logits returns NULL and
 * probe_model_tensor sets *data to NULL (use probe_model_block). */
enum { PROBE_F32 = 0, PROBE_F64 = 1 };
ProbeModel *probe_model_alloc_prec(const ProbeModelConfig *c, int B, int T, int threads,
                                   int precision);
/* The general form: on the device d (PROBE_F64 only on the CPU). NULL on failure with the
 * message set: DW_EDEVICE when the backend cannot be opened (no CUDA library, runtime,
 * driver or GPU: the message says which, in the CUDA runtime's words). */
ProbeModel *probe_model_alloc_dev(const ProbeModelConfig *c, int B, int T, const ProbeDevice *d,
                                  int precision);
/* "CPU, 2 threads, OpenBLAS ..." or the GPU's name, compute capability and math mode. */
const char *probe_model_device(const ProbeModel *m);
int probe_model_backend(const ProbeModel *m);
/* DW_OK, or the first backend failure (a CUDA error; the CPU cannot fail): from then on the
 * model does nothing and the forward returns NaN. probe_model_error gives the message
 * (naming the CUDA or cuBLAS call, file and line). */
int probe_model_status(const ProbeModel *m);
/* Waits for the model's queued device work (a no-op on the CPU); DW_OK or the failure. */
int probe_model_sync(ProbeModel *m);
const char *probe_model_error(const ProbeModel *m);
int probe_model_precision(const ProbeModel *m);
const ProbeModelConfig *probe_model_config(const ProbeModel *m);

/* Initialises parameters from seed (N(0, init_std), scaled output projections, LayerNorm
 * gain 1 and bias 0, biases 0) and zeroes gradients and moments. */
void probe_model_init(ProbeModel *m, uint64_t seed);

/* Forward pass on inputs (B, T) token ids. With targets (B, T) returns the mean
 * cross-entropy (nats/token) and keeps what backward needs; with targets NULL returns NaN
 * and leaves logits available via probe_model_logits. B <= allocated B, T <= allocated T. */
float probe_model_forward(ProbeModel *m, const int32_t *inputs, const int32_t *targets, int B,
                          int T);
const float *probe_model_logits(const ProbeModel *m); /* (B, T, V) of the last forward */
/* Mean loss of the last forward with targets, in the model's precision (NaN without
 * targets). */
double probe_model_loss(const ProbeModel *m);

void probe_model_zero_grad(ProbeModel *m);
/* Backward of the last forward with targets: accumulates d(mean loss)/dθ into the grads. */
void probe_model_backward(ProbeModel *m);

/* Per-layer gradient L2 norms, input side first: block[L] (all parameters of block l),
 * attn[L] (ln1, qkv, attention output), mlp[L] (ln2, fc, proj). Any pointer may be NULL. */
void probe_model_grad_norms(ProbeModel *m, double *block, double *attn, double *mlp);

/* Global L2 norm of all gradients; scales them to max_norm when above it (max_norm <= 0:
 * no clipping). Returns the norm before clipping. */
double probe_model_clip_grad(ProbeModel *m, double max_norm);

/* One AdamW step (bias-corrected, step counts from 1). Weight decay applies to matrices
 * (embeddings, linear weights, head), not to biases or LayerNorm parameters. */
void probe_model_adamw(ProbeModel *m, float lr, float beta1, float beta2, float eps,
                       float weight_decay, int step);

/* Host access to the blocks. probe_model_block and probe_model_tensor return host memory:
 * on the CPU the model's own blocks, on a GPU host copies downloaded when the device has
 * changed them (NULL data on a device failure). Writes through these pointers reach a GPU
 * model only with probe_model_commit(m, which) (a no-op on the CPU); which as below. */
int probe_model_commit(ProbeModel *m, int which);

/* Named tensors in GPT-NeoX / Hugging Face naming (gpt_neox.embed_in.weight,
 * gpt_neox.layers.{l}.input_layernorm.weight, ....attention.query_key_value.weight,
 * ....attention.dense.weight, ....post_attention_layernorm.weight,
 * ....mlp.dense_h_to_4h.weight, ....mlp.dense_4h_to_h.weight,
 * gpt_neox.final_layer_norm.weight, embed_out.weight, and their biases), shapes as in
 * PyTorch (out_features, in_features). which: 0 parameters, 1 gradients, 2 AdamW first
 * moment, 3 second moment. Returns the name (static storage owned by m) and fills data,
 * shape[ndim]; NULL when i is out of range. The pointer aliases the model's memory. */
int probe_model_ntensors(const ProbeModel *m);
/* The whole block `which` (as above) as one flat vector of *n elements (float* or double*
 * by the model's precision; zero padding between tensors). Borrowed, valid until
 * probe_model_free. */
void *probe_model_block(ProbeModel *m, int which, size_t *n);
/* Element offset of tensor i (as probe_model_tensor numbers them) in every block. */
size_t probe_model_tensor_offset(const ProbeModel *m, int i);
const char *probe_model_tensor(ProbeModel *m, int i, int which, float **data, int64_t shape[2],
                               int *ndim);

#endif

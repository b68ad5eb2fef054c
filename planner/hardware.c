/* planner/hardware.c — table of accelerator dense BF16 peaks and the hardware → compute
 * conversion C = peak · devices · seconds · MFU.
 *
 * Every number is the vendor's dense (no sparsity) BF16 matrix peak for one device; where
 * the datasheet headlines the 2:4-sparsity figure, the dense one is half of it. Design
 * stance: a short table a reader can audit against the cited datasheets, not a database.
 */
#include "hardware.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/dw.h"

static const PlanGpu gpus_[] = {
    /* A100 datasheet: BF16 Tensor Core 312 TFLOPS (624 with sparsity); SXM and PCIe alike. */
    {"a100", 312e12, "NVIDIA A100 Tensor Core GPU datasheet (BF16 Tensor Core, dense)", ""},
    /* H100 datasheet: SXM BF16 1,979 TFLOPS with sparsity → 989 dense. */
    {"h100", 989e12, "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM (1,979 TFLOPS sparse / 2)",
     "SXM5 form factor; the PCIe card is h100-pcie"},
    /* H100 datasheet: PCIe BF16 1,513 TFLOPS with sparsity → 756 dense. */
    {"h100-pcie", 756e12,
     "NVIDIA H100 Tensor Core GPU datasheet, H100 PCIe (1,513 TFLOPS sparse / 2)", ""},
    /* H200 datasheet: SXM BF16 1,979 TFLOPS with sparsity → 989 dense (same die as H100). */
    {"h200", 989e12, "NVIDIA H200 Tensor Core GPU datasheet, H200 SXM (1,979 TFLOPS sparse / 2)",
     "H200 NVL (PCIe) is lower (about 835 TFLOPS dense); not listed"},
    /* HGX B200: 36 PFLOPS BF16 with sparsity for 8 GPUs → 4.5 sparse → 2.25 dense per GPU. */
    {"b200", 2250e12, "NVIDIA HGX B200 datasheet (FP16/BF16 per GPU, sparse / 2)",
     "HGX B200 (1000 W) configuration; DGX B200 and later B200 SKUs are quoted lower or higher "
     "depending on power limit; treat as approximate"},
    /* L40S datasheet: BF16 Tensor Core 362.05 TFLOPS (733 with sparsity). */
    {"l40s", 362e12, "NVIDIA L40S datasheet (BF16 Tensor Core, dense)", ""},
    /* L4 datasheet: BF16 Tensor Core 242 TFLOPS with sparsity → 121 dense. */
    {"l4", 121e12, "NVIDIA L4 Tensor Core GPU datasheet (242 TFLOPS sparse / 2)", ""},
    /* A10 datasheet: BF16 Tensor Core 125 TFLOPS (250 with sparsity). */
    {"a10", 125e12, "NVIDIA A10 Tensor Core GPU datasheet (BF16 Tensor Core, dense)", ""},
    /* V100 datasheet: 125 TFLOPS Tensor Performance (SXM2), FP16 inputs. */
    {"v100", 125e12, "NVIDIA V100 Tensor Core GPU datasheet, V100 SXM2 (FP16 Tensor)",
     "no BF16 support: this is the FP16 tensor peak; V100 PCIe is 112 TFLOPS"},
    /* AMD Instinct MI250X datasheet: peak BF16 383 TFLOPS (the card: two GCDs). */
    {"mi250x", 383e12, "AMD Instinct MI250X datasheet (peak BF16)",
     "one OAM module = two GCDs, which software sees as two devices of ~191.5 TFLOPS each"},
    /* AMD Instinct MI300X datasheet: peak BF16 1,307.4 TFLOPS dense (2,614.9 with sparsity). */
    {"mi300x", 1307.4e12, "AMD Instinct MI300X datasheet (peak BF16, dense)", ""},
    /* Google Cloud TPU v4 documentation: 275 TFLOPS peak BF16 per chip. */
    {"tpu-v4", 275e12, "Google Cloud TPU v4 system architecture docs (BF16 per chip)", ""},
    /* Google Cloud TPU v5e documentation: 197 TFLOPS BF16 per chip. */
    {"tpu-v5e", 197e12, "Google Cloud TPU v5e docs (BF16 per chip)", ""},
    /* Google Cloud TPU v5p documentation: 459 TFLOPS BF16 per chip. */
    {"tpu-v5p", 459e12, "Google Cloud TPU v5p docs (BF16 per chip)", ""},
};
#define NGPUS_ ((int)(sizeof gpus_ / sizeof gpus_[0]))

static const struct {
    const char *alias;
    const char *name;
} aliases_[] = {
    {"a100-sxm", "a100"},    {"a100-pcie", "a100"},    {"a100-40gb", "a100"},
    {"a100-80gb", "a100"},   {"h100-sxm", "h100"},     {"h100-sxm5", "h100"},
    {"h100-80gb", "h100"},   {"h200-sxm", "h200"},     {"tpuv4", "tpu-v4"},
    {"tpuv5e", "tpu-v5e"},   {"tpuv5p", "tpu-v5p"},    {"v5e", "tpu-v5e"},
    {"v5p", "tpu-v5p"},      {"v100-sxm2", "v100"},
};

static int ieq_(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

static int iprefix_(const char *s, const char *prefix) {
    for (; *prefix; s++, prefix++)
        if (tolower((unsigned char)*s) != *prefix) return 0;
    return 1;
}

const PlanGpu *plan_gpu_find(const char *name) {
    if (!name) return NULL;
    static const char *const vendors[] = {"nvidia-", "amd-", "google-"};
    for (int v = 0; v < 3; v++)
        if (iprefix_(name, vendors[v])) {
            name += strlen(vendors[v]);
            break;
        }
    for (int i = 0; i < NGPUS_; i++)
        if (ieq_(name, gpus_[i].name)) return &gpus_[i];
    for (size_t a = 0; a < sizeof aliases_ / sizeof aliases_[0]; a++)
        if (ieq_(name, aliases_[a].alias)) return plan_gpu_find(aliases_[a].name);
    return NULL;
}

const PlanGpu *plan_gpu_table(int *n) {
    if (n) *n = NGPUS_;
    return gpus_;
}

int plan_compute_from_hardware(const char *gpu, double gpus, double days, double mfu,
                               double *flops) {
    DW_ASSERT(flops);
    const PlanGpu *g = plan_gpu_find(gpu);
    if (!g) {
        char known[512];
        size_t k = 0;
        known[0] = '\0';
        for (int i = 0; i < NGPUS_ && k < sizeof known; i++)
            k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "",
                                  gpus_[i].name);
        return dw_error_set(DW_ENOTFOUND, "unknown GPU '%s' (known: %s)", gpu ? gpu : "(null)",
                            known);
    }
    if (!isfinite(gpus) || gpus <= 0)
        return dw_error_set(DW_ERANGE, "gpus must be a finite number > 0 (got %g)", gpus);
    if (!isfinite(days) || days <= 0)
        return dw_error_set(DW_ERANGE, "days must be a finite number > 0 (got %g)", days);
    if (!isfinite(mfu) || mfu <= 0 || mfu > 1)
        return dw_error_set(DW_ERANGE, "mfu must be in (0, 1] (got %g)", mfu);
    *flops = g->bf16_flops * gpus * days * 86400.0 * mfu;
    return DW_OK;
}

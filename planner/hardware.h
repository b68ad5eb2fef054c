/* planner/hardware.h — accelerator peak throughput, and a compute budget from hardware
 * (DESIGN §4.4: `--gpu`, `--gpus`, `--days`, `--mfu`).
 *
 * Peaks are dense (no 2:4 sparsity) BF16 tensor-core / matrix-unit FLOP/s per device, as the
 * vendor datasheet states them; each entry carries its source. Datasheets that quote "with
 * sparsity" figures are halved.
 */
#ifndef PLAN_HARDWARE_H
#define PLAN_HARDWARE_H

typedef struct {
    const char *name;  /* canonical lower-case name ("h100") */
    double bf16_flops; /* dense BF16 peak, FLOP/s per device */
    const char *source; /* where the number comes from */
    const char *note;   /* caveats ("" when none), never NULL */
} PlanGpu;

/* Looks up a device by name or alias, case-insensitively ("H100", "h100-sxm", "A100-80GB");
 * a leading vendor prefix "nvidia-", "amd-" or "google-" is ignored. Returns a borrowed
 * pointer into the static table, or NULL (no message set). */
const PlanGpu *plan_gpu_find(const char *name);

/* The whole table (static, borrowed); *n receives the number of entries. */
const PlanGpu *plan_gpu_table(int *n);

/* Training compute of a hardware budget: flops = peak · gpus · days · 86400 · mfu.
 * Inputs:  gpu   device name as for plan_gpu_find
 *          gpus  number of devices (> 0; fractional allowed)
 *          days  wall-clock days (> 0)
 *          mfu   model FLOP utilisation in (0, 1]
 *          flops receives the budget in FLOPs (written only on DW_OK)
 * Return:  DW_OK; DW_ENOTFOUND for an unknown device (the message lists the known names);
 *          DW_ERANGE for gpus or days <= 0 or non-finite, or mfu outside (0, 1]. */
int plan_compute_from_hardware(const char *gpu, double gpus, double days, double mfu,
                               double *flops);

#endif

/* cli/cmd_probe_bench.c — `dwplan probe bench`: training-step throughput and model-FLOPs
 * utilisation of the probe on a backend (CPU or CUDA), against the GEMM rate of the same
 * backend measured in the same run, before and after the shapes (probe/bench.h). A
 * benchmark, not a test: it reports and exits 0 whatever the numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/dw.h"
#include "kernels/kern.h"
#include "probe/bench.h"
#include "probe/sweep.h"

static void help_(void) {
    printf("usage: dwplan probe bench [--backend cpu|cuda] [--math fp32|tf32|bf16] [--device N]\n"
           "           [--threads N] [--widths LIST] [--depths LIST] [--batch B] [--seq S]\n"
           "           [--vocab V] [--min-time SECONDS] [--gemm-n N] [--json] [--quiet]\n"
           "\n"
           "Measures the backend's GEMM rate (a square n×n GEMM through the same kernel\n"
           "interface the model uses: split over the CPU threads, or one cuBLAS call in the\n"
           "--math mode), then times full training steps (forward, backward, clipping,\n"
           "AdamW) for every width × depth, then the GEMM rate again. Per shape it prints\n"
           "tokens/s, the model FLOPs per second, the floor (the step's model FLOPs at the\n"
           "higher GEMM rate) and MFU = floor ÷ step time. Each shape's time is its fastest\n"
           "window of >= 1 s within --min-time, so a burst of load elsewhere does not decide it.\n"
           "\n"
           "  --backend cpu|cuda      default cpu\n"
           "  --math fp32|tf32|bf16   cuda GEMM precision (default fp32)\n"
           "  --device N              CUDA device (default 0)\n"
           "  --threads N             CPU threads (default: all CPUs)\n"
           "  --widths LIST           default 64,128,256,512 (cpu); 256,512,1024,2048 (cuda)\n"
           "  --depths LIST           default 2,4,8 (cpu); 4,12 (cuda)\n"
           "  --batch B --seq S       default 8 × 256 (cpu); 8 × 1024 (cuda)\n"
           "  --vocab V               default 256 (cpu); 50304 (cuda)\n"
           "  --min-time SECONDS      timing per shape (default 3)\n"
           "  --gemm-n N              GEMM size for the rate (default 2048 cpu, 4096 cuda)\n"
           "  --json                  one JSON object on stdout\n"
           "\n"
           "examples:\n"
           "  dwplan probe bench --threads 2 --widths 64,256 --depths 4 --min-time 1\n"
           "  dwplan probe bench --backend cuda --math bf16 --widths 1024,2048 --depths 12\n"
           "\n"
           "exit codes: 0 measured, 2 usage, 4 device or system error\n");
}

int cmd_probe_bench(int argc, char **argv) {
    int help = 0, json = 0, quiet = 0, B = 0, T = 0, V = 0, gemm_n = 0, rc;
    double min_time = 3;
    const char *backend = NULL, *math = NULL, *widths_s = NULL, *depths_s = NULL;
    ProbeDevice d;
    probe_device_default(&d);
    d.threads = 0;
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
        CLI_OPT_STR("--backend", &backend), CLI_OPT_STR("--math", &math),
        CLI_OPT_INT("--device", &d.device, 0, 1024), CLI_OPT_INT("--threads", &d.threads, 1, 4096),
        CLI_OPT_STR("--widths", &widths_s), CLI_OPT_STR("--depths", &depths_s),
        CLI_OPT_INT("--batch", &B, 1, 1 << 20), CLI_OPT_INT("--seq", &T, 1, 1 << 20),
        CLI_OPT_INT("--vocab", &V, 2, 1 << 24), CLI_OPT_NUM("--min-time", &min_time, 0, 0),
        CLI_OPT_INT("--gemm-n", &gemm_n, 1, 1 << 16), CLI_OPT_FLAG("--json", &json),
        CLI_OPT_FLAG("--quiet", &quiet)};
    for (int i = 1; i < argc; i++) {
        int p = cli_parse_opt(argc, argv, &i, opts, sizeof opts / sizeof opts[0], "probe bench");
        if (p < 0) return -p;
        if (p == 0) return cli_usage_error("probe bench", "unknown option '%s'", argv[i]);
        if (help) {
            help_();
            return 0;
        }
    }
    if ((rc = cli_probe_device("probe bench", backend, math, &d.backend, &d.math))) return rc;
    const int gpu = d.backend == KERN_CUDA;
    if (d.threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        d.threads = gpu ? 1 : nc > 0 ? (int)nc : 1;
    }
    if (!widths_s) widths_s = gpu ? "256,512,1024,2048" : "64,128,256,512";
    if (!depths_s) depths_s = gpu ? "4,12" : "2,4,8";
    if (!B) B = 8;
    if (!T) T = gpu ? 1024 : 256;
    if (!V) V = gpu ? 50304 : 256;
    if (!gemm_n) gemm_n = gpu ? 4096 : 2048;
    int *wv = NULL, *dv = NULL, nw = 0, nd = 0;
    if (probe_sweep_parse_list(widths_s, &wv, &nw) || probe_sweep_parse_list(depths_s, &dv, &nd)) {
        free(wv);
        return cli_fail("probe bench", DW_EINVAL);
    }

    KernCtx ctx; /* the device's description */
    KernOptions o = {d.backend, d.threads, d.math, d.device, NULL};
    if ((rc = kern_ctx_open(&ctx, &o))) {
        free(wv), free(dv);
        return cli_fail("probe bench", rc);
    }
    char device[sizeof ctx.device];
    memcpy(device, ctx.device, sizeof device);
    kern_ctx_free(&ctx);
    if (!quiet) fprintf(stderr, "probe bench: %s\n", device);

    double g0 = NAN, g1 = NAN;
    if ((rc = probe_bench_gemm(&d, gemm_n, 5, &g0))) goto fail;
    if (!quiet) fprintf(stderr, "probe bench: GEMM %d³: %.1f GFLOP/s\n", gemm_n, g0);
    ProbeBenchRow *rows = calloc((size_t)nw * nd, sizeof *rows);
    int nrows = 0;
    if (!rows) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto fail;
    }
    for (int iw = 0; iw < nw; iw++)
        for (int id = 0; id < nd; id++) {
            ProbeModelConfig c;
            probe_model_config_default(&c);
            c.width = wv[iw], c.depth = dv[id], c.vocab = V, c.seq_len = T;
            c.heads = c.width >= 64 ? c.width / 64 : 1;
            if (probe_model_config_check(&c)) {
                fprintf(stderr, "probe bench: W=%d D=%d skipped: %s\n", c.width, c.depth,
                        dw_error_get());
                continue;
            }
            ProbeBenchRow *r = &rows[nrows];
            /* the floor needs the rate; set once both GEMM measurements exist */
            if ((rc = probe_bench_step(&c, &d, B, T, min_time, r))) {
                fprintf(stderr, "probe bench: W=%d D=%d: %s\n", c.width, c.depth, dw_error_get());
                if (rc == DW_EDEVICE) {
                    free(rows);
                    goto fail;
                }
                continue;
            }
            nrows++;
            if (!quiet)
                fprintf(stderr, "probe bench: W=%d D=%d: %.0f tokens/s (%d steps)\n", c.width,
                        c.depth, r->tokens_per_s, r->steps);
        }
    if ((rc = probe_bench_gemm(&d, gemm_n, 5, &g1))) {
        free(rows);
        goto fail;
    }
    double peak = fmax(g0, g1);
    for (int i = 0; i < nrows; i++) probe_bench_set_rate(&rows[i], peak);
    if (json) {
        printf("{\"device\":\"%s\",\"backend\":\"%s\",\"math\":\"%s\",\"threads\":%d,"
               "\"batch\":%d,\"seq\":%d,\"vocab\":%d,\"gemm_n\":%d,\"gemm_gflops_before\":%.6g,"
               "\"gemm_gflops_after\":%.6g,\"gemm_gflops_peak\":%.6g,\"rows\":[",
               device, kern_backend_name(d.backend), kern_math_name(d.math), d.threads, B, T, V,
               gemm_n, g0, g1, peak);
        for (int i = 0; i < nrows; i++) {
            const ProbeBenchRow *r = &rows[i];
            printf("%s{\"width\":%d,\"depth\":%d,\"heads\":%d,\"params\":%zu,\"step_ms\":%.6g,"
                   "\"tokens_per_s\":%.6g,\"model_gflops\":%.6g,\"floor_ms\":%.6g,\"mfu\":%.6g,"
                   "\"loss\":%.6g,\"steps\":%d}",
                   i ? "," : "", r->width, r->depth, r->heads, r->params, r->step_ms,
                   r->tokens_per_s, r->model_gflops, r->floor_ms, r->mfu, r->loss, r->steps);
        }
        printf("]}\n");
    } else {
        printf("device: %s\n", device);
        printf("batch %d × seq %d, vocab %d; GEMM %d³: %.1f GFLOP/s before, %.1f after "
               "(floor and MFU use %.1f)\n", B, T, V, gemm_n, g0, g1, peak);
        printf("%6s %3s %5s %11s %9s %11s %10s %9s %6s %8s\n", "W", "D", "heads", "params",
               "step_ms", "tokens/s", "model_GF/s", "floor_ms", "MFU", "loss");
        for (int i = 0; i < nrows; i++) {
            const ProbeBenchRow *r = &rows[i];
            printf("%6d %3d %5d %11zu %9.2f %11.0f %10.1f %9.2f %5.1f%% %8.4f\n", r->width,
                   r->depth, r->heads, r->params, r->step_ms, r->tokens_per_s, r->model_gflops,
                   r->floor_ms, 100 * r->mfu, r->loss);
        }
        printf("MFU = model FLOPs per step (6·matmul params + attention, probe_model_flops_"
               "per_token) at the GEMM rate ÷ the step's time\n");
    }
    free(rows);
    free(wv), free(dv);
    return 0;
fail:
    free(wv), free(dv);
    return cli_fail("probe bench", rc);
}

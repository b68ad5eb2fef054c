/* tests/test_kern_math.c — kernels/kern_math.h, the element-wise mathematics shared by the
 * CPU and (later) CUDA backends. The float approximations against libm in double over dense
 * grids, reporting the largest error (llm.c's validate_result); the identities the model
 * relies on (RoPE's backward is the transposed rotation, softmax rows sum to one, the
 * LayerNorm statistics, the AdamW update written out).
 *
 * Known limitations (by design, documented in kern_math.h):
 *   | function        | where                  | behaviour                          |
 *   |-----------------|------------------------|------------------------------------|
 *   | kern_exp_f      | x in (88, 88.72]       | returns e^88 (callers pass x <= 0) |
 *   | kern_exp_f      | x < −87.3              | 0 (no subnormal results)           |
 *   | kern_normcdf_f  | x < −13                | 0 below float's range anyway       |
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../kernels/kern_math.h"
#include "check.h"

static double gelu_exact(double x) { return x * 0.5 * erfc(-x / sqrt(2.0)); }
static double gelu_grad_exact(double x) {
    return 0.5 * erfc(-x / sqrt(2.0)) + x * exp(-0.5 * x * x) / sqrt(2.0 * 3.14159265358979323846);
}

static void test_exp(void) {
    double worst = 0, at = 0;
    for (int i = 0; i <= 2000000; i++) {
        double x = -87.0 + 175.0 * i / 2000000.0;
        float y = kern_exp_f((float)x);
        double want = exp((double)(float)x);
        double rel = fabs(y - want) / want;
        if (rel > worst) worst = rel, at = x;
    }
    printf("  kern_exp_f on [-87, 88]: max rel err %.3e (at %.4f)\n", worst, at);
    CHECK(worst < 3e-7);
    CHECK(kern_exp_f(0.0f) == 1.0f);
    CHECK(kern_exp_f(-100.0f) == 0.0f);
    CHECK(kern_exp_f(-INFINITY) == 0.0f);
    CHECK(isinf(kern_exp_f(100.0f)) && kern_exp_f(100.0f) > 0);
    CHECK(isnan(kern_exp_f(NAN)));
    CHECK(kern_exp_d(1.5) == exp(1.5));
}

static void test_normcdf_gelu(void) {
    double w_cdf = 0, w_gelu = 0, w_grad = 0, w_abs = 0;
    for (int i = 0; i <= 400000; i++) {
        double x = -10.0 + 20.0 * i / 400000.0;
        float xf = (float)x;
        double xd = xf;
        double cdf = 0.5 * erfc(-xd / sqrt(2.0));
        double e = fabs(kern_normcdf_f(xf) - cdf);
        w_abs = fmax(w_abs, e);
        if (xd > -5.6) w_cdf = fmax(w_cdf, e / cdf); /* Φ >= 1e-8: relative */
        if (xd < -5.6) continue; /* gelu below −2e-7: its relative error grows like z² */
        double g = gelu_exact(xd);
        w_gelu = fmax(w_gelu, fabs(kern_gelu_f(xf) - g) / fmax(fabs(g), 1e-30));
        double gg = gelu_grad_exact(xd);
        /* gelu' crosses zero near x = −0.75: relative to max(|gelu'|, 0.1) */
        w_grad = fmax(w_grad, fabs(kern_gelu_grad_f(xf) - gg) / fmax(fabs(gg), 0.1));
    }
    printf("  kern_normcdf_f on [-10, 10]: max abs err %.3e; max rel err (x > -5.6) %.3e\n",
           w_abs, w_cdf);
    printf("  kern_gelu_f: max rel err %.3e; kern_gelu_grad_f: max rel err %.3e\n", w_gelu,
           w_grad);
    CHECK(w_abs < 3e-7);
    CHECK(w_cdf < 5e-6);
    CHECK(w_gelu < 5e-6);
    CHECK(w_grad < 2e-6);
    /* exact erf form, not the tanh approximation: at x = 1 they differ by ~1.6e-4 */
    CHECK_REL(kern_gelu_d(1.0), 0.8413447460685429, 1e-15);
    CHECK_REL(kern_gelu_f(1.0f), 0.8413447460685429, 1e-6);
    CHECK(kern_gelu_d(0.0) == 0.0);
    /* double derivative against central differences */
    double worst = 0;
    for (double x = -6; x <= 6; x += 0.37) {
        double h = 1e-5, num = (kern_gelu_d(x + h) - kern_gelu_d(x - h)) / (2 * h);
        worst = fmax(worst, fabs(num - kern_gelu_grad_d(x)));
    }
    printf("  kern_gelu_grad_d vs central differences: max |diff| %.3e\n", worst);
    CHECK(worst < 1e-9);
}

static void test_rope(void) {
    double a = 0.3, b = -1.7, c = cos(0.9), s = sin(0.9);
    double ra = a, rb = b;
    kern_rope_rotate_d(&ra, &rb, c, s);
    CHECK_REL(ra, a * c - b * s, 1e-15);
    CHECK_REL(rb, b * c + a * s, 1e-15);
    /* backward = transpose = inverse of a rotation */
    kern_rope_rotate_back_d(&ra, &rb, c, s);
    CHECK_REL(ra, a, 1e-15);
    CHECK_REL(rb, b, 1e-15);
    /* <R x, y> = <x, R^T y> */
    double x1 = 0.2, x2 = 0.9, y1 = -0.4, y2 = 1.3;
    double rx1 = x1, rx2 = x2, ty1 = y1, ty2 = y2;
    kern_rope_rotate_d(&rx1, &rx2, c, s);
    kern_rope_rotate_back_d(&ty1, &ty2, c, s);
    CHECK_REL(rx1 * y1 + rx2 * y2, x1 * ty1 + x2 * ty2, 1e-15);
    /* frequencies: HS = 64, i = 16 → 10000^(-1/2) = 0.01 */
    CHECK_REL(kern_rope_freq_d(16, 64), 0.01, 1e-15);
    CHECK_REL(kern_rope_freq_f(16, 64), 0.01, 1e-7);
    CHECK(kern_rope_freq_f(0, 64) == 1.0f);
}

static void test_rows(void) {
    float x[7] = {3, 3, 3, 3, 3, 3, 3}, mean, rstd;
    kern_ln_stats_f(x, 7, 1e-5f, &mean, &rstd);
    CHECK(mean == 3.0f);
    CHECK_REL(rstd, 1 / sqrt(1e-5), 1e-6);
    double y[5] = {1, 2, 3, 4, 10}, m, r;
    kern_ln_stats_d(y, 5, 0, &m, &r);
    CHECK_REL(m, 4.0, 1e-15);
    CHECK_REL(r, 1 / sqrt((9 + 4 + 1 + 0 + 36) / 5.0), 1e-15);
    double p[4] = {1, -2, 0.5, 3};
    double lse = kern_softmax_row_d(p, 4);
    CHECK_REL(lse, log(exp(1) + exp(-2) + exp(0.5) + exp(3)), 1e-15);
    CHECK_REL(p[0] + p[1] + p[2] + p[3], 1.0, 1e-15);
    CHECK_REL(p[3], exp(3) / (exp(1) + exp(-2) + exp(0.5) + exp(3)), 1e-15);
    float q[3] = {1000, 1001, 999}; /* max-shifted: no overflow */
    kern_softmax_row_f(q, 3);
    CHECK(q[1] > q[0] && q[0] > q[2] && isfinite(q[1]));
    CHECK(kern_row_max_f(q, 3) == q[1]);
}

static void test_adamw(void) {
    float p = 0.5f, m = 0.1f, v = 0.02f;
    const float g = -0.3f, lr = 1e-3f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f;
    int step = 4;
    double bc1 = 1 - pow(b1, step), bc2 = 1 - pow(b2, step);
    double mm = b1 * 0.1 + (1 - b1) * g, vv = b2 * 0.02 + (1 - b2) * (double)g * g;
    double want = 0.5 * (1 - (double)lr * wd) - lr * (mm / bc1) / (sqrt(vv / bc2) + eps);
    kern_adamw_update_f(&p, &m, &v, g, lr, b1, b2, eps, wd, (float)bc1, (float)sqrt(bc2));
    CHECK_REL(p, want, 1e-6);
    CHECK_REL(m, mm, 1e-6);
    CHECK_REL(v, vv, 1e-6);
}

int main(void) {
    test_exp();
    test_normcdf_gelu();
    test_rope();
    test_rows();
    test_adamw();
    return check_done("test_kern_math");
}

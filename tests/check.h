/* tests/check.h — the assertions every test uses (testhelp.h style). Each failure prints
 * file:line and the values; check_done() prints "name: N passed, N failed" and returns the
 * exit code (0 pass, 1 fail). */
#ifndef DW_CHECK_H
#define DW_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_pass_, check_fail_;

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (cond) check_pass_++;                                                              \
        else {                                                                                \
            check_fail_++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);          \
        }                                                                                     \
    } while (0)

/* |got - want| <= tol·max(|want|, tiny); prints both values and the relative error. */
#define CHECK_REL(got, want, tol)                                                             \
    do {                                                                                      \
        double g_ = (got), w_ = (want), t_ = (tol);                                           \
        double e_ = fabs(g_ - w_) / fmax(fabs(w_), 1e-300);                                   \
        if (e_ <= t_) check_pass_++;                                                          \
        else {                                                                                \
            check_fail_++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK_REL failed: %s = %.12g, want %.12g (rel err %.3g > %.3g)\n", \
                    __FILE__, __LINE__, #got, g_, w_, e_, t_);                               \
        }                                                                                     \
    } while (0)

#define CHECK_ABS(got, want, tol)                                                             \
    do {                                                                                      \
        double g_ = (got), w_ = (want), t_ = (tol);                                           \
        if (fabs(g_ - w_) <= t_) check_pass_++;                                               \
        else {                                                                                \
            check_fail_++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK_ABS failed: %s = %.12g, want %.12g (|diff| %.3g > %.3g)\n", \
                    __FILE__, __LINE__, #got, g_, w_, fabs(g_ - w_), t_);                    \
        }                                                                                     \
    } while (0)

#define CHECK_STATUS(expr)                                                                    \
    do {                                                                                      \
        int rc_ = (expr);                                                                     \
        if (rc_ == 0) check_pass_++;                                                          \
        else {                                                                                \
            check_fail_++;                                                                    \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, rc_,    \
                    dw_error_get());                                                          \
        }                                                                                     \
    } while (0)

static inline int check_done(const char *name) {
    printf("%s: %d passed, %d failed\n", name, check_pass_, check_fail_);
    return check_fail_ ? 1 : 0;
}

#endif

/* common/dwfmt.c — number formatting for people (dwfmt.h). */
#include "dwfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* v = m·10^e with 1 <= |m| < 10 after rounding m to `dec` decimals. */
static void split_(double v, int dec, double *m, int *e) {
    *e = v == 0 ? 0 : (int)floor(log10(fabs(v)));
    *m = v / pow(10, *e);
    double lim = 10 - 0.5 * pow(10, -dec);
    if (fabs(*m) >= lim) *m /= 10, (*e)++;
}

const char *dw_fmt_sci(double v, char *buf, size_t n) {
    if (!isfinite(v)) {
        snprintf(buf, n, "%g", v);
        return buf;
    }
    double m;
    int e;
    split_(v, 2, &m, &e);
    snprintf(buf, n, "%.2fe%d", m, e);
    return buf;
}

const char *dw_fmt_sci_short(double v, char *buf, size_t n) {
    if (!isfinite(v) || v == 0) {
        snprintf(buf, n, "%g", v);
        return buf;
    }
    double m;
    int e;
    split_(v, 2, &m, &e);
    if (fabs(m - round(m)) < 0.005) snprintf(buf, n, "%.0fe%d", m, e);
    else snprintf(buf, n, "%.2fe%d", m, e);
    return buf;
}

const char *dw_fmt_count(double v, char *buf, size_t n) {
    static const struct {
        double s;
        const char *u;
    } units[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}};
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (fabs(v) >= units[k].s) {
            double m = v / units[k].s;
            snprintf(buf, n, m >= 100 ? "%.0f%s" : m >= 10 ? "%.1f%s" : "%.2f%s", m, units[k].u);
            return buf;
        }
    snprintf(buf, n, "%.0f", v);
    return buf;
}

const char *dw_fmt_pm(double v, double se, char *buf, size_t n) {
    if (!isfinite(v)) snprintf(buf, n, "n/a");
    else if (se == 0) snprintf(buf, n, "%.6g ± 0", v);
    else if (!(se > 0) || !isfinite(se)) snprintf(buf, n, "%.6g ± n/a", v);
    else {
        int dec = 1 - (int)floor(log10(se));
        if (dec > 6) snprintf(buf, n, "%.6g ± %.1e", v, se);
        else snprintf(buf, n, "%.*f ± %.*f", dec < 0 ? 0 : dec, v, dec < 0 ? 0 : dec, se);
    }
    return buf;
}

const char *dw_fmt_stat(double v, char *buf, size_t n) {
    if (isfinite(v)) snprintf(buf, n, "%.4f", v);
    else snprintf(buf, n, "n/a");
    return buf;
}

const char *dw_fmt_bytes(double b, char *buf, size_t n) {
    if (b >= 1024.0 * 1024 * 1024) snprintf(buf, n, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    else if (b >= 1024.0 * 1024) snprintf(buf, n, "%.1f MiB", b / (1024.0 * 1024));
    else snprintf(buf, n, "%.0f KiB", b / 1024.0);
    return buf;
}

const char *dw_fmt_duration(double s, char *buf, size_t n) {
    if (!(s >= 0) || s > 1e8) snprintf(buf, n, "?");
    else if (s < 60) snprintf(buf, n, "%.0fs", s);
    else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

const char *dw_fmt_shortest(double v, char *buf, size_t n) {
    if (isnan(v)) snprintf(buf, n, "nan");
    else if (isinf(v)) snprintf(buf, n, "%s", v < 0 ? "-inf" : "inf");
    else
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, n, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) break;
        }
    return buf;
}

/* common/dwfmt.h — how dwplan writes numbers for people: the one set of formatters that the
 * CLI, the figures' captions and the report share, so a number reads the same everywhere.
 * Each writes at most n bytes (NUL included) into buf and returns buf. */
#ifndef DW_FMT_H
#define DW_FMT_H

#include <stddef.h>

/* Scientific with two decimals: 1.00e22, 6.40e9, -3.10e-2; "nan"/"inf" as printf does. */
const char *dw_fmt_sci(double v, char *buf, size_t n);

/* Scientific, short when the mantissa is whole: 1e22, 6.4e9 → "6.40e9", 2e10; "0" for zero. */
const char *dw_fmt_sci_short(double v, char *buf, size_t n);

/* A count with a unit suffix and three significant digits: 124M, 6.74B, 12.5k, 999. */
const char *dw_fmt_count(double v, char *buf, size_t n);

/* A value with its standard error, the SE to two significant digits and the value to the
 * same decimal place: "0.448 ± 0.008", "2.457 ± 0.027"; "1.5 ± 0" for a zero SE, "1.5 ± n/a"
 * when the SE is unknown (NaN), "n/a" when the value is not finite. Values whose SE needs
 * more than 6 decimals print as "%.6g ± %.1e". */
const char *dw_fmt_pm(double v, double se, char *buf, size_t n);

/* R² (or any statistic) to 4 decimals, or "n/a" when it is not finite. */
const char *dw_fmt_stat(double v, char *buf, size_t n);

/* Bytes in binary units: "512 KiB", "3.4 MiB", "1.25 GiB". */
const char *dw_fmt_bytes(double bytes, char *buf, size_t n);

/* A duration: "42s", "3m07s", "2h05m"; "?" when negative, NaN or absurd (> 1e8 s). */
const char *dw_fmt_duration(double seconds, char *buf, size_t n);

/* The shortest "%.15g" / "%.16g" / "%.17g" text that reads back (strtod) to exactly v;
 * "nan", "inf", "-inf" for those. For writing numbers into files that must round-trip. */
const char *dw_fmt_shortest(double v, char *buf, size_t n);

#endif

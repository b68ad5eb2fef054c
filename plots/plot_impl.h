/* plots/plot_impl.h — helpers shared by the files of plots/ (not part of the public API:
 * callers use plot.h). Names end in `_` because they are non-static internals (STYLE §1). */
#ifndef PLOT_IMPL_H
#define PLOT_IMPL_H

#include <stdarg.h>
#include <stddef.h>

#include "plot.h"

/* A growable text buffer. After an allocation failure `oom` is set and later appends are
 * ignored, so callers check once at the end. */
typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} PlotBuf;

void plot_buf_printf_(PlotBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void plot_buf_puts_(PlotBuf *b, const char *s);
void plot_buf_free_(PlotBuf *b);

/* Text for a gnuplot single-quoted string in enhanced mode: enhanced-text control
 * characters (_ ^ @ & ~ { }) get a backslash, a quote is doubled. */
const char *plot_gp_esc_(const char *in, char *out, size_t n);
/* Text for HTML element content and attribute values (& < > " '). */
void plot_html_esc_(PlotBuf *b, const char *s);

/* Writes the buffer to path atomically. DW_OK, DW_ENOMEM (b->oom), DW_EIO. */
int plot_buf_write_(const PlotBuf *b, const char *path);

/* Splits an image path into its directory ("." when none), its stem and its extension
 * (without the dot, lower case). DW_EINVAL when the extension is not png, svg or pdf. */
int plot_path_split_(const char *image, char *dir, size_t ndir, char *stem, size_t nstem, char *ext,
                     size_t next);

#endif

/* datasets/table_impl.h — private to table.c and table_map.c; callers use datasets/table.h.
 * The helpers both files use. Nothing here is API; names shared across the files end in '_'.
 */
#ifndef DS_TABLE_IMPL_H
#define DS_TABLE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/table.h"

/* Slots of an open-addressing name index (linear probing): twice the column cap, so an index
 * of at most DS_TABLE_MAX_COLS names is never more than half full and every probe sequence
 * meets an empty slot. A slot holds an entry's index + 1 (0: empty). */
#define DS_TABLE_SLOTS_ (2 * DS_TABLE_MAX_COLS)

/* A new NUL-terminated copy of s[0..n) (s may be NULL when n is 0); NULL when out of memory. */
char *ds_table_strndup_(const char *s, size_t n);

/* A cell's number as the readers parse it (the whole text, spaces around it allowed), or
 * NaN. */
double ds_table_num_or_nan_(const char *s);

/* Trims spaces, tabs, CR and LF from both ends of [*a, *z). */
void ds_table_trim_(const char **a, const char **z);

/* Grows *p (elements of `size` bytes, capacity *cap) to hold at least `need`: 0, or -1 when
 * out of memory (*p unchanged). */
int ds_table_grow_(void **p, size_t *cap, size_t need, size_t size);

/* A 32-bit hash of the n bytes at s (FNV-1a with a final mix), for the name indexes. */
uint32_t ds_table_hash_(const char *s, size_t n);

/* "a, b, c" (cut with "..." when long, "none" when there are no columns) into buf[cap], for
 * messages that list the columns. */
void ds_table_cols_list_(const DsTable *t, char *buf, size_t cap);

#endif

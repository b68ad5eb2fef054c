/* datasets/lzw.c — the compressed formats the corpora arrive in, decoded from the formats
 * themselves (API in corpus.h):
 *   - compress(1) LZW (.Z): variable-width codes (9..maxbits bits, LSB first) read in groups
 *     of eight; when the width grows or a CLEAR code arrives the rest of the group is
 *     skipped (the quirk every .Z reader must copy from the original encoder).
 *   - the Bible Retrieval System's "EC02" container (bible-kjv-text): independent LZW streams
 *     of 64 KiB windows behind a table of big-endian offsets.
 * Design stance: reference code; the output is appended to a DsBuf held in memory.
 */
#include "datasets/corpus.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "datasets/corpus_impl.h"

// ----------------------------------------------------------------------------
// LZW (compress(1)) and the BRS container

int ds_lzw_decode(const void *in_, size_t n, int maxbits, int block_mode, DsBuf *out) {
    const unsigned char *in = in_;
    if (maxbits < 9 || maxbits > 16)
        return dw_error_set(DW_EPARSE, "LZW: max code width %d outside 9..16", maxbits);
    uint32_t maxmax = 1u << maxbits;
    uint16_t *prefix = malloc(maxmax * sizeof *prefix);
    unsigned char *suffix = malloc(maxmax), *stack = malloc(maxmax + 1); /* (maxmax+1,) */
    int rc = DW_OK;
    if (!prefix || !suffix || !stack) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t c = 0; c < 256; c++) prefix[c] = 0, suffix[c] = (unsigned char)c;
    int nbits = 9;
    uint32_t maxcode = (1u << nbits) - 1, free_ent = block_mode ? 257 : 256;
    uint64_t pos = 0, origin = 0, total = (uint64_t)n * 8; /* bit positions */
    int32_t oldcode = -1;
    unsigned char finchar = 0;
    while (pos + (uint64_t)nbits <= total) {
        if (free_ent > maxcode && nbits < maxbits) {
            /* width grows: skip to the end of the current group of eight codes */
            uint64_t g = (uint64_t)nbits * 8;
            pos = origin + (pos - origin + g - 1) / g * g;
            origin = pos;
            nbits++;
            maxcode = nbits == maxbits ? maxmax - 1 : (1u << nbits) - 1;
            continue;
        }
        size_t byte = (size_t)(pos >> 3);
        uint32_t w = 0;
        for (int k = 0; k < 3 && byte + (size_t)k < n; k++) w |= (uint32_t)in[byte + k] << (8 * k);
        uint32_t code = (w >> (pos & 7)) & ((1u << nbits) - 1);
        pos += (uint64_t)nbits;
        if (oldcode == -1) {
            if (code >= 256) {
                rc = dw_error_set(DW_EPARSE, "LZW: first code %u is not a literal", code);
                goto out;
            }
            finchar = (unsigned char)code;
            oldcode = (int32_t)code;
            if ((rc = ds_buf_putc_(out, (char)finchar)) != DW_OK) goto out;
            continue;
        }
        if (code == 256 && block_mode) {
            uint64_t g = (uint64_t)nbits * 8;
            pos = origin + (pos - origin + g - 1) / g * g;
            origin = pos;
            free_ent = 257; /* the next code is a literal and defines no entry */
            nbits = 9;
            maxcode = (1u << nbits) - 1;
            oldcode = -1;
            continue;
        }
        uint32_t incode = code;
        unsigned char *end = stack + maxmax + 1, *top = end; /* the string, built backwards */
        if (code >= free_ent) { /* the KwKwK case: the code being defined right now */
            if (code > free_ent) {
                rc = dw_error_set(DW_EPARSE,
                                  "LZW: code %u beyond the table (%u entries) at bit %llu", code,
                                  free_ent, (unsigned long long)(pos - (uint64_t)nbits));
                goto out;
            }
            *--top = finchar;
            code = (uint32_t)oldcode;
        }
        while (code >= 256) {
            if (top == stack + 1) {
                rc = dw_error_set(DW_EPARSE, "LZW: corrupt table");
                goto out;
            }
            *--top = suffix[code];
            code = prefix[code];
        }
        finchar = suffix[code];
        *--top = finchar;
        if ((rc = ds_buf_append(out, top, (size_t)(end - top))) != DW_OK) goto out;
        if (free_ent < maxmax) {
            prefix[free_ent] = (uint16_t)oldcode;
            suffix[free_ent] = finchar;
            free_ent++;
        }
        oldcode = (int32_t)incode;
    }
out:
    free(prefix);
    free(suffix);
    free(stack);
    return rc;
}

int ds_lzw_decode_z(const void *in_, size_t n, DsBuf *out) {
    const unsigned char *in = in_;
    if (n < 3 || in[0] != 0x1f || in[1] != 0x9d)
        return dw_error_set(DW_EPARSE, "not a .Z (compress) stream: no 1f 9d magic");
    return ds_lzw_decode(in + 3, n - 3, in[2] & 0x1f, (in[2] & 0x80) != 0, out);
}

static uint32_t be32_(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ds_brs_decode(const void *data, size_t n, const char *what, DsBuf *out) {
    const unsigned char *d = data;
    const size_t hdr = 0x54; /* "EC02" and a NUL-padded description */
    if (n < hdr + 8 || memcmp(d, "EC02", 4) != 0)
        return dw_error_set(DW_EPARSE, "%s: not a BRS compressed data file (no EC02 magic)", what);
    uint32_t wsize = be32_(d + hdr), count = be32_(d + hdr + 4);
    size_t table = hdr + 8;
    if (wsize == 0 || count == 0 || count > (1u << 20) || table + 4 * ((size_t)count + 1) > n)
        return dw_error_set(DW_EPARSE, "%s: bad window table (size %u, count %u)", what, wsize,
                            count);
    size_t first = be32_(d + table);
    /* the LZW flags byte stands before the first window, after a 1f 9d magic */
    if (first < 3 || first > n || d[first - 3] != 0x1f || d[first - 2] != 0x9d)
        return dw_error_set(DW_EPARSE, "%s: no compress header before the first window", what);
    int flags = d[first - 1];
    for (uint32_t w = 0; w < count; w++) {
        size_t a = be32_(d + table + 4 * w), b = be32_(d + table + 4 * (w + 1));
        if (a > b || b > n)
            return dw_error_set(DW_EPARSE, "%s: window %u spans bytes %zu..%zu of %zu", what, w,
                                a, b, n);
        size_t before = out->len;
        int rc = ds_lzw_decode(d + a, b - a, flags & 0x1f, (flags & 0x80) != 0, out);
        if (rc != DW_OK) return dw_error_prefix(rc, "%s: window %u", what, w);
        size_t got = out->len - before;
        if (got > wsize || (w + 1 < count && got != wsize))
            return dw_error_set(DW_EPARSE, "%s: window %u decodes to %zu bytes, want %u", what, w,
                                got, wsize);
    }
    return DW_OK;
}

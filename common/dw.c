/* common/dw.c — status codes, thread-local error messages, reading files, SHA-256
 * (FIPS 180-4) and strict number parsing (writing files: dwout.c). Reference code: small and
 * dependency-free. */
#define _GNU_SOURCE
#include "dw.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Thread_local char dw_errbuf_[1024];
static _Thread_local int dw_errcode_; /* the code of the message in dw_errbuf_ */

const char *dw_strerror(int code) {
    switch (code) {
    case DW_OK: return "success";
    case DW_EINVAL: return "invalid argument";
    case DW_EIO: return "input/output error";
    case DW_EPARSE: return "malformed input";
    case DW_ENOMEM: return "out of memory";
    case DW_ERANGE: return "value out of range";
    case DW_ENOCONV: return "did not converge";
    case DW_EDEVICE: return "device error";
    case DW_ENOTFOUND: return "not found";
    case DW_EINFEASIBLE: return "no feasible point";
    case DW_EDATA: return "the data cannot determine the result";
    default: return "unknown error";
    }
}

int dw_error_set(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dw_errbuf_, sizeof dw_errbuf_, fmt, ap);
    va_end(ap);
    dw_errcode_ = code;
    return code;
}

/* Messages longer than the buffer are cut: intended, so silence gcc's truncation warning. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
int dw_error_prefix(int code, const char *fmt, ...) {
    char head[512], old[sizeof dw_errbuf_];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, dw_errbuf_, sizeof old);
    dw_errcode_ = code;
    if (old[0])
        snprintf(dw_errbuf_, sizeof dw_errbuf_, "%s: %s", head, old);
    else
        snprintf(dw_errbuf_, sizeof dw_errbuf_, "%s: %s", head, dw_strerror(code));
    return code;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

const char *dw_error_get(void) { return dw_errbuf_; }
int dw_error_code(void) { return dw_errbuf_[0] ? dw_errcode_ : DW_OK; }
void dw_error_clear(void) {
    dw_errbuf_[0] = '\0';
    dw_errcode_ = DW_OK;
}

void dw_log_error(const char *file, int line, const char *expr, const char *msg) {
    fprintf(stderr, "dwplan: %s:%d: %s: %s\n", file, line, expr, msg);
}

void dw_assert_fail_(const char *file, int line, const char *expr) {
    fprintf(stderr, "dwplan: internal error: %s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}

// ----------------------------------------------------------------------------
// files

char *dw_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                dw_error_set(DW_ENOMEM, "%s: out of memory reading file", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        dw_error_set(DW_EIO, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

// ----------------------------------------------------------------------------
// SHA-256 (FIPS 180-4 §6.2)

typedef struct {
    uint32_t h[8];
    uint64_t bits;
    unsigned char block[64];
    size_t used;
} Sha256;

static const uint32_t sha_k_[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block_(Sha256 *s, const unsigned char *p) {
    uint32_t w[64], a, b, c, d, e, f, g, h;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) +
                      sha_k_[i] + w[i];
        uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init_(Sha256 *s) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->bits = 0;
    s->used = 0;
}

static void sha_update_(Sha256 *s, const void *data, size_t len) {
    const unsigned char *p = data;
    s->bits += (uint64_t)len * 8;
    while (len > 0) {
        size_t take = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->block + s->used, p, take);
        s->used += take, p += take, len -= take;
        if (s->used == 64) {
            sha_block_(s, s->block);
            s->used = 0;
        }
    }
}

static void sha_final_(Sha256 *s, char out[65]) {
    uint64_t bits = s->bits;
    unsigned char pad = 0x80, zero = 0, len8[8];
    sha_update_(s, &pad, 1);
    while (s->used != 56) sha_update_(s, &zero, 1);
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update_(s, len8, 8);
    for (int i = 0; i < 8; i++) sprintf(out + 8 * i, "%08x", s->h[i]);
    out[64] = '\0';
}

void dw_sha256(const void *data, size_t len, char out[65]) {
    Sha256 s;
    sha_init_(&s);
    sha_update_(&s, data, len);
    sha_final_(&s, out);
}

int dw_sha256_file(const char *path, char out[65]) {
    FILE *f = fopen(path, "rb");
    unsigned char buf[65536];
    Sha256 s;
    size_t got;
    if (!f) return dw_error_set(DW_EIO, "%s: cannot open: %s", path, strerror(errno));
    sha_init_(&s);
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) sha_update_(&s, buf, got);
    int bad = ferror(f), e = errno;
    fclose(f);
    if (bad) return dw_error_set(DW_EIO, "%s: read error: %s", path, strerror(e));
    sha_final_(&s, out);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// parsing

int dw_parse_double(const char *s, const char *what, int suffixes, double *out) {
    char *end;
    if (!s || !*s) return dw_error_set(DW_EINVAL, "%s: empty value, expected a number", what);
    errno = 0;
    double v = strtod(s, &end);
    if (end == s) return dw_error_set(DW_EINVAL, "%s: '%s' is not a number", what, s);
    /* count suffixes, either case: k 1e3, m 1e6 (million, never milli), b or g 1e9, t 1e12 */
    if (suffixes && *end && !end[1]) {
        switch (*end) {
        case 'k': case 'K': v *= 1e3; end++; break;
        case 'm': case 'M': v *= 1e6; end++; break;
        case 'b': case 'B': case 'g': case 'G': v *= 1e9; end++; break;
        case 't': case 'T': v *= 1e12; end++; break;
        default: break;
        }
    }
    if (*end)
        return dw_error_set(DW_EINVAL, "%s: '%s' is not a number%s", what, s,
                            suffixes ? " (like 2e6 or 2m: suffixes k, m, b or g, t, in "
                                       "either case)" : "");
    if (!isfinite(v) || errno == ERANGE)
        return dw_error_set(DW_ERANGE, "%s: '%s' is not a finite number", what, s);
    *out = v;
    return DW_OK;
}

int dw_parse_int(const char *s, const char *what, long lo, long hi, long *out) {
    char *end;
    if (!s || !*s) return dw_error_set(DW_EINVAL, "%s: empty value, expected an integer", what);
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end) return dw_error_set(DW_EINVAL, "%s: '%s' is not an integer", what, s);
    if (errno == ERANGE || v < lo || v > hi)
        return dw_error_set(DW_ERANGE, "%s: %s is outside [%ld, %ld]", what, s, lo, hi);
    *out = v;
    return DW_OK;
}

double dw_float_decimal(float x) {
    char t[32];
    for (int prec = 6; prec < 9; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, (double)x);
        if ((float)strtod(t, NULL) == x) break;
    }
    return strtod(t, NULL);
}

double dw_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void dw_utc_now(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

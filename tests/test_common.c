/* tests/test_common.c — common/dw: SHA-256 against the FIPS 180-4 / NIST test vectors (in
 * memory and on files), atomic file replacement, line appends, strict number parsing, and
 * error messages.
 *
 * Files are written in a fresh directory from mkdtemp under $TMPDIR (default /tmp), removed
 * at the end.
 *
 * Known limitations / contract notes:
 * | case                               | behaviour                                           |
 * |------------------------------------|-----------------------------------------------------|
 * | dw_parse_double("inf"/"nan"/1e999) | DW_ERANGE, while dw.h promises DW_EINVAL (accepted) |
 * | dw_parse_int out of [lo, hi]       | DW_ERANGE, while dw.h promises DW_EINVAL (accepted) |
 */
#define _GNU_SOURCE
#include "common/dw.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"

static char dir_[1024];

static const char *path_(const char *name) {
    static char buf[4][1400];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir_, name);
    return buf[k];
}

static int has_(const char *msg, const char *part) { return msg && strstr(msg, part) != NULL; }

/* Number of entries in dir_ other than . and .. ; the names go to stderr when `show`. */
static int count_entries_(int show) {
    DIR *d = opendir(dir_);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (show) fprintf(stderr, "  entry: %s\n", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static void remove_dir_(void) {
    DIR *d = opendir(dir_);
    struct dirent *e;
    if (!d) return;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        unlink(path_(e->d_name));
    }
    closedir(d);
    rmdir(dir_);
}

/* Reads a whole file; NULL (and a failed check) if it cannot. */
static char *slurp_(const char *path, size_t *len) {
    char *s = dw_read_file(path, len);
    CHECK(s != NULL);
    if (!s) fprintf(stderr, "  %s\n", dw_error_get());
    return s;
}

// ----------------------------------------------------------------------------
// SHA-256

typedef struct {
    const char *msg;
    const char *hex;
} ShaCase;

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the NIST 448-bit message, which pads
 * into a second block. */
static const ShaCase sha_cases_[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};
static const char *sha_million_a_ =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static void test_sha256(void) {
    char out[65];
    for (size_t i = 0; i < sizeof sha_cases_ / sizeof sha_cases_[0]; i++) {
        memset(out, 'x', sizeof out);
        dw_sha256(sha_cases_[i].msg, strlen(sha_cases_[i].msg), out);
        CHECK(out[64] == '\0' && strcmp(out, sha_cases_[i].hex) == 0);
        if (strcmp(out, sha_cases_[i].hex)) fprintf(stderr, "  sha256('%s') = %s\n",
                                                    sha_cases_[i].msg, out);
    }
    /* NULL data with length 0 is the empty message */
    dw_sha256(NULL, 0, out);
    CHECK(strcmp(out, sha_cases_[0].hex) == 0);

    size_t n = 1000000;
    char *a = malloc(n);
    CHECK(a != NULL);
    if (!a) return;
    memset(a, 'a', n);
    dw_sha256(a, n, out);
    CHECK(strcmp(out, sha_million_a_) == 0);

    /* files: empty, "abc", and the million a's (larger than the 64 KiB read buffer) */
    char fout[65];
    CHECK_STATUS(dw_write_file_atomic(path_("empty.bin"), "", 0));
    CHECK_STATUS(dw_sha256_file(path_("empty.bin"), fout));
    CHECK(strcmp(fout, sha_cases_[0].hex) == 0);
    CHECK_STATUS(dw_write_file_atomic(path_("abc.bin"), "abc", 3));
    CHECK_STATUS(dw_sha256_file(path_("abc.bin"), fout));
    CHECK(strcmp(fout, sha_cases_[1].hex) == 0);
    CHECK_STATUS(dw_write_file_atomic(path_("million.bin"), a, n));
    CHECK_STATUS(dw_sha256_file(path_("million.bin"), fout));
    CHECK(strcmp(fout, sha_million_a_) == 0);
    free(a);

    dw_error_clear();
    CHECK(dw_sha256_file(path_("no-such-file"), fout) == DW_EIO);
    CHECK(has_(dw_error_get(), "no-such-file"));

    unlink(path_("empty.bin"));
    unlink(path_("abc.bin"));
    unlink(path_("million.bin"));
}

// ----------------------------------------------------------------------------
// files

static void test_write_atomic(void) {
    const char *p = path_("law.json");
    size_t len = 0;
    char *s;

    CHECK(count_entries_(0) == 0);
    CHECK_STATUS(dw_write_file_atomic(p, "first version\n", 14));
    s = slurp_(p, &len);
    CHECK(s && len == 14 && strcmp(s, "first version\n") == 0);
    free(s);

    /* replacing with shorter content leaves exactly the new bytes (no tail of the old) */
    CHECK_STATUS(dw_write_file_atomic(p, "v2", 2));
    s = slurp_(p, &len);
    CHECK(s && len == 2 && memcmp(s, "v2", 2) == 0);
    free(s);

    /* binary content with NUL bytes is written as given */
    static const char bin[5] = {'a', '\0', 'b', '\n', '\0'};
    CHECK_STATUS(dw_write_file_atomic(p, bin, sizeof bin));
    s = slurp_(p, &len);
    CHECK(s && len == sizeof bin && memcmp(s, bin, sizeof bin) == 0);
    free(s);

    /* no temporary file left next to it */
    int n = count_entries_(0);
    CHECK(n == 1);
    if (n != 1) count_entries_(1);

    /* a directory that does not exist: DW_EIO, message names the path */
    char bad[1200];
    snprintf(bad, sizeof bad, "%s/no-such-dir/x.json", dir_);
    dw_error_clear();
    CHECK(dw_write_file_atomic(bad, "x", 1) == DW_EIO);
    CHECK(has_(dw_error_get(), "no-such-dir"));
    CHECK(count_entries_(0) == 1);
    unlink(p);
}

static void test_append_line(void) {
    const char *p = path_("runs.jsonl");
    size_t len = 0;
    char *s;

    CHECK_STATUS(dw_append_line(p, "{\"a\":1}")); /* creates the file, adds '\n' */
    s = slurp_(p, &len);
    CHECK(s && strcmp(s, "{\"a\":1}\n") == 0);
    free(s);

    CHECK_STATUS(dw_append_line(p, "{\"b\":2}\n")); /* already ends in '\n': not doubled */
    CHECK_STATUS(dw_append_line(p, ""));            /* an empty line is "\n" */
    CHECK_STATUS(dw_append_line(p, "last"));
    s = slurp_(p, &len);
    CHECK(s && strcmp(s, "{\"a\":1}\n{\"b\":2}\n\nlast\n") == 0);
    CHECK(len == strlen("{\"a\":1}\n{\"b\":2}\n\nlast\n"));
    free(s);

    char bad[1200];
    snprintf(bad, sizeof bad, "%s/no-such-dir/runs.jsonl", dir_);
    dw_error_clear();
    CHECK(dw_append_line(bad, "x") == DW_EIO);
    CHECK(has_(dw_error_get(), "no-such-dir"));
    unlink(p);
}

// ----------------------------------------------------------------------------
// number parsing

typedef struct {
    const char *text;
    int suffixes;
    double want;
} DoubleOk;

static const DoubleOk double_ok_[] = {
    {"1e22", 0, 1e22},   {"1e22", 1, 1e22},   {"6.4B", 1, 6.4e9},  {"6.4G", 1, 6.4e9},
    {"2.5k", 1, 2.5e3},  {"2.5K", 1, 2.5e3},  {"7M", 1, 7e6},      {"1.5T", 1, 1.5e12},
    {"-3.25", 0, -3.25}, {"0", 0, 0},         {"1e-3", 1, 1e-3},   {"12", 1, 12},
    /* suffixes in either case; m is million, never milli (docs/options.md) */
    {"6.4b", 1, 6.4e9},  {"2m", 1, 2e6},      {"3t", 1, 3e12},     {"1.5g", 1, 1.5e9},
};

typedef struct {
    const char *text;
    int suffixes;
    int strict; /* 1: must be DW_EINVAL; 0: DW_EINVAL or DW_ERANGE (see the table above) */
} DoubleBad;

static const DoubleBad double_bad_[] = {
    {"abc", 1, 1},   {"1e22x", 1, 1}, {"1e22x", 0, 1}, {"", 1, 1},      {"6.4B", 0, 1},
    {"6.4BB", 1, 1}, {"2mb", 1, 1},   {"2 m", 1, 1},   {"6.4 ", 1, 1},  {"1.2.3", 0, 1}, {"k", 1, 1},
    {"inf", 0, 0},   {"inf", 1, 0},   {"nan", 1, 0},   {"-inf", 0, 0},  {"1e999", 1, 0},
    {"1e300T", 1, 0},
};

static void test_parse_double(void) {
    for (size_t i = 0; i < sizeof double_ok_ / sizeof double_ok_[0]; i++) {
        const DoubleOk *c = &double_ok_[i];
        double v = -12345;
        int rc = dw_parse_double(c->text, "--compute", c->suffixes, &v);
        CHECK(rc == DW_OK);
        CHECK_REL(v, c->want, 1e-15);
        if (rc) fprintf(stderr, "  case '%s' (suffixes %d): %s\n", c->text, c->suffixes,
                        dw_error_get());
    }
    for (size_t i = 0; i < sizeof double_bad_ / sizeof double_bad_[0]; i++) {
        const DoubleBad *c = &double_bad_[i];
        double v = 42;
        dw_error_clear();
        int rc = dw_parse_double(c->text, "--budget-flops", c->suffixes, &v);
        int ok = c->strict ? rc == DW_EINVAL : (rc == DW_EINVAL || rc == DW_ERANGE);
        CHECK(ok);
        CHECK(has_(dw_error_get(), "--budget-flops"));
        CHECK(v == 42); /* output untouched on failure */
        if (!ok || !has_(dw_error_get(), "--budget-flops"))
            fprintf(stderr, "  case '%s' (suffixes %d): rc %d, message '%s'\n", c->text,
                    c->suffixes, rc, dw_error_get());
    }
    double v = 1;
    dw_error_clear();
    CHECK(dw_parse_double(NULL, "--lr", 0, &v) == DW_EINVAL && has_(dw_error_get(), "--lr"));
}

typedef struct {
    const char *text;
    long lo, hi;
    int rc; /* 0 ok; 1 DW_EINVAL; 2 DW_EINVAL or DW_ERANGE (out of range) */
    long want;
} IntCase;

static const IntCase int_cases_[] = {
    {"5", 0, 10, 0, 5},
    {"0", 0, 10, 0, 0},
    {"10", 0, 10, 0, 10},
    {"-7", -10, 10, 0, -7},
    {"-1", 0, 10, 2, 0},
    {"11", 0, 10, 2, 0},
    {"99999999999999999999999", 0, 10, 2, 0}, /* strtol overflow */
    {"abc", 0, 10, 1, 0},
    {"", 0, 10, 1, 0},
    {"3.5", 0, 10, 1, 0},
    {"4x", 0, 10, 1, 0},
    {"1e3", 0, 100000, 1, 0},
};

static void test_parse_int(void) {
    for (size_t i = 0; i < sizeof int_cases_ / sizeof int_cases_[0]; i++) {
        const IntCase *c = &int_cases_[i];
        long v = 4242;
        dw_error_clear();
        int rc = dw_parse_int(c->text, "--grid", c->lo, c->hi, &v);
        int ok = c->rc == 0   ? rc == DW_OK && v == c->want
                 : c->rc == 1 ? rc == DW_EINVAL && v == 4242
                              : (rc == DW_EINVAL || rc == DW_ERANGE) && v == 4242;
        CHECK(ok);
        if (c->rc) CHECK(has_(dw_error_get(), "--grid"));
        if (!ok)
            fprintf(stderr, "  case '%s' in [%ld, %ld]: rc %d, v %ld, message '%s'\n", c->text,
                    c->lo, c->hi, rc, v, dw_error_get());
    }
    /* the range is named in the message */
    long v;
    dw_parse_int("11", "--grid", 0, 10, &v);
    CHECK(has_(dw_error_get(), "10"));
}

// ----------------------------------------------------------------------------
// messages

static void test_errors(void) {
    CHECK(dw_error_set(DW_EPARSE, "%s:%d: bad", "f.json", 3) == DW_EPARSE);
    CHECK(strcmp(dw_error_get(), "f.json:3: bad") == 0);
    CHECK(dw_error_prefix(DW_EPARSE, "loading %s", "law") == DW_EPARSE);
    CHECK(strcmp(dw_error_get(), "loading law: f.json:3: bad") == 0);
    dw_error_clear();
    CHECK(strcmp(dw_error_get(), "") == 0);
    dw_error_prefix(DW_EIO, "x");
    CHECK(strcmp(dw_error_get(), "x: input/output error") == 0);
    static const int codes[] = {DW_OK,     DW_EINVAL,  DW_EIO,    DW_EPARSE,     DW_ENOMEM,
                                DW_ERANGE, DW_ENOCONV, DW_EDEVICE, DW_ENOTFOUND, DW_EINFEASIBLE};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(dw_strerror(codes[i]) != NULL && dw_strerror(codes[i])[0]);
        for (size_t j = 0; j < i; j++) CHECK(strcmp(dw_strerror(codes[i]), dw_strerror(codes[j])));
    }
    CHECK(dw_strerror(12345) != NULL);
    char now[32];
    dw_utc_now(now);
    CHECK(strlen(now) == 20 && now[4] == '-' && now[10] == 'T' && now[19] == 'Z');
}

/* The code travels with the message: set, prefixed, cleared. */
static void test_error_code(void) {
    dw_error_clear();
    CHECK(dw_error_code() == DW_OK);
    CHECK(dw_error_set(DW_EDEVICE, "no GPU") == DW_EDEVICE && dw_error_code() == DW_EDEVICE);
    dw_error_prefix(DW_ENOMEM, "allocating");
    CHECK(dw_error_code() == DW_ENOMEM && !strcmp(dw_error_get(), "allocating: no GPU"));
    dw_error_clear();
    CHECK(dw_error_code() == DW_OK && dw_error_get()[0] == '\0');
}

/* The monotonic clock moves forward, in seconds. */
static void test_now(void) {
    double t0 = dw_now_s();
    struct timespec d = {0, 20000000}; /* 20 ms */
    nanosleep(&d, NULL);
    double dt = dw_now_s() - t0;
    CHECK(t0 > 0 && dt >= 0.019 && dt < 5);
}

int main(void) {
    test_error_code();
    test_now();
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(dir_, sizeof dir_, "%s/test_common.XXXXXX", tmp);
    if (!mkdtemp(dir_)) {
        fprintf(stderr, "test_common: cannot create a temporary directory in %s: %s\n", tmp,
                strerror(errno));
        return 1;
    }
    test_sha256();
    test_write_atomic();
    test_append_line();
    test_parse_double();
    test_parse_int();
    test_errors();
    remove_dir_();
    return check_done("test_common");
}

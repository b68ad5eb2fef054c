/* tests/test_ds_ub.c — small undefined behaviour and unbounded parses in datasets/ (issue 14,
 * finding 9 and its class), meant to run under the sanitizer build (-DDWPLAN_SANITIZE=ON),
 * where each of these was an ASan/UBSan report:
 *   - ds_tok_encode with n = 0 and an empty DsIds: no NULL + 0 pointer arithmetic (clang's
 *     UBSan reports "applying zero offset to null pointer"; GCC's does not check it);
 *   - ds_text_kjv's message for a bad last line of a buffer without a NUL: no read past the
 *     buffer (ASan), an excerpt of at most 40 bytes of that line with control bytes escaped;
 *   - chapter and verse numbers of any length: no signed overflow (UBSan), refused beyond
 *     three digits (the KJV's largest are Psalms 150 and Psalm 119:176);
 *   - dw_stale_clean_prefix (common/dwout.c; it replaced the datasets' own) reads a temp
 *     entry's pid as digits that fit a pid_t: an entry such as <prefix><2^32 + pid> is not
 *     some other process's to delete.
 */
#define _POSIX_C_SOURCE 200809L
#include "datasets/corpus.h"
#include "datasets/corpus_impl.h"
#include "datasets/tokenizer.h"

#include "common/dw.h"
#include "tests/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int has_(const char *msg, const char *part) { return msg && strstr(msg, part) != NULL; }

// ----------------------------------------------------------------------------
// tokenizer

static void test_encode_empty(void) {
    DsTokenizer *t = NULL;
    CHECK_STATUS(ds_tok_open("byte", NULL, &t));
    if (!t) return;
    DsIds ids = {0};
    CHECK_STATUS(ds_tok_encode(t, NULL, 0, &ids));
    CHECK(ids.n == 0);
    const unsigned char x[] = "ab";
    CHECK_STATUS(ds_tok_encode(t, x, 0, &ids));
    CHECK(ids.n == 0);
    CHECK_STATUS(ds_tok_encode(t, x, 2, &ids));
    CHECK(ids.n == 2 && ids.ids && ids.ids[0] == 'a' && ids.ids[1] == 'b');
    CHECK_STATUS(ds_tok_encode(t, NULL, 0, &ids)); /* appending nothing to something */
    CHECK(ids.n == 2);
    CHECK(ds_tok_encode(t, NULL, 1, &ids) == DW_EINVAL && ids.n == 2);
    unsigned char *back = NULL;
    size_t len = 1;
    CHECK_STATUS(ds_tok_decode(t, NULL, 0, &back, &len));
    CHECK(back && len == 0 && back[0] == '\0');
    free(back);
    ds_ids_free(&ids);
    ds_tok_free(t);
}

// ----------------------------------------------------------------------------
// KJV verses

/* ds_text_kjv on a heap copy of exactly n bytes (no NUL after them, so ASan sees any read
 * past the end). Returns the status; *msg gets the message on failure. */
static int kjv_exact_(const char *in, size_t n, char *msg, size_t cap) {
    char *buf = malloc(n ? n : 1);
    if (!buf) return DW_ENOMEM;
    memcpy(buf, in, n);
    DsBuf out = {0};
    int rc = ds_text_kjv(buf, n, &out, NULL);
    snprintf(msg, cap, "%s", rc == DW_OK ? "" : dw_error_get());
    ds_buf_free(&out);
    free(buf);
    return rc;
}

static void test_kjv_message(void) {
    char msg[1024];
    /* the bad line is the last bytes of the buffer, without a newline or a NUL */
    static const char a[] = "title\nGe1:1 ok.\nGe1:x";
    CHECK(kjv_exact_(a, sizeof a - 1, msg, sizeof msg) == DW_EPARSE);
    CHECK(has_(msg, "KJV text line 3:"));
    CHECK(has_(msg, "got \"Ge1:x\""));
    /* control bytes escaped, long lines cut at 40 bytes of the line */
    static const char b[] = "title\nGe1:\t1\x01 and then a very long line that goes on and on";
    CHECK(kjv_exact_(b, sizeof b - 1, msg, sizeof msg) == DW_EPARSE);
    CHECK(has_(msg, "got \"Ge1:\\t1\\x01 and then a very long line that g...\""));
    if (!has_(msg, "\\t1\\x01")) fprintf(stderr, "  message: %s\n", msg);
    /* the excerpt stops at the end of the line */
    static const char c[] = "title\nGe1 no verse\nGe1:1 next line.\n";
    CHECK(kjv_exact_(c, sizeof c - 1, msg, sizeof msg) == DW_EPARSE);
    CHECK(has_(msg, "got \"Ge1 no verse\""));
}

static void test_kjv_digits(void) {
    char msg[1024];
    static const char *bad[] = {
        "title\nGe99999999999999999999:1 Overflows a long.\n",
        "title\nGe1:99999999999999999999 Overflows a long.\n",
        "title\nGe1:9223372036854775808 Just past LONG_MAX.\n",
        "title\nGe1000:1 Four digits.\n",
        "title\nGe1:1000 Four digits.\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = kjv_exact_(bad[i], strlen(bad[i]), msg, sizeof msg);
        CHECK(rc == DW_EPARSE);
        CHECK(has_(msg, "KJV text line 2:"));
        if (rc != DW_EPARSE) fprintf(stderr, "  case %zu accepted\n", i);
    }
    /* three digits are fine: Psalm 119:176, and chapter 150 */
    static const char ok[] = "title\nPsa119:176 Great peace.\nPsa150:6 Praise.\n";
    DsBuf out = {0};
    int books = 0;
    CHECK_STATUS(ds_text_kjv(ok, sizeof ok - 1, &out, &books));
    CHECK(books == 1 && out.data && strcmp(out.data, "Psalms\nGreat peace.\n\nPraise.\n") == 0);
    ds_buf_free(&out);
}

// ----------------------------------------------------------------------------
// stale temp entries

static int exists_(const char *p) {
    struct stat st;
    return lstat(p, &st) == 0;
}

static void touch_(const char *p) {
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
}

static void test_clean_stale_pid(void) {
    char dir[256], p[4][512];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/dw_ds_ub.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        CHECK(0);
        return;
    }
    pid_t child = fork();
    if (child == 0) _exit(0);
    if (child < 0) {
        CHECK(0);
        rmdir(dir);
        return;
    }
    waitpid(child, NULL, 0); /* now a pid of no process (reuse within this test is unlikely) */
    long long wrapped = (long long)child + (1LL << 32);
    snprintf(p[0], sizeof p[0], "%s/x.tmp.%ld", dir, (long)child);  /* ours, stale */
    snprintf(p[1], sizeof p[1], "%s/x.tmp.%lld", dir, wrapped);     /* not a pid */
    snprintf(p[2], sizeof p[2], "%s/x.tmp.+%ld", dir, (long)child); /* not our spelling */
    snprintf(p[3], sizeof p[3], "%s/x.tmp.%ld", dir, (long)getpid()); /* alive */
    for (int i = 0; i < 4; i++) touch_(p[i]);
    dw_stale_clean_prefix(dir, "x.tmp.", 1, NULL);
    CHECK(!exists_(p[0]));
    CHECK(exists_(p[1]));
    CHECK(exists_(p[2]));
    CHECK(exists_(p[3]));
    if (exists_(p[0]) || !exists_(p[1]) || !exists_(p[2]))
        fprintf(stderr, "  stale %ld, wrapped %lld: %d %d %d\n", (long)child, wrapped,
                exists_(p[0]), exists_(p[1]), exists_(p[2]));
    for (int i = 0; i < 4; i++) remove(p[i]);
    rmdir(dir);
}

int main(void) {
    test_encode_empty();
    test_kjv_message();
    test_kjv_digits();
    test_clean_stale_pid();
    return check_done("test_ds_ub");
}

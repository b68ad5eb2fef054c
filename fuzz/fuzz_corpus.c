/* fuzz/fuzz_corpus.c — the corpus decoders of `dwplan data fetch` (datasets/corpus.h). The
 * first byte of the input picks the decoder (its value mod 6), the rest is the decoder's
 * input, in a buffer of exactly its length (no NUL after it):
 *   0 ds_text_brown_strip   Brown corpus form C
 *   1 ds_text_kjv           the KJV verse file
 *   2 ds_lzw_decode_z       a .Z file
 *   3 ds_lzw_decode         raw LZW; the second byte gives maxbits (9..16) and block mode
 *   4 ds_brs_decode         the Bible Retrieval System's EC02 file
 *   5 ds_utf8_valid and ds_text_add_doc
 * Seeds: fuzz/corpus/corpus/ (the fixtures of tests/test_corpus.c, one per decoder). */
#include "fuzz/fuzz.h"

#include "common/dw.h"
#include "datasets/corpus.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n) {
    if (n < 1) return 0;
    int which = data[0] % 6;
    size_t m = n - 1;
    char *in = malloc(m ? m : 1); /* exactly m bytes: reading past them is a finding */
    if (!in) abort();
    if (m) memcpy(in, data + 1, m);
    DsBuf out = {0};
    int nbooks = 0;
    size_t bad = 0;
    switch (which) {
    case 0: (void)ds_text_brown_strip(in, m, &out); break;
    case 1: (void)ds_text_kjv(in, m, &out, &nbooks); break;
    case 2: (void)ds_lzw_decode_z(in, m, &out); break;
    case 3:
        if (m >= 1)
            (void)ds_lzw_decode(in + 1, m - 1, 9 + ((unsigned char)in[0] & 7),
                                (unsigned char)in[0] >> 7, &out);
        break;
    case 4: (void)ds_brs_decode(in, m, "fuzz", &out); break;
    default:
        if (ds_utf8_valid(in, m, &bad) == 0 && bad >= m) abort(); /* the offset is inside */
        (void)ds_text_add_doc(&out, "title", in, m);
        break;
    }
    if (out.data && out.data[out.len] != '\0') abort(); /* DsBuf keeps its NUL */
    ds_buf_free(&out);
    free(in);
    return 0;
}

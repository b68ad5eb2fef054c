/* datasets/corpus_text.c — text assembly: the pure functions that turn a package's files into
 * the corpus text (see corpus.h for each format), and the UTF-8 check applied to every text.
 *   - documents: a title line, the text, a blank line between documents;
 *   - the Brown corpus: part-of-speech tags removed and the tokenisation's spaces closed;
 *   - the KJV verse file: a title line per book, a blank line between chapters;
 *   - UTF-8 validity: no overlongs, surrogates or code points above U+10FFFF.
 * Design stance: reference code, one pass over text held in memory.
 */
#include "datasets/corpus.h"

#include <string.h>

#include "common/dw.h"
#include "datasets/corpus_impl.h"

// ----------------------------------------------------------------------------
// text assembly

int ds_text_add_doc(DsBuf *b, const char *title, const char *text, size_t n) {
    int rc = DW_OK;
    if (b->len > 0) {
        if (b->data[b->len - 1] != '\n') rc = ds_buf_putc_(b, '\n');
        if (rc == DW_OK) rc = ds_buf_putc_(b, '\n');
    }
    if (rc == DW_OK) rc = ds_buf_puts(b, title);
    if (rc == DW_OK) rc = ds_buf_putc_(b, '\n');
    if (rc == DW_OK) rc = ds_buf_append(b, text, n);
    if (rc == DW_OK && n > 0 && text[n - 1] != '\n') rc = ds_buf_putc_(b, '\n');
    return rc;
}

/* Brown tokens after tag removal: how each one joins its neighbours. */
static int attach_left_(const char *w, size_t n) {
    static const char *const left[] = {",", ".", ";", ":", "?", "!", ")", "''", "'", "]", NULL};
    for (int i = 0; left[i]; i++)
        if (strlen(left[i]) == n && !memcmp(w, left[i], n)) return 1;
    return 0;
}

static int attach_right_(const char *w, size_t n) {
    return (n == 1 && (w[0] == '(' || w[0] == '[')) || (n == 2 && !memcmp(w, "``", 2));
}

int ds_text_brown_strip(const char *in, size_t n, DsBuf *out) {
    int rc = DW_OK;
    size_t i = 0;
    while (i < n && rc == DW_OK) {
        /* one line = one sentence */
        size_t e = i;
        while (e < n && in[e] != '\n') e++;
        int words = 0, glue = 0; /* glue: the previous token wants no space after it */
        for (size_t k = i; k < e && rc == DW_OK;) {
            while (k < e && (in[k] == ' ' || in[k] == '\t' || in[k] == '\r')) k++;
            if (k >= e) break;
            size_t s = k;
            while (k < e && in[k] != ' ' && in[k] != '\t' && in[k] != '\r') k++;
            size_t wl = k - s;
            for (size_t j = k; j > s; j--) /* the tag follows the last '/' */
                if (in[j - 1] == '/') {
                    wl = j - 1 - s;
                    break;
                }
            if (wl == 0) continue;
            const char *w = in + s;
            int quote_open = wl == 2 && !memcmp(w, "``", 2);
            int quote_close = wl == 2 && !memcmp(w, "''", 2);
            if (words && !glue && !attach_left_(w, wl)) rc = ds_buf_putc_(out, ' ');
            if (rc == DW_OK)
                rc = quote_open || quote_close ? ds_buf_putc_(out, '"') : ds_buf_append(out, w, wl);
            glue = attach_right_(w, wl);
            words++;
        }
        if (words && rc == DW_OK) rc = ds_buf_putc_(out, '\n');
        i = e + 1;
    }
    return rc;
}

static const struct {
    const char *abbr, *name;
} books_[] = {
    {"Ge", "Genesis"}, {"Exo", "Exodus"}, {"Lev", "Leviticus"}, {"Num", "Numbers"},
    {"Deu", "Deuteronomy"}, {"Josh", "Joshua"}, {"Jdgs", "Judges"}, {"Ruth", "Ruth"},
    {"1Sm", "1 Samuel"}, {"2Sm", "2 Samuel"}, {"1Ki", "1 Kings"}, {"2Ki", "2 Kings"},
    {"1Chr", "1 Chronicles"}, {"2Chr", "2 Chronicles"}, {"Ezra", "Ezra"}, {"Neh", "Nehemiah"},
    {"Est", "Esther"}, {"Job", "Job"}, {"Psa", "Psalms"}, {"Prv", "Proverbs"},
    {"Eccl", "Ecclesiastes"}, {"SSol", "Song of Solomon"}, {"Isa", "Isaiah"},
    {"Jer", "Jeremiah"}, {"Lam", "Lamentations"}, {"Eze", "Ezekiel"}, {"Dan", "Daniel"},
    {"Hos", "Hosea"}, {"Joel", "Joel"}, {"Amos", "Amos"}, {"Obad", "Obadiah"},
    {"Jonah", "Jonah"}, {"Mic", "Micah"}, {"Nahum", "Nahum"}, {"Hab", "Habakkuk"},
    {"Zep", "Zephaniah"}, {"Hag", "Haggai"}, {"Zec", "Zechariah"}, {"Mal", "Malachi"},
    {"Mat", "Matthew"}, {"Mark", "Mark"}, {"Luke", "Luke"}, {"John", "John"}, {"Acts", "Acts"},
    {"Rom", "Romans"}, {"1Cor", "1 Corinthians"}, {"2Cor", "2 Corinthians"},
    {"Gal", "Galatians"}, {"Eph", "Ephesians"}, {"Phi", "Philippians"}, {"Col", "Colossians"},
    {"1Th", "1 Thessalonians"}, {"2Th", "2 Thessalonians"}, {"1Tim", "1 Timothy"},
    {"2Tim", "2 Timothy"}, {"Titus", "Titus"}, {"Phmn", "Philemon"}, {"Heb", "Hebrews"},
    {"Jas", "James"}, {"1Pet", "1 Peter"}, {"2Pet", "2 Peter"}, {"1Jn", "1 John"},
    {"2Jn", "2 John"}, {"3Jn", "3 John"}, {"Jude", "Jude"}, {"Rev", "Revelation"},
};

/* A chapter or verse number: at most KJV_DIGITS digits (the largest are Psalms 150 and Psalm
 * 119:176), so that no run of digits can overflow. */
#define KJV_DIGITS 3

/* Reads up to KJV_DIGITS digits at in[*k] (before e) into *v; 1 when there was at least one
 * and no more than KJV_DIGITS, else 0. */
static int kjv_number_(const char *in, size_t e, size_t *k, long *v) {
    size_t k0 = *k;
    *v = 0;
    while (*k < e && in[*k] >= '0' && in[*k] <= '9') {
        if (*k - k0 == KJV_DIGITS) return 0;
        *v = *v * 10 + (in[(*k)++] - '0');
    }
    return *k > k0;
}

/* The message for a line in[i..e) that is not a verse: an excerpt of at most 40 bytes of
 * the line (never beyond it: the input need not end in a NUL), control and non-ASCII bytes
 * escaped as \t, \xNN. */
static int kjv_bad_line_(const char *in, size_t i, size_t e, size_t line) {
    char ex[4 * 40 + 4];
    size_t w = 0, m = e - i < 40 ? e - i : 40;
    for (size_t k = i; k < i + m; k++) {
        unsigned char c = (unsigned char)in[k];
        if (c == '\t') ex[w++] = '\\', ex[w++] = 't';
        else if (c == '\r') ex[w++] = '\\', ex[w++] = 'r';
        else if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
            static const char hex[] = "0123456789abcdef";
            ex[w++] = '\\', ex[w++] = 'x', ex[w++] = hex[c >> 4], ex[w++] = hex[c & 15];
        } else
            ex[w++] = (char)c;
    }
    if (m < e - i) ex[w++] = '.', ex[w++] = '.', ex[w++] = '.';
    ex[w] = '\0';
    return dw_error_set(DW_EPARSE,
                        "KJV text line %zu: expected \"<book><chapter>:<verse> text\", got \"%s\"",
                        line, ex);
}

int ds_text_kjv(const char *in, size_t n, DsBuf *out, int *nbooks) {
    int rc = DW_OK, book = -1;
    long chapter = -1;
    size_t i = 0, line = 0;
    while (i < n && rc == DW_OK) {
        size_t e = i;
        while (e < n && in[e] != '\n') e++;
        line++;
        if (line == 1 || e == i) { /* the file's title line; blank lines */
            i = e + 1;
            continue;
        }
        /* "<abbr><chapter>:<verse> <text>", abbr may begin with a digit (1Sm) */
        size_t k = i;
        if (k < e && in[k] >= '1' && in[k] <= '3') k++;
        while (k < e && ((in[k] >= 'A' && in[k] <= 'Z') || (in[k] >= 'a' && in[k] <= 'z'))) k++;
        size_t al = k - i;
        long ch = 0, vs = 0;
        int ok = kjv_number_(in, e, &k, &ch) && k < e && in[k] == ':';
        k++;
        ok = ok && kjv_number_(in, e, &k, &vs) && k < e && in[k] == ' ' && vs > 0;
        int b = -1;
        for (int j = 0; ok && j < (int)(sizeof books_ / sizeof books_[0]); j++)
            if (strlen(books_[j].abbr) == al && !memcmp(books_[j].abbr, in + i, al)) b = j;
        if (!ok || b < 0) return kjv_bad_line_(in, i, e, line);
        if (b != book) {
            if (out->len) rc = ds_buf_putc_(out, '\n');
            if (rc == DW_OK) rc = ds_buf_puts(out, books_[b].name);
            if (rc == DW_OK) rc = ds_buf_putc_(out, '\n');
            book = b, chapter = ch;
            if (nbooks) ++*nbooks;
        } else if (ch != chapter) {
            rc = ds_buf_putc_(out, '\n');
            chapter = ch;
        }
        if (rc == DW_OK) rc = ds_buf_append(out, in + k + 1, e - k - 1);
        if (rc == DW_OK) rc = ds_buf_putc_(out, '\n');
        i = e + 1;
    }
    return rc;
}

// ----------------------------------------------------------------------------
// UTF-8

int ds_utf8_valid(const char *s_, size_t n, size_t *bad) {
    const unsigned char *s = (const unsigned char *)s_;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;      /* no overlongs */
            else if (c == 0xED) hi = 0x9F; /* no surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            else if (c == 0xF4) hi = 0x8F; /* <= U+10FFFF */
        } else
            goto fail;
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) goto fail;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) goto fail;
        i += len;
    }
    return 1;
fail:
    if (bad) *bad = i;
    return 0;
}

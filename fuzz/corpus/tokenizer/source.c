/* datasets/tokenizer.c — byte-level and GPT-2 (r50k_base) BPE tokenizers (issue 4, item 3);
 * the API and the exact rules are in datasets/tokenizer.h.
 *
 * GPT-2 encoding, in three steps per call:
 *   1. Pre-tokenisation: GPT-2's regex, by hand. At each position the alternatives are tried
 *      in the regex's order (contraction; optional ' ' then a run of one class — letters,
 *      numbers or "other"; whitespace), which is what a backtracking engine does. Code points
 *      are classified with datasets/unicode_tables.h; a byte that is not part of well-formed
 *      UTF-8 is "other".
 *   2. A pre-token that is itself a token (most English words) is one hash look-up. Others
 *      are looked up in a small direct-mapped cache of earlier pre-tokens.
 *   3. Otherwise byte-pair merging: repeatedly merge the adjacent pair whose concatenation has
 *      the lowest rank, leftmost first on ties, until no pair is a token (tiktoken's
 *      _byte_pair_merge). Pieces up to MERGE_LINEAR_MAX bytes use the quadratic scan over a
 *      small array; longer ones (runs of spaces, long digit strings, base64 blobs) use a
 *      linked list and a binary heap keyed on (rank, start byt
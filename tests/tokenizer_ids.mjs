// tests/tokenizer_ids.mjs — GPT-2 (r50k_base) token ids of a file from the npm package
// gpt-tokenizer's own encoder, one id per line on stdout: the reference that
// tests/test_tokenizer.c and the fixtures tests/data/tokenizer/*.ids are checked against.
//
//   node tests/tokenizer_ids.mjs PKGDIR FILE
//
// PKGDIR is the unpacked package (the "package/" directory of `npm pack gpt-tokenizer@4.0.0`);
// the package has no dependencies, so nothing else needs installing.
//
// A FILE that is valid UTF-8 is encoded with the package's public encode(), special tokens
// disallowed-check off ({ disallowedSpecial: new Set() }), so "<|endoftext|>" is ordinary text
// (tiktoken's encode_ordinary; the package's default would throw). The file's bytes are
// decoded exactly (no BOM stripping).
//
// A FILE that is not valid UTF-8 cannot be given to encode() (a JS string cannot hold
// malformed UTF-8). Then the package's pieces are used directly: each byte that is not part
// of a well-formed UTF-8 sequence (Unicode Table 3-7) is shown to the package's split regex
// as U+FFFD — a symbol that is neither letter, number nor space, which is dwplan's rule —
// and each resulting piece's ORIGINAL bytes go to the package's byte-pair merge
// (the rank of the whole piece, else bytePairMerge, as its encode does). The same path is run on
// valid text too and must agree with encode(); a note goes to stderr.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [pkgdir, file] = process.argv.slice(2)
if (!pkgdir || !file) {
  process.stderr.write('usage: node tokenizer_ids.mjs PKGDIR FILE\n')
  process.exit(2)
}
const mod = await import(pathToFileURL(join(pkgdir, 'esm', 'encoding', 'r50k_base.js')).href)
const api = mod.default
const core = api.bytePairEncodingCoreProcessor
const splitRegex = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu
if (String(core.tokenSplitRegex) !== String(splitRegex)) {
  process.stderr.write(`tokenizer_ids: the package's split regex changed: ${core.tokenSplitRegex}\n`)
  process.exit(1)
}

// Length of the well-formed UTF-8 sequence at b[i], or 0.
function wellFormed(b, i) {
  const c = b[i]
  const cont = (x) => x !== undefined && (x & 0xc0) === 0x80
  if (c < 0x80) return 1
  if (c >= 0xc2 && c <= 0xdf) return cont(b[i + 1]) ? 2 : 0
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80, hi = c === 0xed ? 0x9f : 0xbf
    return b[i + 1] >= lo && b[i + 1] <= hi && cont(b[i + 2]) ? 3 : 0
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80, hi = c === 0xf4 ? 0x8f : 0xbf
    return b[i + 1] >= lo && b[i + 1] <= hi && cont(b[i + 2]) && cont(b[i + 3]) ? 4 : 0
  }
  return 0
}

// The byte path: split a string stand-in, merge the original bytes.
function encodeBytes(bytes) {
  const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  let str = ''
  const byteAt = [] // byteAt[j]: offset in bytes of UTF-16 unit j of str
  const badBefore = [0] // badBefore[j]: malformed bytes among the first j units
  for (let i = 0; i < bytes.length; ) {
    const l = wellFormed(bytes, i)
    const s = l ? dec.decode(bytes.subarray(i, i + l)) : '\ufffd'
    for (let u = 0; u < s.length; u++) {
      byteAt.push(i)
      badBefore.push(badBefore[badBefore.length - 1] + (l ? 0 : 1))
    }
    str += s
    i += l || 1
  }
  byteAt.push(bytes.length)
  const ids = []
  for (const m of str.matchAll(splitRegex)) {
    const piece = bytes.subarray(byteAt[m.index], byteAt[m.index + m[0].length])
    // a piece that is valid UTF-8 is looked up as the string, exactly as encode() does
    // (getBpeRankFromBytes would drop a leading U+FEFF: the package's TextDecoder strips BOMs)
    const bad = badBefore[m.index + m[0].length] - badBefore[m.index]
    const r = bad ? core.getBpeRankFromBytes(piece) : core.getBpeRankFromString(m[0])
    if (r !== undefined) ids.push(r)
    else ids.push(...core.bytePairMerge(piece))
  }
  return ids
}

const bytes = new Uint8Array(readFileSync(file))
let valid = true
let text
try {
  text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
} catch {
  valid = false
}
const byBytes = encodeBytes(bytes)
let ids = byBytes
if (valid) {
  ids = api.encode(text, { disallowedSpecial: new Set() })
  if (ids.length !== byBytes.length || ids.some((x, i) => x !== byBytes[i])) {
    process.stderr.write('tokenizer_ids: byte path disagrees with encode() on valid UTF-8\n')
    process.exit(1)
  }
} else {
  process.stderr.write(`tokenizer_ids: ${file} is not valid UTF-8; ids from the package's ` +
    'split regex (malformed bytes as U+FFFD) and its byte-pair merge on the original bytes\n')
}
process.stdout.write(ids.join('\n') + (ids.length ? '\n' : ''))

// bench/tokenizer_npm.mjs — times the npm package gpt-tokenizer's GPT-2 (r50k_base) encoder on
// a file, for bench/tokenizer.sh. Only the encode() call is timed (not reading the file, not
// loading the module); best of REPS runs after one warm-up run, so V8 has compiled the hot
// paths and the package's merge cache (its default, 100000 entries) is as warm as dwplan's.
//
//   node bench/tokenizer_npm.mjs PKGDIR FILE [REPS]
//
// Prints one line: "npm <MB/s> MB/s <ids> ids <seconds> s". The file must be UTF-8.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [pkgdir, file, repsArg] = process.argv.slice(2)
if (!pkgdir || !file) {
  process.stderr.write('usage: node tokenizer_npm.mjs PKGDIR FILE [REPS]\n')
  process.exit(2)
}
const reps = Number(repsArg ?? 3)
const { default: api } = await import(
  pathToFileURL(join(pkgdir, 'esm', 'encoding', 'r50k_base.js')).href)
const bytes = readFileSync(file)
const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
const opts = { disallowedSpecial: new Set() } // "<|endoftext|>" as ordinary text, as in dwplan
let n = api.encode(text, opts).length // warm-up
let best = Infinity
for (let r = 0; r < reps; r++) {
  const t0 = process.hrtime.bigint()
  n = api.encode(text, opts).length
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  if (s < best) best = s
}
console.log(`npm ${(bytes.length / 1e6 / best).toFixed(2)} MB/s ${n} ids ${best.toFixed(4)} s`)

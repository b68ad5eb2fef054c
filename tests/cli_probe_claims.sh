#!/usr/bin/env bash
# CLI tests of `dwplan probe sweep` claims (issue 14, finding 6): a claim left empty or
# unparsable by a worker killed while writing it, or whose writer is dead (its pid gone, or
# the pid now belongs to another process: start time or boot differs), is stale and taken
# over at once; a live claim (this shell's pid, another host) makes the sweep skip that
# config, exit 1 and say on stderr, even with --quiet, which config and whose claim; two
# sweeps racing for the same stale claims run each config once. A 2-config sweep of 3 steps.
set -u
DWPLAN=$1
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
if ! command -v python3 >/dev/null; then echo "cli_probe_claims: python3 missing" >&2; exit 77; fi
if [ ! -r /proc/$$/stat ]; then echo "cli_probe_claims: no /proc" >&2; exit 77; fi
py() { python3 -c "$1"; }
cd "$tmp"
S=(probe sweep --depths 1 --widths 16,24 --steps 3 --batch 2 --seq 16 --val-batches 1
   --synthetic-tokens 65536 --threads 1 --quiet)
host=$(python3 -c 'import socket; print(socket.gethostname())')

# The claim key of each config, from the records of a reference sweep (the format of
# probe/sweep.h: d4-w64-h1-t1048576-s1-b8-T256-lr0.0003-3f2a9c).
"$DWPLAN" "${S[@]}" -o ref.jsonl >/dev/null 2>ref.err
check "reference sweep exit 0" '[ $? -eq 0 ]'
key() { # width
    py "
import json, hashlib
for l in open('ref.jsonl'):
    r = json.loads(l)
    if r['width'] == $1:
        h = hashlib.sha256(r['dataset'].encode()).hexdigest()[:6]
        print('d%d-w%d-h%d-t%.0f-s%d-b%d-T%d-lr%g-%s' % (r['depth'], r['width'], r['heads'],
              r['tokens'], r['seed'], r['batch'], r['seq_len'], r['lr'], h))
"
}
K24=$(key 24)
check "claim key ($K24)" '[ -n "$K24" ]'

# records of width W in FILE (one JSON object a line, as dwplan writes them)
count() { grep -c "\"width\":$2," "$1" 2>/dev/null; }

# plant CLAIM-TEXT for width 24 in a fresh sweep NAME, run it; $rc, NAME.err
plant() { # name text
    mkdir -p "$1.jsonl.claims"
    printf '%b' "$2" >"$1.jsonl.claims/$K24.claim"
    "$DWPLAN" "${S[@]}" -o "$1.jsonl" >/dev/null 2>"$1.err"
    rc=$?
}
# the config ran once, the stale claim was taken over (and said so under --quiet), and no
# claim is left
taken_over() { # name why
    n=$1
    check "$n: exit 0 (exit $rc: $(head -c 300 "$n.err"))" '[ $rc -eq 0 ]'
    check "$n: width 24 ran once" '[ "$(count "$n.jsonl" 24)" -eq 1 ] && [ "$(count "$n.jsonl" 16)" -eq 1 ]'
    check "$n: says it took over a stale claim ($2)" "grep -q 'depth 1 width 24.*took over a stale claim.*$2' '$n.err'"
    check "$n: no claim left" '[ -z "$(ls "$n.jsonl.claims")" ]'
}

# 1. empty: the writer died between creating and writing it
plant empty ''
taken_over empty 'empty'
# 2. unparsable
plant garbage 'this is not a claim\n'
taken_over garbage 'unparsable'
# 3. its writer's pid is dead
sh -c 'exit 0' &
dead=$!
wait "$dead"
plant deadpid "host=$host\npid=$dead\ntime=2020-01-01T00:00:00Z\nconfig=$K24\n"
taken_over deadpid "pid $dead .*gone"
# 4. the pid lives but is another process now (start time, boot)
plant reused "host=$host\npid=$$\nstart=1\ntime=2020-01-01T00:00:00Z\nconfig=$K24\n"
taken_over reused "pid $$ .*start"
plant reboot "host=$host\npid=$$\nboot=00000000-0000-0000-0000-000000000000\nconfig=$K24\n"
taken_over reboot "boot"

# 5. a live claim (this shell, no start time: the pid alone decides) is honoured: the
# config is skipped, the sweep exits 1 and names it and the claim's owner under --quiet
plant live "host=$host\npid=$$\ntime=2020-01-01T00:00:00Z\nconfig=$K24\n"
check "live: exit 1 (exit $rc)" '[ $rc -eq 1 ]'
check "live: width 24 not run, width 16 ran" '[ "$(count live.jsonl 24)" -eq 0 ] && [ "$(count live.jsonl 16)" -eq 1 ]'
has live.err "live: names the skipped config and the owner" "depth 1 width 24" "pid $$" "$host" \
    "no record"
check "live: the claim is still there" '[ -f "live.jsonl.claims/$K24.claim" ]'
check "live: one line per skipped config" '[ "$(grep -c "depth 1 width 24" live.err)" -eq 1 ] && ! grep -q "width 16" live.err'
# with this shell's real start time the claim is live too
st=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20)
plant livestart "host=$host\npid=$$\nstart=$st\nconfig=$K24\n"
check "live with its start time: exit 1 (exit $rc)" '[ $rc -eq 1 ] && [ "$(count livestart.jsonl 24)" -eq 0 ]'
# another host's claim: live until --claim-timeout
plant remote "host=some-other-node.invalid\npid=1\ntime=2020-01-01T00:00:00Z\nconfig=$K24\n"
check "remote: exit 1 naming the host (exit $rc)" '[ $rc -eq 1 ] && grep -q "depth 1 width 24.*pid 1 on host some-other-node.invalid" remote.err'

# 5b. a dead writer's claim of a config already recorded (killed between appending the
# record and removing the claim) is removed by the next sweep, which runs nothing
cp ref.jsonl done.jsonl
plant done "host=$host\npid=$dead\nconfig=$K24\n"
check "done: exit 0, nothing run (exit $rc)" '[ $rc -eq 0 ] && [ "$(wc -l <done.jsonl)" -eq 2 ]'
check "done: its stale claim is removed" '[ -z "$(ls done.jsonl.claims)" ]'

# 6. the help says what exit 1 means
"$DWPLAN" probe sweep --help >help.txt
check "help: exit 1 for configs without a record" 'grep -q "1 some failed or have no record" help.txt'

# 7. two sweeps race for the same stale claims (both configs: dead writers): each config
# runs once, and both sweeps end with every config recorded (the second waits for the first)
mkdir -p race.jsonl.claims
K16=$(key 16)
for k in "$K16" "$K24"; do
    printf 'host=%s\npid=%s\nconfig=%s\n' "$host" "$dead" "$k" >"race.jsonl.claims/$k.claim"
done
"$DWPLAN" "${S[@]}" -o race.jsonl >/dev/null 2>ra.err &
a=$!
"$DWPLAN" "${S[@]}" -o race.jsonl >/dev/null 2>rb.err &
b=$!
wait $a; ra=$?
wait $b; rb=$?
check "race: both exit 0 ($ra, $rb)" '[ $ra -eq 0 ] && [ $rb -eq 0 ]'
check "race: each config once" '[ "$(count race.jsonl 16)" -eq 1 ] && [ "$(count race.jsonl 24)" -eq 1 ] && [ "$(wc -l <race.jsonl)" -eq 2 ]'
check "race: no claim or temp left" '[ -z "$(ls race.jsonl.claims)" ]'

finish cli_probe_claims

#!/usr/bin/env bash
# CLI tests of the CUDA backend's plumbing (issue 7) on a machine with or without a GPU:
#   - dwplan does not link CUDA (ldd shows no libcuda, libcudart or libcublas);
#   - `probe run --backend cuda` without a usable CUDA library or device fails before any
#     work with exit 4, no record, and a message quoting the reason (a missing library
#     names where it looked; the real library, where there is no GPU, quotes the CUDA
#     runtime's message and the call that gave it); --math needs --backend cuda;
#   - through the CPU emulator library (libdwplan_cudaemu.so, the same kernel source), a
#     tiny `probe run --backend cuda` trains, its record says backend "cuda" and its
#     val_loss equals the CPU run's to 1e-4; `probe bench --backend cuda` reports rows;
#     the emulator's "no device" mode gives the clean error.
set -u
DWPLAN=$1
BUILD=${DW_BUILD_DIR:-$(dirname "$DWPLAN")}
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
if ! command -v python3 >/dev/null; then echo "cli_cuda: python3 missing" >&2; exit 77; fi
cd "$tmp"
T="--depth 2 --width 32 --heads 2 --steps 6 --batch 2 --seq 16 --val-batches 2 --synthetic-tokens 65536 --threads 1 --quiet"

# 1. dwplan itself never links CUDA
ldd "$DWPLAN" >ldd.txt 2>&1
check "dwplan links no CUDA library" '! grep -Eq "libcuda|libcublas|libnvrtc" ldd.txt'

# 2. clean failures
DWPLAN_CUDA_LIB="$tmp/nowhere/libdwplan_cuda.so" "$DWPLAN" probe run $T --backend cuda \
    -o refused.jsonl >out.txt 2>err.txt
rc=$?
check "missing library: exit 4 ($rc), message, no record" \
    '[ $rc -eq 4 ] && grep -q "does not exist" err.txt && [ ! -e refused.jsonl ]'
echo "not a library" >fake.so
DWPLAN_CUDA_LIB="$tmp/fake.so" "$DWPLAN" probe run $T --backend cuda -o refused.jsonl \
    >out.txt 2>err.txt
rc=$?
check "a file that is not a library: exit 4, the loader's words" \
    '[ $rc -eq 4 ] && grep -q "did not load: .*fake.so" err.txt && [ ! -e refused.jsonl ]'
libm=$(ldd "$DWPLAN" | awk '/libm\.so/ {print $3; exit}')
if [ -n "$libm" ]; then
    DWPLAN_CUDA_LIB="$libm" "$DWPLAN" probe run $T --backend cuda -o refused.jsonl \
        >out.txt 2>err.txt
    rc=$?
    check "a library that is not dwplan's: exit 4, says what it lacks" \
        '[ $rc -eq 4 ] && grep -q "lacks dwplan_kern_abi" err.txt'
fi
"$DWPLAN" probe run $T --math bf16 -o refused.jsonl >out.txt 2>err.txt
rc=$?
check "--math without cuda: exit 2" '[ $rc -eq 2 ] && grep -q "needs --backend cuda" err.txt'
"$DWPLAN" probe run $T --backend tpu -o refused.jsonl >out.txt 2>err.txt
check "unknown backend: exit 2" '[ $? -eq 2 ] && grep -q "cpu or cuda" err.txt'
if [ -e "$BUILD/libdwplan_cuda.so" ]; then
    DWPLAN_CUDA_LIB="$BUILD/libdwplan_cuda.so" "$DWPLAN" probe run $T --backend cuda \
        -o real.jsonl >out.txt 2>err.txt
    rc=$?
    if [ $rc -eq 0 ]; then # a machine with a GPU
        check "real GPU run recorded" 'grep -q "\"backend\":\"cuda\"" real.jsonl'
    else
        echo "real library, no GPU: $(cat err.txt)"
        check "no GPU: exit 4, the CUDA runtime's words, no record" \
            '[ $rc -eq 4 ] && grep -Eq "cudaGetDeviceCount|CUDA|cuda" err.txt && [ ! -e real.jsonl ]'
        check "no GPU: not a crash" '! grep -qi "assert\|segmentation" err.txt'
    fi
else
    echo "cli_cuda: libdwplan_cuda.so not built here (no nvcc): real-library checks skipped"
fi

# a GPU sweep on a machine without a usable GPU stops at once and records nothing (a failed
# record would make the next sweep skip the config)
DWPLAN_CUDA_LIB="$tmp/nowhere/libdwplan_cuda.so" "$DWPLAN" probe sweep --depths 1-2 \
    --widths 32 --tokens 2k --batch 2 --seq 16 --val-batches 2 --synthetic-tokens 65536 \
    --threads 1 --quiet --backend cuda -o nogpu.jsonl >out.txt 2>err.txt
rc=$?
check "GPU sweep without a GPU: exit 4 ($rc), no record" \
    '[ $rc -eq 4 ] && grep -q "does not exist" err.txt && [ ! -s nogpu.jsonl ]'

# a Slurm array for a GPU sweep asks for one GPU per task and passes --backend on
"$DWPLAN" probe sweep --depths 1-2 --widths 32 --tokens 2k --batch 2 --seq 16 --backend cuda \
    -o sw.jsonl --emit-slurm sw.sbatch >out.txt 2>err.txt
check "slurm script for --backend cuda" \
    '[ $? -eq 0 ] && grep -q "^#SBATCH --gres=gpu:1" sw.sbatch && grep -q -- "--backend.*cuda" sw.sbatch'

# 3. through the emulator
EMU="$BUILD/libdwplan_cudaemu.so"
if [ ! -e "$EMU" ]; then
    echo "cli_cuda: $EMU not built (sanitizer build?)"
    [ $fail -eq 0 ] || exit 1
    exit 77
fi
DWPLAN_EMU_NO_DEVICE=1 DWPLAN_CUDA_LIB="$EMU" "$DWPLAN" probe run $T --backend cuda \
    -o refused.jsonl >out.txt 2>err.txt
rc=$?
check "emulated 'no device': exit 4 and the runtime's message" \
    '[ $rc -eq 4 ] && grep -q "cudaGetDeviceCount" err.txt && [ ! -e refused.jsonl ]'
"$DWPLAN" probe run $T -o cpu.jsonl 2>err.txt
check "cpu run" '[ $? -eq 0 ]'
DWPLAN_CUDA_LIB="$EMU" "$DWPLAN" probe run $T --backend cuda -o emu.jsonl 2>err.txt
rc=$?
check "emulated cuda run: exit 0 ($rc: $(head -c 300 err.txt))" '[ $rc -eq 0 ]'
python3 - cpu.jsonl emu.jsonl >cmp.txt <<'PY'
import json, sys
a = json.loads(open(sys.argv[1]).readline()); b = json.loads(open(sys.argv[2]).readline())
assert b["backend"] == "cuda" and a["backend"] == "cpu", (a["backend"], b["backend"])
assert b["status"] == "ok", b
assert "emulator" in b["device"], b["device"]
assert abs(a["val_loss"] - b["val_loss"]) <= 1e-4, (a["val_loss"], b["val_loss"])
for x, y in zip(a["grad_norms"], b["grad_norms"]):
    assert abs(x - y) <= 1e-4 * max(abs(x), 1e-30), (x, y)
print("val_loss", a["val_loss"], b["val_loss"])
PY
check "emulated cuda record matches the cpu run ($(cat cmp.txt))" '[ $? -eq 0 ]'
# a kernel that faults mid-run: the run is recorded "failed" with the call, file, line and
# the runtime's words, nothing crashes, exit 1
DWPLAN_EMU_FAIL_LAUNCH=150 DWPLAN_CUDA_LIB="$EMU" "$DWPLAN" probe run $T --backend cuda \
    -o fault.jsonl >out.txt 2>err.txt
rc=$?
check "faulting kernel: exit 1 ($rc), status failed, message names the launch and the line" \
    '[ $rc -eq 1 ] && grep -q "\"status\":\"failed\"" fault.jsonl &&
     grep -q "launch of [a-z_]*k failed at kernels/cuda/kern_cuda.cu:[0-9]*: unspecified launch failure" fault.jsonl &&
     grep -q "unspecified launch failure" err.txt'
DWPLAN_CUDA_LIB="$EMU" "$DWPLAN" probe bench --backend cuda --widths 32 --depths 1 --batch 2 \
    --seq 16 --vocab 64 --min-time 0.01 --gemm-n 64 --json --quiet >bench.json 2>err.txt
check "probe bench on the emulated device" \
    '[ $? -eq 0 ] && python3 -c "import json; d=json.load(open(\"bench.json\")); r=d[\"rows\"][0]; assert d[\"backend\"]==\"cuda\" and r[\"tokens_per_s\"]>0 and 0<r[\"mfu\"] and d[\"gemm_gflops_peak\"]>0"'
"$DWPLAN" probe bench --help | grep -q "examples:"
check "probe bench --help" '[ $? -eq 0 ]'

finish cli_cuda

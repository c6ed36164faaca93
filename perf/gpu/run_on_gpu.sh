#!/usr/bin/env bash
# The prepared GPU session script (issue 8, "On a real GPU"). Runs on the device machine (NVIDIA H100/H200, PyTorch
# installed, no .NET) from the repository root, with perf/gpu/.publish carried (build it first: perf/gpu/publish.sh).
#   1. device info and the offline PTX compile of every kernel;
#   2. kernel correctness at real sizes against host references (engine gpu check);
#   3. engine GEMM (fp32, TF32 tensor cores) / attention / conv throughput (engine gpu bench);
#   4. the same with PyTorch on this machine (torch_bench.py), CLIPSeg 352x352 batch 8 forward and training step;
#   5. ratios engine / PyTorch with the issue's targets (compare.py).
# Everything is also written under $OUT (when set) so the files come back. Budget: about 5 minutes.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
E=perf/gpu/.publish/engine
export DOTNET_gcServer=0 PYTHONUNBUFFERED=1
if [ ! -x "$E" ]; then echo "missing $E: run perf/gpu/publish.sh here and carry perf/gpu/.publish" >&2; exit 2; fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
ls -la /usr/lib/x86_64-linux-gnu/libcuda.so* 2>/dev/null | head -3

echo "== engine gpu info / ptx"
timeout 120 "$E" gpu info 2>&1 | tee "$OUT/info.jsonl"
timeout 120 "$E" gpu ptx 2>&1 | tee -a "$OUT/info.jsonl"

echo "== engine gpu check (real sizes vs host references)"
timeout 240 "$E" gpu check 2>&1 | tee "$OUT/check.jsonl"; check_rc=${PIPESTATUS[0]}

echo "== engine gpu bench"
timeout 240 "$E" gpu bench 2>&1 | tee "$OUT/bench.jsonl"

echo "== engine bench gemm|attention|conv --device cuda (the CLI form of the same kernels)"
timeout 120 "$E" bench gemm --device cuda --m 4096 --k 4096 --n 4096 --json 2>&1 | tee "$OUT/bench_cli.jsonl"
timeout 120 "$E" bench gemm --device cuda --m 4096 --k 4096 --n 4096 --tf32 --json 2>&1 | tee -a "$OUT/bench_cli.jsonl"

echo "== engine CLIPSeg rd64-refined (random weights) on cuda: 352x352, batch 8"
if [ -d perf/gpu/.publish/vocab-clip ]; then
  timeout 120 "$E" init --family clipseg --preset rd64-refined --vocab perf/gpu/.publish/vocab-clip --out /tmp/clipseg-random 2>&1 | tail -1
  timeout 300 "$E" bench model --model /tmp/clipseg-random --device cuda --batch 8 --backward --iterations 5 --budget 60 --json 2>&1 | tee "$OUT/engine_clipseg.jsonl"
  timeout 200 "$E" profile --model /tmp/clipseg-random --device cuda --batch 8 --train --steps 2 2>&1 | tee "$OUT/engine_clipseg_profile.txt"
else
  echo "perf/gpu/.publish/vocab-clip missing (publish.sh copies it from ../shared): CLIPSeg on cuda skipped" | tee "$OUT/engine_clipseg.jsonl"
fi

echo "== PyTorch on this machine"
timeout 300 python3 perf/gpu/torch_bench.py 2>&1 | tee "$OUT/torch.jsonl"

echo "== ratios"
python3 perf/gpu/compare.py "$OUT/bench.jsonl" "$OUT/torch.jsonl" "$OUT/engine_clipseg.jsonl" 2>&1 | tee "$OUT/ratios.txt"
echo "check exit code: $check_rc"
exit "$check_rc"

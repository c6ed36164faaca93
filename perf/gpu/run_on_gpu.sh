#!/usr/bin/env bash
# The prepared GPU session script (issue 8, "On a real GPU"). Runs on the device machine (NVIDIA H100/H200, PyTorch
# installed, no .NET) from the repository root, with perf/gpu/.publish carried (build it first: perf/gpu/publish.sh).
# In order of value, each step capped so the whole run ends inside BUDGET seconds (default 390):
#   1. device info and the offline PTX compile of every kernel;
#   2. every golden model case on CUDA: outputs, intermediates and whole-network gradients against PyTorch's files;
#   3. kernel correctness at real sizes against host references (engine gpu check);
#   4. engine GEMM (fp32, TF32 tensor cores) / attention / conv throughput (engine gpu bench), the same with PyTorch;
#   5. CLIPSeg rd64-refined 352x352 batch 8 (and 1) forward and training step, engine vs PyTorch (compare.py);
#   6. `engine segment` (4 images x 2 prompts) and `engine demo` (train + test the tiny CLIPSeg) on CUDA;
#   7. per-kernel profiles of the CLIPSeg forward and training step;
#   8. ptxas -v and SASS of the GEMM kernels (in logs.tgz).
# SKIP="torch golden segment demo profile sass" leaves steps out (a rerun keeps PyTorch's earlier numbers when
# perf/gpu/.publish/torch_earlier.jsonl is there). The first session on an H200 took ~3 min for everything.
# Results land in $OUT (at most 8 files come back): main.log, golden.jsonl, check.jsonl, bench.jsonl, torch.jsonl,
# clipseg.jsonl, profile.txt, logs.tgz.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
BUDGET=${BUDGET:-390}; START=$(date +%s)
exec > >(tee "$OUT/main.log") 2>&1
P=perf/gpu/.publish; W=/tmp/gpu-work; mkdir -p "$W"
export DOTNET_gcServer=0 PYTHONUNBUFFERED=1 ENGINE_DEBUG=1
# cap SECONDS: the smaller of SECONDS and what is left of the budget (minus a reserve for the last steps)
cap() { local left=$((BUDGET - ($(date +%s) - START) - ${2:-15})); [ "$left" -lt "$1" ] && echo $((left > 5 ? left : 5)) || echo "$1"; }
stamp() { echo "== [$(($(date +%s) - START)) s] $*"; }
# SKIP="torch golden ..." leaves steps out (a rerun in the same session need not repeat PyTorch's numbers).
want() { [[ " ${SKIP:-} " != *" $1 "* ]]; }

stamp "unpack"
if [ ! -f "$P/engine.tar.xz" ]; then echo "missing $P/engine.tar.xz: run perf/gpu/publish.sh here and carry perf/gpu/.publish" >&2; exit 2; fi
tar -C /tmp -xJf "$P/engine.tar.xz" || python3 -c "import tarfile; tarfile.open('$P/engine.tar.xz').extractall('/tmp')" || exit 2
E=/tmp/engine/engine
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
ldconfig -p | grep -m3 libcuda; echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"; nproc

stamp "engine gpu info / ptx"
timeout "$(cap 30)" "$E" gpu info
timeout "$(cap 30)" "$E" gpu ptx

stamp "golden model cases on cuda (outputs, intermediates, gradients vs PyTorch)"
if ! want golden; then echo "skipped";
elif [ -d "$P/golden" ]; then
  timeout "$(cap 100 120)" bash perf/gpu/golden_run.sh "$E" cuda "$P/golden" "$W/golden" | tee "$OUT/golden.jsonl"
else echo "no $P/golden: skipped"; fi

stamp "engine gpu check (real sizes vs host references)"
timeout "$(cap 60 110)" "$E" gpu check | tee "$OUT/check.jsonl"

stamp "engine gpu bench"
timeout "$(cap 60 100)" "$E" gpu bench | tee "$OUT/bench.jsonl"

stamp "PyTorch on this machine"
if want torch; then timeout "$(cap 75 90)" python3 perf/gpu/torch_bench.py | tee "$OUT/torch.jsonl"
elif [ -f "$P/torch_earlier.jsonl" ]; then cp "$P/torch_earlier.jsonl" "$OUT/torch.jsonl"; echo "skipped: PyTorch's numbers from an earlier run ($P/torch_earlier.jsonl)"; fi

stamp "engine CLIPSeg rd64-refined (random weights) on cuda: 352x352, batch 8"
if [ -d "$P/vocab-clip" ]; then
  timeout "$(cap 30)" "$E" init --family clipseg --preset rd64-refined --vocab "$P/vocab-clip" --out "$W/clipseg-random" | tail -1
  timeout "$(cap 90 45)" "$E" bench model --model "$W/clipseg-random" --device cuda --batch 8 --backward --iterations 5 --budget 20 --json | tee "$OUT/clipseg.jsonl"
  timeout "$(cap 30 45)" "$E" bench model --model "$W/clipseg-random" --device cuda --batch 1 --iterations 5 --budget 10 --json
fi

stamp "engine segment on cuda: 4 images 1280x1024, 2 prompts (load, tokenize, preprocess, forward, upsample, PNGs)"
if [ -d "$W/clipseg-random" ] && want segment; then
  python3 -c "
import numpy as np; from PIL import Image
rng = np.random.default_rng(0)
for i in range(4): Image.fromarray(rng.integers(0, 255, (1024, 1280, 3), dtype=np.uint8)).save('$W/img%d.png' % i)"
  s0=$(date +%s.%N)
  timeout "$(cap 45 60)" "$E" segment --model "$W/clipseg-random" --image "$W/img0.png" --image "$W/img1.png" --image "$W/img2.png" --image "$W/img3.png" \
    --prompt "polyp" --prompt "liver" --device cuda --out "$W/seg" 2>&1 | tail -3
  echo "segment wall: $(python3 -c "import time; print(round(time.time() - $s0, 2))") s; files: $(ls "$W/seg" | wc -l)"
fi

stamp "engine demo on cuda (train + test the tiny CLIPSeg on synthetic data; CPU gives test Dice 0.9104 / 0.9385)"
if want demo; then
  s0=$(date +%s.%N)
  timeout "$(cap 90 40)" "$E" demo --device cuda --vocab "$P/vocab-clip" --out "$W/demo" 2>&1 | tail -12
  echo "demo wall: $(python3 -c "import time; print(round(time.time() - $s0, 2))") s"
  [ -f "$W/demo/demo_summary.json" ] && cat "$W/demo/demo_summary.json" | head -c 3000
fi

stamp "ratios"
python3 perf/gpu/compare.py "$OUT/bench.jsonl" "$OUT/torch.jsonl" "$OUT/clipseg.jsonl"

stamp "profiles of the CLIPSeg forward and training step"
if [ -d "$W/clipseg-random" ] && want profile; then
  timeout "$(cap 45 20)" "$E" profile --model "$W/clipseg-random" --device cuda --batch 8 --steps 2 --shapes --rows 30 | tee "$OUT/profile.txt"
  timeout "$(cap 60 10)" "$E" profile --model "$W/clipseg-random" --device cuda --batch 8 --train --steps 2 --shapes --rows 40 | tee -a "$OUT/profile.txt"
fi

stamp "SASS and register use of the GEMM kernels (ptxas + cuobjdump: what the driver runs of ILGPU's PTX)"
if want sass && { command -v ptxas >/dev/null || [ -x /usr/local/cuda/bin/ptxas ]; }; then
  PATH=$PATH:/usr/local/cuda/bin; mkdir -p "$W/sass"
  "$E" gpu ptx --out "$W/sass" > /dev/null
  for k in Gemm.TiledLargeKernel Gemm.TiledKernel GemmTensorCore.Kernel Elementwise.BinaryKernel; do
    timeout 20 ptxas -arch=sm_90 -v "$W/sass/$k.ptx" -o "$W/sass/$k.cubin" 2>&1 | grep -E "registers|spill" | sed "s/^/$k: /"
    timeout 20 cuobjdump -sass "$W/sass/$k.cubin" > "$W/sass/$k.sass" 2>&1
  done
fi

stamp "done"
tar -C "$W" -czf "$OUT/logs.tgz" --exclude='*.safetensors' --exclude=clipseg-random --exclude="*.png" --exclude="*.cubin" . 2>/dev/null
exit 0

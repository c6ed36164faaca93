#!/usr/bin/env bash
# Builds what run_on_gpu.sh needs on the GPU machine, which has no .NET and sees only the repository:
#   perf/gpu/.publish/engine.tar.xz   the self-contained `engine` (linux-x64 folder, xz: ~32 MB instead of 48 MB as a
#                                     compressed single file, so the golden cases fit beside it)
#   perf/gpu/.publish/vocab-clip      the real CLIP vocabulary (`engine init` of the CLIPSeg folder)
#   perf/gpu/.publish/golden          the golden model cases' weights, inputs and references (golden_run.sh)
# Then call the device tool with carry ["perf/gpu/.publish"] and the command `bash perf/gpu/run_on_gpu.sh`.
# The device tool carries at most 64 MiB with the repository; this checks the size.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=perf/gpu/.publish
rm -rf "$out" /tmp/engine-publish
dotnet publish src/Engine.Cli -c Release -r linux-x64 --self-contained true \
  -p:DebugType=none -p:TreatWarningsAsErrors=false -o /tmp/engine-publish/engine
rm -f /tmp/engine-publish/engine/*.pdb /tmp/engine-publish/engine/libmscordaccore.so /tmp/engine-publish/engine/libmscordbi.so /tmp/engine-publish/engine/createdump
/tmp/engine-publish/engine/engine gpu ptx   # sanity: the published binary runs and compiles every kernel to PTX
mkdir -p "$out"
tar -C /tmp/engine-publish -cf - engine | xz -6 -T0 > "$out/engine.tar.xz"
shared=$(cd .. && pwd)/shared
if [ -d "$shared/vocab/clip" ]; then mkdir -p "$out/vocab-clip" && cp "$shared/vocab/clip/vocab.json" "$shared/vocab/clip/merges.txt" "$out/vocab-clip/";
else echo "warning: $shared/vocab/clip not found: run_on_gpu.sh will skip the CLIPSeg model timings" >&2; fi
if [ -d "$shared/golden" ]; then
  for c in clipseg_tiny_refined clip_text_tiny clip_vision_tiny bert_tiny biomedclip_tiny cris_tiny; do
    mkdir -p "$out/golden/$c"
    # Everything the loaders and golden_run.sh read; not the PyTorch .bin/.pth copies or the train-BN gradients.
    (cd "$shared/golden/$c" && cp -- *.json *.yaml inputs*.safetensors outputs*.safetensors intermediates.safetensors \
       model.safetensors open_clip_model.safetensors grads.safetensors grads_full_graph.safetensors grads_frozen_bn.safetensors \
       train.safetensors "$OLDPWD/$out/golden/$c/" 2>/dev/null || true)
  done
else echo "warning: $shared/golden not found: run_on_gpu.sh will skip the golden cases" >&2; fi
chmod -R u+w "$out"
size=$(du -sm "$out" | cut -f1)
echo "published $out: ${size} MiB"
du -sh "$out"/*
if [ "$size" -gt 56 ]; then echo "error: ${size} MiB with the repository is over the 64 MiB the device tool carries" >&2; exit 1; fi

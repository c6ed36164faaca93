#!/usr/bin/env bash
# Builds the self-contained `engine` (linux-x64, single compressed file) that run_on_gpu.sh runs on the GPU machine,
# which has no .NET. Run here, then call the device tool with carry ["perf/gpu/.publish"] and the command
#   bash perf/gpu/run_on_gpu.sh
# The device tool carries at most 64 MiB; this checks the size.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=perf/gpu/.publish
rm -rf "$out"
dotnet publish src/Engine.Cli -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -p:DebugType=none -p:TreatWarningsAsErrors=false -o "$out"
rm -f "$out"/*.pdb
# The GPU machine sees only the repository: carry the real CLIP vocabulary for `engine init` (CLIPSeg folder).
shared=$(cd .. && pwd)/shared
if [ -d "$shared/vocab/clip" ]; then mkdir -p "$out/vocab-clip" && cp "$shared/vocab/clip/vocab.json" "$shared/vocab/clip/merges.txt" "$out/vocab-clip/"; 
else echo "warning: $shared/vocab/clip not found: run_on_gpu.sh will skip the CLIPSeg model timings" >&2; fi
size=$(du -sm "$out" | cut -f1)
echo "published $out: ${size} MiB"
ls -la "$out"
if [ "$size" -gt 60 ]; then echo "error: ${size} MiB is over the 64 MiB the device tool carries" >&2; exit 1; fi
"$out/engine" gpu ptx   # sanity: the published binary runs and compiles every kernel to PTX

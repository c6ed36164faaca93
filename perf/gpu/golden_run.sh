#!/usr/bin/env bash
# Runs every golden model case through `engine forward --device DEVICE` (outputs, intermediates and gradients of the
# whole network) and compares them with PyTorch's reference files (golden_compare.py, the golden READMEs' tolerances).
#   perf/gpu/golden_run.sh ENGINE DEVICE GOLDEN_DIR WORK_DIR
# On the GPU machine run_on_gpu.sh calls it with DEVICE=cuda; here `golden_run.sh <engine> cpu ../shared/golden /tmp/g`
# checks the script itself. Prints one JSON line per comparison; exits non-zero when any fails.
set -uo pipefail
E=$1; DEV=$2; G=$3; W=$4
here=$(cd "$(dirname "$0")" && pwd)
cmp() { python3 "$here/golden_compare.py" compare "$@" || fails=$((fails + 1)); }
fwd() { # case, out, extra args...
  local c=$1 o=$2; shift 2
  local t0=$(date +%s.%N)
  if ! "$E" forward --device "$DEV" --model "$G/$c" --out "$W/$o" "$@" > "$W/$o.log" 2>&1; then
    echo "{\"golden\":\"$c\",\"run\":\"$o\",\"ok\":false,\"error\":$(tail -c 600 "$W/$o.log" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"
    fails=$((fails + 1)); return 1
  fi
  echo "{\"golden\":\"$c\",\"run\":\"$o\",\"seconds\":$(python3 -c "import time; print(round(time.time() - $t0, 2))")}"
}
mkdir -p "$W"; fails=0
for c in clipseg_tiny_refined clip_text_tiny clip_vision_tiny bert_tiny; do
  gradfile=grads.safetensors; [ -f "$G/$c/grads_full_graph.safetensors" ] && gradfile=grads_full_graph.safetensors
  fwd $c $c.out.safetensors --inputs "$G/$c/inputs.safetensors" --intermediates --grads "$W/$c.grads.safetensors" &&
  { cmp "$W/$c.out.safetensors" "$G/$c/outputs.safetensors" --kind activations
    cmp "$W/$c.grads.safetensors" "$G/$c/$gradfile" --kind gradients; }
done
c=clipseg_tiny_refined  # position-embedding interpolation (96 x 96 on a 64 x 64 model)
fwd $c $c.out96.safetensors --inputs "$G/$c/inputs_96.safetensors" && cmp "$W/$c.out96.safetensors" "$G/$c/outputs_96.safetensors" --kind activations
c=biomedclip_tiny
fwd $c $c.out.safetensors --inputs "$G/$c/inputs.safetensors" --intermediates --grads "$W/$c.grads.safetensors" &&
{ cmp "$W/$c.out.safetensors" "$G/$c/outputs.safetensors" --kind activations --atol 1e-4
  cmp "$W/$c.out.safetensors" "$G/$c/intermediates.safetensors" --kind activations --atol 1e-5
  cmp "$W/$c.grads.safetensors" "$G/$c/grads.safetensors" --kind gradients; }
c=cris_tiny
fwd $c $c.out.safetensors --inputs "$G/$c/inputs.safetensors" --intermediates &&
{ cmp "$W/$c.out.safetensors" "$G/$c/outputs.safetensors" --kind activations --atol 1e-5
  cmp "$W/$c.out.safetensors" "$G/$c/intermediates.safetensors" --kind activations --atol 1e-5; }
python3 "$here/golden_compare.py" merge "$W/cris_train_inputs.safetensors" "$G/$c/inputs.safetensors" "$G/$c/train.safetensors:target"
fwd $c $c.train.safetensors --inputs "$W/cris_train_inputs.safetensors" --frozen-bn --grads "$W/$c.grads.safetensors" &&
  cmp "$W/$c.grads.safetensors" "$G/$c/grads_frozen_bn.safetensors" --kind gradients
echo "{\"golden_failures\":$fails}"
exit $((fails > 0))

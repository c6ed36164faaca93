"""Ratios engine / PyTorch from the JSON lines of `engine gpu bench` and torch_bench.py, with the issue 8 targets:
fp32 GEMM >= 50 % of PyTorch fp32 matmul (TF32 off); tensor-core GEMM >= 50 % of PyTorch bf16 matmul."""
import json, sys


def load(path):
    rows = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            try: rows.append(json.loads(line))
            except ValueError: pass
    return rows


eng, ref = load(sys.argv[1]), load(sys.argv[2])
def find(rows, kernel, **keys):
    for r in rows:
        if r.get("kernel") == kernel and all(r.get(k) == v for k, v in keys.items()):
            return r
    return None

print(f"{'what':38s} {'engine':>10s} {'torch':>10s} {'ratio':>7s} target")
for r in eng:
    if r.get("kernel", "").startswith("gemm_"):
        shape = dict(m=r["m"], k=r["k"], n=r["n"])
        # fp32 kernels (gemm_fp32, and the per-kernel rows gemm_fp32_64x64 / _128x128) against PyTorch's fp32 matmul,
        # the tensor-core one against bf16; rows without a PyTorch shape are skipped.
        base = "torch_matmul_fp32" if r["kernel"].startswith("gemm_fp32") else "torch_matmul_bf16"
        t = find(ref, base, **shape)
        if t:
            ratio = r["gflops"] / t["gflops"]
            print(f"{r['kernel']} {r['m']}x{r['k']}x{r['n']:<14} {r['gflops']:10.1f} {t['gflops']:10.1f} {ratio:7.2f} >= 0.50 {'OK' if ratio >= 0.5 else 'MISS'}")
a, ta = find(eng, "attention"), find(ref, "torch_attention")
if a and ta:
    print(f"{'attention fwd GFLOPS':38s} {a['fwd_gflops']:10.1f} {ta['fwd_gflops']:10.1f} {a['fwd_gflops'] / ta['fwd_gflops']:7.2f}")
    print(f"{'attention bwd GFLOPS':38s} {a['bwd_gflops']:10.1f} {ta['bwd_gflops']:10.1f} {a['bwd_gflops'] / ta['bwd_gflops']:7.2f}")
c, tc = find(eng, "conv2d_3x3"), find(ref, "torch_conv2d_3x3")
if c and tc:
    print(f"{'conv2d 3x3 64ch 88x88 b8 GFLOPS':38s} {c['gflops']:10.1f} {tc['gflops']:10.1f} {c['gflops'] / tc['gflops']:7.2f}")
cl = find(ref, "torch_clipseg")
if cl: print("torch CLIPSeg:", json.dumps(cl))
# CLIPSeg 352x352 batch 8: engine (`engine bench model --model ... --device cuda --json`) vs PyTorch eager fp32.
# Target: both faster than PyTorch (ratio engine/torch < 1). PyTorch's training step includes AdamW; ours is
# forward + backward of all parameters (the optimiser update is one fused kernel, a small share).
if len(sys.argv) > 3 and cl and "forward_ms" in cl:
    em = load(sys.argv[3])
    fw = next((r for r in em if r.get("bench") == "model" and r.get("mode") == "forward"), None)
    tr = next((r for r in em if r.get("bench") == "model" and r.get("mode") == "fwd+bwd all"), None)
    if fw:
        q = fw["ms_per_step"] / cl["forward_ms"]
        print(f"{'CLIPSeg 352 b8 forward ms':38s} {fw['ms_per_step']:10.1f} {cl['forward_ms']:10.1f} {q:7.2f} < 1.00 {'OK' if q < 1 else 'MISS'}")
    if tr:
        q = tr["ms_per_step"] / cl["train_step_ms"]
        print(f"{'CLIPSeg 352 b8 train step ms':38s} {tr['ms_per_step']:10.1f} {cl['train_step_ms']:10.1f} {q:7.2f} < 1.00 {'OK' if q < 1 else 'MISS'}")

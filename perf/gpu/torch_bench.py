"""PyTorch reference timings for perf/gpu/run_on_gpu.sh: the shapes of `engine gpu bench`, one JSON line each.
fp32 with TF32 off (the baseline of the fp32 GEMM target), bf16 (the baseline of the tensor-core target), SDPA
attention fp32 forward/backward, a 3x3 conv fp32, and CLIPSeg (352x352, batch 8) forward and training step with a
randomly initialised model (no download; skipped when transformers is missing)."""
import json, time
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = "cuda"


def timed(fn, min_iters=5, min_s=0.3):
    fn(); torch.cuda.synchronize()
    it, t0 = 0, time.perf_counter()
    while it < min_iters or time.perf_counter() - t0 < min_s:
        fn(); it += 1
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / it


for (m, k, n) in [(485, 768, 3072), (485, 3072, 768), (1024, 1024, 1024), (4096, 4096, 4096)]:
    for dt, name in [(torch.float32, "fp32"), (torch.bfloat16, "bf16")]:
        a = torch.randn(m, k, device=dev, dtype=dt); b = torch.randn(k, n, device=dev, dtype=dt)
        s = timed(lambda: a @ b)
        print(json.dumps({"kernel": f"torch_matmul_{name}", "m": m, "k": k, "n": n, "ms": s * 1e3, "gflops": 2 * m * n * k / s / 1e9}))

B, H, L, D = 8, 12, 485, 64
q, k, v = (torch.randn(B, H, L, D, device=dev, requires_grad=True) for _ in range(3))
go = torch.randn(B, H, L, D, device=dev)
f = timed(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v))
o = torch.nn.functional.scaled_dot_product_attention(q, k, v)
bw = timed(lambda: torch.autograd.grad(torch.nn.functional.scaled_dot_product_attention(q, k, v), (q, k, v), go)) - f
flops = 4.0 * B * H * L * L * D
print(json.dumps({"kernel": "torch_attention", "B": B, "H": H, "L": L, "D": D, "fwd_ms": f * 1e3, "fwd_gflops": flops / f / 1e9,
                  "bwd_ms": bw * 1e3, "bwd_gflops": 2.5 * flops / bw / 1e9}))

x = torch.randn(8, 64, 88, 88, device=dev); w = torch.randn(64, 64, 3, 3, device=dev)
s = timed(lambda: torch.nn.functional.conv2d(x, w, padding=1))
print(json.dumps({"kernel": "torch_conv2d_3x3", "ms": s * 1e3, "gflops": 2.0 * 8 * 64 * 64 * 9 * 88 * 88 / s / 1e9}))

try:
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation
    cfg = CLIPSegConfig()  # ViT-B/16 CLIPSeg (rd64-refined sizes are close); random weights
    cfg.vision_config.image_size = 352
    model = CLIPSegForImageSegmentation(cfg).to(dev)
    px = torch.randn(8, 3, 352, 352, device=dev); ids = torch.randint(0, 49000, (8, 12), device=dev)
    model.eval()
    with torch.no_grad():
        fwd = timed(lambda: model(input_ids=ids, pixel_values=px).logits, min_iters=3)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    tgt = torch.rand(8, 352, 352, device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(input_ids=ids, pixel_values=px).logits, tgt)
        loss.backward(); opt.step()
    tr = timed(step, min_iters=3)
    print(json.dumps({"kernel": "torch_clipseg", "batch": 8, "size": 352, "forward_ms": fwd * 1e3, "train_step_ms": tr * 1e3}))
except Exception as e:  # transformers missing or API drift: report and go on
    print(json.dumps({"kernel": "torch_clipseg", "skipped": str(e)[:200]}))

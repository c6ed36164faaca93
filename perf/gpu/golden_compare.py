"""Compares the engine's outputs/gradients with a golden reference file (PyTorch's), standard library only, so it runs
on the GPU machine and here alike. One JSON line per comparison:

    python3 golden_compare.py compare OURS.safetensors REF.safetensors --kind activations|gradients [--rtol R] [--atol A]
    python3 golden_compare.py merge OUT.safetensors A.safetensors B.safetensors[:name,name]   (B's named tensors added)

Rules are the golden READMEs' (the same as the test suite's):
  activations: max|diff| <= rtol * max|ref| + atol per tensor (rtol 1e-4, atol 1e-6; attention probabilities atol 1e-5),
               integer tensors exactly; reference names we did not write are listed, not failed.
  gradients:   every reference key must be present; max|diff| <= 1e-3 * max|ref| + 1e-6 * (largest |grad| of the file).
"""
import json, math, struct, sys

_FMT = {"F32": ("f", 4), "F64": ("d", 8), "I64": ("q", 8), "I32": ("i", 4), "U8": ("B", 1), "BOOL": ("?", 1), "I8": ("b", 1)}


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        code, size = _FMT[meta["dtype"]]
        a, b = meta["data_offsets"]
        count = (b - a) // size
        out[name] = (meta["dtype"], meta["shape"], struct.unpack(f"<{count}{code}", data[a:b]))
    return out


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, values) in tensors.items():
        code, size = _FMT[dtype]
        blob = struct.pack(f"<{len(values)}{code}", *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob); offset += len(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)


def max_abs(v):
    return max((abs(x) for x in v), default=0.0)


def max_diff(a, b):
    m = 0.0
    for x, y in zip(a, b):
        d = abs(x - y)
        if d != d:  # NaN
            return math.inf
        if d > m: m = d
    return m


def compare(ours_path, ref_path, kind, rtol, atol):
    ours, ref = read(ours_path), read(ref_path)
    noise = 1e-6 * max((max_abs(v) for (d, s, v) in ref.values() if d == "F32"), default=0.0) if kind == "gradients" else 0.0
    failed, missing, worst, worst_name, compared = [], [], 0.0, "", 0
    for name in sorted(ref):
        dtype, shape, rv = ref[name]
        if name not in ours:
            missing.append(name); continue
        odtype, oshape, ov = ours[name]
        if list(oshape) != list(shape):
            failed.append(f"{name}: shape {oshape} vs {shape}"); continue
        compared += 1
        if dtype != "F32":
            if [int(x) for x in ov] != [int(x) for x in rv]: failed.append(f"{name}: integer values differ")
            continue
        m, d = max_abs(rv), max_diff(ov, rv)
        a = atol + noise + (1e-5 if kind == "activations" and "attentions." in name else 0.0)
        if d > rtol * m + a: failed.append(f"{name}: max|diff| {d:.3e} > {rtol * m + a:.3e} (max|ref| {m:.3e})")
        r = d / m if m > 0 else d
        if (kind != "gradients" or m > 1e3 * noise) and r > worst: worst, worst_name = r, name
    if kind == "gradients" and missing:
        failed.extend(f"{n}: gradient missing" for n in missing)
    ok = not failed and compared > 0
    print(json.dumps({"golden": ref_path, "kind": kind, "compared": compared, "missing": len(missing), "worst_ratio": worst,
                      "worst": worst_name, "ok": ok, "failures": failed[:8]}))
    return ok


def main(argv):
    if len(argv) >= 3 and argv[0] == "compare":
        kind = argv[argv.index("--kind") + 1] if "--kind" in argv else "activations"
        rtol = float(argv[argv.index("--rtol") + 1]) if "--rtol" in argv else (1e-3 if kind == "gradients" else 1e-4)
        atol = float(argv[argv.index("--atol") + 1]) if "--atol" in argv else (0.0 if kind == "gradients" else 1e-6)
        return 0 if compare(argv[1], argv[2], kind, rtol, atol) else 1
    if len(argv) >= 4 and argv[0] == "merge":
        merged = dict(read(argv[2]))
        path, _, names = argv[3].partition(":")
        extra = read(path)
        for n in (names.split(",") if names else extra):
            merged[n] = extra[n]
        write(argv[1], merged)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

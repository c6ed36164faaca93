"""Writes pil_reference.json: Pillow's Image.resize outputs (and an open_clip-style resize+crop) for small random
images, which Engine.Imaging.PilResize must reproduce byte for byte.

Run: python3 generate_pil_reference.py > pil_reference.json   (needs Pillow and numpy; Debian python3-pil 9.4.0
was used — Pillow's resampling code has been unchanged since 4.x).
Pixels are base64 of the raw interleaved bytes (row-major, RGB or L).
"""
import base64
import json
import sys

import numpy as np
import PIL
from PIL import Image

rng = np.random.RandomState(0)
FILTERS = {"Nearest": Image.NEAREST, "Lanczos": Image.LANCZOS, "Bilinear": Image.BILINEAR,
           "Bicubic": Image.BICUBIC, "Box": Image.BOX, "Hamming": Image.HAMMING}
b64 = lambda a: base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()

images = []
specs = [((7, 5), "RGB", [(16, 13), (3, 2), (7, 9)]),
         ((13, 17), "RGB", [(20, 9), (5, 6), (13, 4)]),
         ((40, 30), "RGB", [(11, 7), (40, 10), (35, 35), (97, 61)]),
         ((64, 48), "RGB", [(20, 20), (88, 88), (23, 64)]),
         ((31, 23), "L", [(9, 12), (50, 50)])]
for (w, h), mode, sizes in specs:
    channels = 3 if mode == "RGB" else 1
    data = rng.randint(0, 256, size=(h, w, channels), dtype=np.uint8)
    if w == 64:  # smooth content too, not only noise
        yy, xx = np.mgrid[0:h, 0:w]
        data[..., 0] = (xx * 4) % 256
        data[..., 1] = (yy * 5) % 256
    im = Image.fromarray(data[..., 0] if channels == 1 else data, mode)
    cases = []
    for (ow, oh) in sizes:
        for name, f in FILTERS.items():
            if ow * oh > 4000 and name not in ("Bilinear", "Bicubic"):
                continue
            out = np.asarray(im.resize((ow, oh), f))
            cases.append({"filter": name, "width": ow, "height": oh, "pixels": b64(out)})
    images.append({"width": w, "height": h, "channels": channels, "pixels": b64(data), "cases": cases})

# open_clip / torchvision eval geometry: shortest side -> 24 (bicubic), then CenterCrop 24 with round-half-even.
crops = []
for (w, h) in [(50, 31), (29, 47), (24, 24), (25, 60)]:
    data = rng.randint(0, 256, size=(h, w, 3), dtype=np.uint8)
    im = Image.fromarray(data, "RGB")
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = 24, int(24 * long / short)
    nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
    resized = im.resize((nw, nh), Image.BICUBIC)
    top = int(round((nh - 24) / 2.0))
    left = int(round((nw - 24) / 2.0))
    out = np.asarray(resized)[top:top + 24, left:left + 24]
    crops.append({"width": w, "height": h, "pixels": b64(data), "out": b64(out)})

json.dump({"generator": f"Pillow {PIL.__version__}, numpy {np.__version__}", "images": images, "open_clip": crops},
          sys.stdout)

"""Writes unicode_normalization.txt (embedded in Engine.Text) from Python's unicodedata.

Why: the engine runs with InvariantGlobalization, where string.Normalize is a no-op, yet the CLIP (ftfy)
and BERT tokenizers need NFC/NFD/NFKC exactly as Python computes them. The data is the Unicode Character
Database as shipped with the Python that generated the reference tokens (unicodedata.unidata_version is written
in the header). Hangul syllables are composed/decomposed algorithmically and are not listed.

Line formats (hex code points):
  C cp ccc           canonical combining class (non-zero only)
  D cp m1 m2 ...     canonical decomposition (one level; applied recursively)
  K cp m1 m2 ...     compatibility decomposition (one level; applied recursively)
  E cp               a canonical pair decomposition that is excluded from composition
Run: python3 generate_normalization_data.py > unicode_normalization.txt
"""
import unicodedata

print(f"# unicodedata {unicodedata.unidata_version}")
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:
        continue
    ch = chr(cp)
    ccc = unicodedata.combining(ch)
    if ccc:
        print(f"C {cp:X} {ccc}")
    dec = unicodedata.decomposition(ch)
    if not dec:
        continue
    parts = dec.split()
    if parts[0].startswith("<"):
        print("K " + f"{cp:X} " + " ".join(parts[1:]))
    else:
        print("D " + f"{cp:X} " + " ".join(parts))
        if len(parts) == 2 and unicodedata.normalize("NFC", unicodedata.normalize("NFD", ch)) != ch:
            print(f"E {cp:X}")

"""Writes python_reference.json: what CPython (unicodedata, str.lower, html.unescape) and ftfy 6.3.1 (fix_text,
default settings) return for a set of tricky strings. The C# re-implementations in Engine.Text are tested against it.

Run with ftfy 6.3.1 importable:  python3 generate_python_reference.py > python_reference.json
The "text" cases mix realistic multilingual prompts, their mojibake (UTF-8 read as Windows-1252/Latin-1, once and
twice), HTML-escaped forms, HTML entities with and without ';', and random strings over a pool of awkward
characters; "ftfy" cases are the realistic ones only (ftfy's statistical mojibake heuristic is not reproduced
for random garbage, see Engine.Text.Clip.TextFixer).
"""
import html
import json
import random
import sys
import unicodedata

import ftfy

random.seed(1)
base = [
    "Segment the liver", "café crème brûlée", "naïve façade", "Übergröße Straße", "señor niño año", "São Paulo coração",
    "Ελληνικά κείμενο ΟΔΟΣ", "Сегментируйте печень", "İstanbul ığdır şişli", "Tiếng Việt có dấu", "肝脏分割",
    "肝臓のセグメンテーション", "كبد الإنسان", "עברית", "résumé — “quoted” ‘single’ … ", "50 °C ± 2 µm × 3 ÷ 4",
    "© ® ™ € £ ¥", "ﬁbrosis ﬂuid ﬀ ﬃ ﬄ ﬅ ﬆ", "Ｆｕｌｌｗｉｄｔｈ　ｓｐａｃｅ", "ｶﾀｶﾅ halfwidth", "emoji 😀 👍🏽 🫀",
    "tab\there\r\nwin\rmac", "a\x00b\x07c\x1bd\x7fe", "zero\u200bwidth soft\xadhyphen \ufeffbom", "\x1b[31mred\x1b[0m",
    "x\u2028y\u2029z\x85w", "e\u0301 a\u0308 n\u0303", "ﬁ\u0301", "Å Å Å", "한국어 텍스트", "ǅ ǈ ǋ Ĳ ĳ ŉ",
]
realistic = set(base)
for s in base:
    for enc in ["cp1252", "latin-1"]:
        try:
            once = s.encode("utf-8").decode(enc)
        except UnicodeDecodeError:
            continue
        realistic.add(once)
        try:
            realistic.add(once.encode("utf-8").decode(enc))
        except UnicodeDecodeError:
            pass
    realistic.add(html.escape(s))
    realistic.add(html.escape(html.escape(s)))
    realistic.add("<b>" + html.escape(s) + "</b>")
for e in ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x27;", "&eacute;", "&EACUTE;", "&NTILDE;", "&nbsp;", "&copy",
          "&copysr;", "&ampx", "&#128512;", "&#0;", "&#x80;", "&#1114112;", "&#xD800;", "&bogus;", "&#x;", "&NewLine;",
          "&SZLIG;", "&AMP;", "&#65;&#x42;&#X43", "&#99999999999999999999;"]:
    realistic.add("x " + e + " y")
    realistic.add(e + e)
pool = list("abcXYZ 019.,;:!?'\"-_&#<>@()[]éèüöÃÂ©®°±×÷€…—“”‘’ﬁﬂＡｂ１　\t\n\r\x00\x85\x9c\u200b\xad\u0301\u0308ΣσΑßİ한中😀\u0345\u0f73\u1100\u1161\u11a8") + ["&amp;", "Ã©", "â€”"]
randoms = set()
while len(randoms) < 700:
    randoms.add("".join(random.choice(pool) for _ in range(random.randint(1, 14))))

def row(c):
    return {"text": c, "nfc": unicodedata.normalize("NFC", c), "nfd": unicodedata.normalize("NFD", c),
            "nfkc": unicodedata.normalize("NFKC", c), "nfkd": unicodedata.normalize("NFKD", c), "lower": c.lower(),
            "unescape": html.unescape(c)}

out = {
    "generator": f"python {sys.version.split()[0]}, unicodedata {unicodedata.unidata_version}, ftfy {ftfy.__version__}",
    "text": [row(c) for c in sorted(realistic | randoms)],
    "ftfy": [{"text": c, "fix": ftfy.fix_text(c)} for c in sorted(realistic)],
}
json.dump(out, sys.stdout, ensure_ascii=False, indent=0)

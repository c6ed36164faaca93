"""Writes html5_entities.txt (embedded in Engine.Text): the HTML5 named character references as Python's
html.entities.html5 lists them (the table html.unescape and ftfy decode with), one per line:
  name<TAB>hex code points
Names keep their trailing ';' when they have one; the names without ';' are the legacy references that HTML
also decodes without a semicolon (and by longest prefix).
Run: python3 generate_html5_entities.py > html5_entities.txt
"""
import html.entities
import sys

print(f"# python {sys.version.split()[0]} html.entities.html5")
for name, value in sorted(html.entities.html5.items()):
    print(name + "\t" + " ".join(f"{ord(c):X}" for c in value))

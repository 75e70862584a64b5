#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# docs/flagship.md's mutual-information table ("What the autoencoder can and cannot gain") and
# the random search's figures beside it must be what scripts/bicm_onebit_mi.py prints now: the
# script is rerun (exact sums, about 1 s) and each of the table's rows compared number by number,
# in order, as are the "0.9983 vs 0.9996 bits per group at 1.77 dB" of the search.
# Usage: tests/check_mi_table.py SOURCE_DIR
import re, subprocess, sys

src = sys.argv[1]
out = subprocess.run([sys.executable, f"{src}/scripts/bicm_onebit_mi.py"], capture_output=True, text=True, check=True).stdout
doc = open(f"{src}/docs/flagship.md").read()
NUM = r"-?\d+\.\d+"


def rows(text, header):
    """The numbers of each data row of the markdown table after the line containing header."""
    lines = text[text.index(header):].split("\n")
    got = []
    for line in lines[2:]:  # header, separator
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        got.append((cells[0], [float(re.match(NUM, c).group()) for c in cells[1:]]))
    return got


fail = []
script = rows(out, "| inner code |")
docs = rows(doc, "| inner code (one-bit ADC")
if len(script) != len(docs):
    fail.append(f"the script prints {len(script)} inner codes, docs/flagship.md's table has {len(docs)}")
for (sname, s), (dname, d) in zip(script, docs):
    if s != d:
        fail.append(f"'{dname}': docs say {d}, the script gives {s} ('{sname}')")
m = re.search(r"R = 1/2, Eb/N0 1\.77 dB: bitwise MI per group: B1 (\d\.\d+), best of the search (\d\.\d+)", out)
if not m:
    fail.append("the script no longer prints the search's result at 1.77 dB")
elif f"({m.group(2)} vs {m.group(1)} bits per group at 1.77 dB" not in doc.replace("\n  ", " "):
    fail.append(f"docs/flagship.md does not say '({m.group(2)} vs {m.group(1)} bits per group at 1.77 dB'")
for f in fail:
    print("FAIL:", f)
if not fail:
    print(f"ok: {len(docs)} inner codes x 4 thresholds and the search's MI match scripts/bicm_onebit_mi.py")
sys.exit(1 if fail else 0)

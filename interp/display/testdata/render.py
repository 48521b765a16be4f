"""Show what nbconvert's HTML exporter renders for each output of a notebook.

    DISPLAY_NOTEBOOK=/tmp/display.ipynb go test -run WriteNotebook ./interp/display
    /tmp/gkvenv/bin/python interp/display/testdata/render.py /tmp/display.ipynb

For each cell it prints the MIME type nbconvert chose (by what it wrote into
the HTML) and, for comparison, the type JupyterLab 4 picks for an untrusted
notebook (the first *safe* renderer by rank: json 0, html 50, vega 57,
markdown 60, latex 70, png/jpeg 90, text 120; svg 80 is unsafe) and the
classic notebook (display order; SVG skipped when untrusted). It exits 1 when
a chart is rendered as text only anywhere.
"""
import re
import sys

import nbformat
from nbconvert import HTMLExporter

LAB_RANK = [("application/json", True), ("text/html", True), ("application/vnd.vegalite.v5+json", True),
            ("text/markdown", True), ("text/latex", True), ("image/svg+xml", False), ("image/png", True),
            ("image/jpeg", True), ("text/plain", True)]
CLASSIC_ORDER = ["application/javascript", "text/html", "text/markdown", "text/latex", "image/svg+xml",
                 "image/png", "image/jpeg", "text/plain"]
CLASSIC_SAFE = {"text/plain", "text/latex", "image/png", "image/jpeg", "text/html", "text/markdown"}


def lab(data, trusted):
    for t, safe in LAB_RANK:
        if t in data and (safe or trusted):
            return t


def classic(data, trusted):
    for t in CLASSIC_ORDER:
        if t in data and (trusted or t in CLASSIC_SAFE):
            return t


def main(path):
    nb = nbformat.read(path, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb)
    # Split the HTML at each cell's id comment-free: nbconvert keeps cell ids as element ids.
    parts = re.split(r'<div class="jp-Cell ', body)[1:]
    bad = 0
    print(f"{'cell':16} {'nbconvert html':34} {'lab (untrusted)':34} classic (untrusted)")
    for cell, part in zip(nb.cells, parts):
        data = cell.outputs[0]["data"]
        if 'src="data:image/png' in part:
            nbc = "image/png"
        elif "<svg" in part:
            nbc = "image/svg+xml"
        elif "<table" in part or "<div style" in part:
            nbc = "text/html"
        elif "jp-RenderedMarkdown" in part:
            nbc = "text/markdown"
        elif "jp-RenderedLatex" in part or "\\sum" in part:
            nbc = "text/latex"
        else:
            nbc = "text/plain"
        row = [nbc, lab(data, False), classic(data, False)]
        print(f"{cell.id:16} {row[0]:34} {row[1]:34} {row[2]}")
        if cell.id.startswith("chart-") and "text/plain" in row:
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""Executes every notebook through real Jupyter tooling and checks it.

For each notebook in notebooks/ (the index, the lessons, the template):
  * nbclient runs it on the gokernel kernelspec; no cell may produce an error
    output, and a lesson must finish within 2 minutes;
  * `gokernel execute` (the Go-only runner) runs it too, and every cell must
    produce the same output types (output_type and MIME types) as under
    nbclient;
  * the facts the lesson teaches are checked from its outputs: cells record
    them with lesson.Fact(...) (interp/lesson), which puts
    {"gokernel_fact": {"name", "value", "lo", "hi", "holds"}} in an output's
    metadata, with a state: "holds", "fails" or "cant_tell" (the machine
    offered too little to decide, e.g. one free core for a parallel speedup).
    The run is judged once, never retried: no fact may fail, each lesson
    must record at least one, and a lesson where more than a quarter of the
    facts can't tell fails too (it then shows nothing);
  * each notebook is run at small sizes: the values in SMALL are injected
    after the cell tagged "parameters", as papermill does (a cell tagged
    "injected-parameters"), for nbclient and for `gokernel execute` alike;
  * no process the lesson started outlives the kernel.

Executed copies are saved under $GOKERNEL_ARTIFACTS/executed/ for reading.
"""
import glob
import json
import os
import re
import subprocess
import time

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.environ.get("GOKERNEL_KERNEL_NAME", "gokernel")
BIN = os.environ.get("GOKERNEL_BIN", "")
ART = os.path.join(os.environ.get("GOKERNEL_ARTIFACTS", os.path.join(ROOT, "..", ".ci", "artifacts")), "executed")
LESSON_LIMIT_S = 120
CANT_TELL_LIMIT = 0.25

# The sizes CI runs each notebook with, injected after its parameters cell.
# A learner runs the defaults (or the article's sizes, with -p).
SMALL = {
    "lessons/01-gil-threads-and-processes.ipynb": {"cpuSeconds": 0.12, "rounds": 14},
    "lessons/02-threading-limits-and-process-pools.ipynb": {"cpuSeconds": 0.08, "pageDelay": 0.2, "rounds": 4},
    "lessons/03-concurrency-is-not-parallelism.ipynb": {"cpuSeconds": 0.12, "rounds": 16},
    "lessons/04-benchmarking-threads-processes-async.ipynb": {"callSeconds": 0.05, "requestDelay": 0.2, "rounds": 4},
    "lessons/05-asyncio-threads-and-processes.ipynb": {"unitSeconds": 0.25, "raceRuns": 30, "lists": 160},
    "experiments/_template.ipynb": {"cpuSeconds": 0.1, "rounds": 4},
}

NOTEBOOKS = sorted(
    os.path.relpath(p, ROOT)
    for p in glob.glob(os.path.join(ROOT, "**", "*.ipynb"), recursive=True)
    if "node_modules" not in p and ".ipynb_checkpoints" not in p
)


def output_types(nb):
    """Per code cell, the set of (output_type, MIME types) it produced."""
    cells = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        kinds = set()
        for o in c.get("outputs", []):
            if o.output_type == "stream":
                kinds.add(("stream", o.name))
            elif o.output_type in ("display_data", "execute_result"):
                kinds.add((o.output_type, tuple(sorted(o.data))))
            else:
                kinds.add((o.output_type,))
        cells.append(kinds)
    return cells


def state(f):
    """A fact's verdict; facts recorded before states existed hold or fail."""
    return f.get("state") or ("holds" if f.get("holds") else "fails")


def facts(nb):
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            f = o.get("metadata", {}).get("gokernel_fact")
            if f:
                out.append(f)
    return out


def bundle_problems(nb):
    """What is wrong with the saved MIME bundles (issue 4): every display
    carries text/plain; a chart is Vega-Lite v5 with a PNG fallback and no
    text/html or application/json beside it (JupyterLab would prefer those)."""
    problems, charts, tables = [], 0, 0
    for i, c in enumerate(nb.cells):
        for o in c.get("outputs", []):
            if o.output_type not in ("display_data", "execute_result"):
                continue
            data = o.get("data", {})
            if "text/plain" not in data:
                problems.append(f"cell {i}: a {o.output_type} without text/plain: {sorted(data)}")
            if "application/vnd.vegalite.v5+json" in data:
                charts += 1
                extra = {"text/html", "application/json"} & set(data)
                if extra or "image/png" not in data:
                    problems.append(f"cell {i}: chart bundle {sorted(data)}")
                if not str(data["application/vnd.vegalite.v5+json"].get("$schema", "")).endswith("v5.json"):
                    problems.append(f"cell {i}: Vega-Lite spec without a v5 $schema")
            elif "<table" in str(data.get("text/html", "")):
                tables += 1
    return problems, charts, tables


def errors(nb):
    return [
        f"cell {i}: {o.ename}: {o.evalue}"
        for i, c in enumerate(nb.cells)
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]


def descendants(pid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return kids + [g for k in kids for g in descendants(k)]


def supports_p():
    """Whether `gokernel execute` takes -p name=value (papermill-style
    parameters); older binaries do not, and get an injected copy instead."""
    r = subprocess.run([BIN, "execute", "-h"], capture_output=True, text=True, timeout=30)
    return re.search(r"(?m)^\s+-p\b", r.stdout + r.stderr) is not None


def go_literal(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)


def inject(nb, params):
    """Inserts a cell tagged injected-parameters after the cell tagged
    parameters, assigning params, as papermill does. The notebook must have
    a parameters cell."""
    if not params:
        return nb
    cells = nb.cells
    at = [i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert at, "no cell tagged 'parameters'"
    src = "// Parameters injected by the notebook test\n" + "\n".join(f"{k} = {go_literal(v)}" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["tags"] = ["injected-parameters"]
    cells.insert(at[0] + 1, cell)
    return nb


def run_nbclient(src, params):
    """Executes the notebook at src with nbclient, params injected; returns
    it, the time it took and the processes the kernel had started that were
    still there."""
    nb = inject(nbformat.read(src, as_version=4), params)
    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=180, coalesce_streams=True,
        resources={"metadata": {"path": os.path.dirname(src)}},
    )
    t0 = time.monotonic()
    with client.setup_kernel():
        kernel_pid = client.km.provisioner.process.pid
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)  # raises CellExecutionError on an error output
        elapsed = time.monotonic() - t0
        leftovers = descendants(kernel_pid)
    return nb, elapsed, leftovers


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook(path, tmp_path, record_property):
    os.makedirs(ART, exist_ok=True)
    src = os.path.join(ROOT, path)
    params = SMALL.get(path.replace(os.sep, "/"), {})
    # Judged once: a fact holds, fails, or honestly can't tell (no reruns).
    nb, elapsed, leftovers_before_shutdown = run_nbclient(src, params)
    # For the summary after the run (conftest.py): its time and its facts' states.
    fs = facts(nb)
    verdicts = [state(f) for f in fs]
    record_property("notebook", {"seconds": elapsed, **{k: verdicts.count(k) for k in ("holds", "cant_tell", "fails")}})
    name = path.replace(os.sep, "__")
    nbformat.write(nb, os.path.join(ART, name))
    assert not errors(nb), errors(nb)
    problems, charts, tables = bundle_problems(nb)
    assert not problems, "\n".join(problems)
    if path.startswith("lessons" + os.sep):
        assert charts > 0 and tables > 0, f"{path}: {charts} charts and {tables} tables saved; a lesson shows both"
    if path.startswith("lessons" + os.sep):
        assert elapsed < LESSON_LIMIT_S, f"{path} took {elapsed:.0f} s (limit {LESSON_LIMIT_S} s)"

    # nbconvert's HTML shows every chart, through its PNG fallback (it has
    # no Vega-Lite renderer): one data:image/png per chart at least.
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert html.count("data:image/png;base64") >= charts, f"{path}: nbconvert HTML lost charts"

    # Nothing the lesson started survives the kernel: give it a moment to exit.
    deadline = time.monotonic() + 5
    alive = [p for p in leftovers_before_shutdown if os.path.exists(f"/proc/{p}")]
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if os.path.exists(f"/proc/{p}")]
    assert not alive, f"processes left behind by {path}: {alive}"

    for f, v in zip(fs, verdicts):
        print(f"{path}: {v}: {json.dumps(f)}")
    if path.startswith("lessons" + os.sep):
        assert fs, f"{path} records no facts (lesson.Fact)"
    bad = [f for f, v in zip(fs, verdicts) if v == "fails"]
    assert not bad, "facts that do not hold:\n" + "\n".join(json.dumps(f) for f in bad)
    unsure = [f for f, v in zip(fs, verdicts) if v == "cant_tell"]
    assert len(unsure) <= CANT_TELL_LIMIT * len(fs), (
        f"{len(unsure)} of {len(fs)} facts can't tell on this machine now (limit: a quarter):\n" +
        "\n".join(json.dumps(f) for f in unsure))

    # The Go-only runner gives the same output types, cell by cell.
    assert BIN, "GOKERNEL_BIN is not set (.ci/test sets it)"
    out = tmp_path / "headless.ipynb"
    if params and supports_p():
        # gokernel execute -p name=value injects the cell itself.
        flags = [a for k, v in params.items() for a in ("-p", f"{k}={go_literal(v)}")]
        r = subprocess.run([BIN, "execute", *flags, "--output", str(out), src], capture_output=True, text=True,
                           timeout=300, cwd=os.path.dirname(src))
    else:
        # The same injection as for nbclient, into a copy beside the original
        # (so relative paths resolve the same).
        injected = os.path.join(os.path.dirname(src), f".injected-{os.getpid()}-{os.path.basename(src)}")
        nbformat.write(inject(nbformat.read(src, as_version=4), params), injected)
        try:
            r = subprocess.run([BIN, "execute", "--output", str(out), injected], capture_output=True, text=True,
                               timeout=300, cwd=os.path.dirname(src))
        finally:
            os.remove(injected)
    assert r.returncode == 0, r.stdout + r.stderr
    headless = nbformat.read(str(out), as_version=4)
    nbformat.validate(headless)
    a, b = output_types(nb), output_types(headless)
    assert len(a) == len(b)
    diffs = [(i, sorted(x), sorted(y)) for i, (x, y) in enumerate(zip(a, b)) if x != y]
    assert not diffs, "output types differ between nbclient and gokernel execute:\n" + "\n".join(map(str, diffs))

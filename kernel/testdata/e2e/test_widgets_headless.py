"""Widgets executed headless by nbclient, as the notebook tests run the lessons.

nbclient plays the Output widget itself (nbclient/output_widget.py): once a
kernel sets an Output's msg_id to the running cell, nbclient routes that
cell's outputs into the widget and, for each one, sends a comm_msg back on
the shell socket, from the coroutine reading iopub, while another coroutine
polls that same socket for the cell's execute_reply. The poll can miss the
reply (jupyter/nbclient#312): it then sees it only when the cell's timeout
fires, and the cell takes the whole timeout without an error. This is what
made lessons 2 and 4 stall for 180 s after their controls cell.

The lessons' controls cells therefore write into an Output of their own
(Output.Print, Output.Show): the text and the timeline travel as widget
state, no output is routed by msg_id while the cell runs, and nbclient has
nothing to send back mid-cell. These tests check both halves: that pattern
makes the client send no comm_msg during the cell, and the captured pattern
does (so the spy sees such sends when there are some); and that with a
frontend moving the slider, the pattern still redraws the Output, through
its state.
"""
import time

import nbformat
from nbclient import NotebookClient

from conftest import KERNEL_NAME, TIMEOUT, execute

IMPORTS = """import (
	"fmt"
	"strings"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/widgets"
)"""


def run(cells, timeout):
    """Executes the imports and cells with nbclient, cell by cell; returns the
    client, how many comm_msg the client sent during each cell, and how long
    each cell took."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in [IMPORTS] + cells])
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout)
    sends, took = [], []
    with client.setup_kernel():
        channel = client.kc.shell_channel
        send = channel.send

        def spy(msg):
            if msg["header"]["msg_type"] == "comm_msg":
                sends[-1] += 1
            return send(msg)

        channel.send = spy  # the OutputWidget mimic sends through this same channel object
        for i, cell in enumerate(nb.cells):
            sends.append(0)
            t0 = time.monotonic()
            client.execute_cell(cell, i)
            took.append(time.monotonic() - t0)
    for i, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"cell {i}: {errors}"
    return client, sends[1:], took[1:]


def send(kc, msg_type, content):
    """Sends a shell message as a frontend would; returns its msg_id."""
    msg = kc.session.msg(msg_type, content)
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def until_idle(kc, msg_id):
    """The iopub messages with msg_id as parent, up to its idle."""
    out = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") == msg_id:
            out.append(m)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return out
    raise AssertionError(f"no idle for {msg_id}")


def outputs_of(client, model_name="OutputModel"):
    """The outputs of every Output widget nbclient holds state for."""
    return [s.get("outputs", []) for s in client.widget_state.values() if s.get("_model_name") == model_name]


def test_interact_into_own_output_sends_nothing_back():
    cell = """n{i} := widgets.NewIntSlider("n", 1, 5, {i})
out{i} := widgets.NewOutput()
widgets.Interact(func() {{
	out{i}.Clear()
	out{i}.Print(fmt.Sprintf("n = %d\\n", n{i}.Value()))
	out{i}.Show(strings.Repeat("*", n{i}.Value()))
}}, n{i})
display.Show(out{i})"""
    timeout = 60
    client, sends, took = run([cell.format(i=i) for i in range(1, 5)], timeout)
    assert sends == [0, 0, 0, 0], f"comm_msg sent by nbclient during each cell: {sends}"
    # A hang guard, not a speed check: a missed reply costs the whole timeout.
    assert max(took) < timeout / 2, f"cells took {took} s"
    filled = [outs for outs in outputs_of(client) if outs]
    assert len(filled) == 4, f"Output widgets with outputs: {filled}"
    for i, outs in enumerate(sorted(filled, key=lambda o: o[0].get("text", "")), start=1):
        assert outs[0]["output_type"] == "stream" and outs[0]["text"] == f"n = {i}\n", outs
        assert outs[1]["output_type"] == "display_data" and outs[1]["data"]["text/plain"] == "*" * i, outs


def test_captured_interact_output_is_sent_back_by_nbclient():
    cell = """m := widgets.NewIntSlider("m", 1, 5, 2)
widgets.Interact(func() { fmt.Println("m =", m.Value()) }, m)"""
    # Short timeout: this pattern can lose the reply (see above); the cell then
    # ends when the timeout fires, without an error. Only the sends are checked.
    client, sends, _ = run([cell], 10)
    assert sends[0] >= 1, "nbclient routed no output into the Interact's Output"
    assert any(o.get("text") == "m = 2\n" for outs in outputs_of(client) for o in outs), outputs_of(client)


def test_moved_slider_redraws_own_output(kernel):
    """In JupyterLab the same cell follows the slider: an update re-runs the
    function, and the new text and display reach the frontend as the
    Output's state (comm_msg updates), whatever message is being served."""
    _, kc = kernel
    reply, outs = execute(kc, IMPORTS)
    assert reply["content"]["status"] == "ok", reply["content"]
    reply, outs = execute(kc, """k := widgets.NewIntSlider("k", 1, 9, 2)
own := widgets.NewOutput()
widgets.Interact(func() {
	own.Clear()
	own.Print(fmt.Sprintf("k = %d\\n", k.Value()))
	own.Show(strings.Repeat("#", k.Value()))
}, k)
display.Show(own)""")
    assert reply["content"]["status"] == "ok", reply["content"]
    opens = [m["content"] for m in outs if m["msg_type"] == "comm_open"]
    slider = [c["comm_id"] for c in opens if c["data"]["state"]["_model_name"] == "IntSliderModel"][0]
    # The Output whose state gets outputs (the Interact's own stays empty).
    filled = {m["content"]["comm_id"] for m in outs if m["msg_type"] == "comm_msg"
              and m["content"]["data"].get("state", {}).get("outputs")}
    assert len(filled) == 1, filled
    own = filled.pop()
    mid = send(kc, "comm_msg", {"comm_id": slider, "data": {"method": "update", "state": {"value": 7}, "buffer_paths": []}})
    last = None
    for m in until_idle(kc, mid):
        c = m["content"]
        if m["msg_type"] == "comm_msg" and c["comm_id"] == own and "outputs" in c["data"].get("state", {}):
            last = c["data"]["state"]["outputs"]
        assert m["msg_type"] not in ("stream", "display_data"), m  # nothing routed by msg_id
    assert last is not None and [o["output_type"] for o in last] == ["stream", "display_data"], last
    assert last[0]["text"] == "k = 7\n" and last[1]["data"]["text/plain"] == "#" * 7, last

"""Comms and Jupyter widgets through the real jupyter_client.

The frontend's side of the widget protocol (ipywidgets 8, protocol 2.1) is
played here by hand: comm_msg updates as a dragged slider sends them,
request_states on jupyter.widget.control as a reloaded page sends it.
"""
import time

from conftest import TIMEOUT, execute, stdout


def send(kc, msg_type, content):
    """Send a shell message; return its msg_id."""
    msg = kc.session.msg(msg_type, content)
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def until_idle(kc, msg_id, timeout=TIMEOUT):
    """The iopub messages with msg_id as parent, up to its idle."""
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = kc.get_iopub_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return out
    raise AssertionError("no idle for %s" % msg_id)


def comm_info(kc, target=None):
    content = {} if target is None else {"target_name": target}
    msg_id = send(kc, "comm_info_request", content)
    while True:
        r = kc.get_shell_msg(timeout=TIMEOUT)
        if r["parent_header"].get("msg_id") == msg_id:
            return r["content"]


def update(kc, comm_id, state):
    return send(kc, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": state, "buffer_paths": []}})


def make_slider(kc, observer="fmt.Println(\"v is\", v)"):
    reply, outs = execute(kc, """
s := widgets.NewIntSlider("n", 0, 100, 3)
s.Observe(func(v int) {
	if v == 13 {
		panic("unlucky")
	}
	%s
})
s""" % observer)
    assert reply["content"]["status"] == "ok", reply["content"]
    opens = [m for m in outs if m["msg_type"] == "comm_open"]
    assert len(opens) == 1, [m["msg_type"] for m in outs]
    o = opens[0]["content"]
    assert o["target_name"] == "jupyter.widget"
    assert opens[0]["metadata"] == {"version": "2.1.0"}, opens[0]["metadata"]
    state = o["data"]["state"]
    assert state["_model_name"] == "IntSliderModel" and state["_model_module_version"] == "2.0.0"
    assert state["value"] == 3
    results = [m for m in outs if m["msg_type"] == "execute_result"]
    view = results[0]["content"]["data"]["application/vnd.jupyter.widget-view+json"]
    assert view == {"model_id": o["comm_id"], "version_major": 2, "version_minor": 0}
    assert "IntSlider" in results[0]["content"]["data"]["text/plain"]
    return o["comm_id"]


def test_slider_both_ways(kernel):
    _, kc = kernel
    assert comm_info(kc)["comms"] == {}
    cid = make_slider(kc)
    assert comm_info(kc)["comms"] == {cid: {"target_name": "jupyter.widget"}}
    assert comm_info(kc, "jupyter.widget")["comms"] == {cid: {"target_name": "jupyter.widget"}}
    assert comm_info(kc, "something.else")["comms"] == {}

    mid = update(kc, cid, {"value": 42})
    outs = until_idle(kc, mid)
    types = [m["msg_type"] for m in outs]
    assert types[0] == "status" and outs[0]["content"]["execution_state"] == "busy", types
    echo = [m for m in outs if m["msg_type"] == "comm_msg"]
    assert echo and echo[0]["content"]["data"]["method"] == "echo_update"
    assert echo[0]["content"]["data"]["state"] == {"value": 42}
    assert stdout(outs) == "v is 42\n"

    reply, outs = execute(kc, "s.SetValue(7)\ns.Value()")
    assert reply["content"]["status"] == "ok"
    ups = [m["content"]["data"] for m in outs if m["msg_type"] == "comm_msg"]
    assert {"method": "update", "state": {"value": 7}, "buffer_paths": []} in ups, ups
    assert [m["content"]["data"]["text/plain"] for m in outs if m["msg_type"] == "execute_result"] == ["7"]


def test_bad_input_keeps_working(kernel):
    _, kc = kernel
    cid = make_slider(kc)
    # Unknown comm id, malformed state, a panicking observer: each gets busy
    # and idle, an error the user can read, and nothing stops working.
    for mid in [update(kc, "no-such-comm", {"value": 1}),
                send(kc, "comm_msg", {"data": {}})]:
        assert [m["msg_type"] for m in until_idle(kc, mid)] == ["status", "status"]
    errs = []
    for state in [{"value": "lots"}, {"value": 13}]:
        mid = update(kc, cid, state)
        errs.append("".join(m["content"]["text"] for m in until_idle(kc, mid)
                            if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"))
    assert "bad state" in errs[0] and "value" in errs[0], errs
    assert "panic" in errs[1] and "unlucky" in errs[1], errs
    mid = update(kc, cid, {"value": 5})
    assert stdout(until_idle(kc, mid)) == "v is 5\n"
    reply, outs = execute(kc, "s.Value()")
    assert [m["content"]["data"]["text/plain"] for m in outs if m["msg_type"] == "execute_result"] == ["5"]


def test_control_comm_and_close(kernel):
    _, kc = kernel
    cid = make_slider(kc)
    mid = send(kc, "comm_open", {"comm_id": "ctl-1", "target_name": "jupyter.widget.control", "data": {}})
    until_idle(kc, mid)
    mid = send(kc, "comm_msg", {"comm_id": "ctl-1", "data": {"method": "request_states"}})
    outs = until_idle(kc, mid)
    states = [m["content"]["data"] for m in outs if m["msg_type"] == "comm_msg"]
    assert states and states[0]["method"] == "update_states", states
    st = states[0]["states"][cid]
    assert st["model_name"] == "IntSliderModel" and st["state"]["value"] == 3
    # A comm_open to a target nobody serves is closed at once.
    mid = send(kc, "comm_open", {"comm_id": "x-1", "target_name": "nobody.home", "data": {}})
    closes = [m for m in until_idle(kc, mid) if m["msg_type"] == "comm_close"]
    assert closes and closes[0]["content"]["comm_id"] == "x-1"
    # The frontend closes the widget: it is gone from comm_info.
    mid = send(kc, "comm_close", {"comm_id": cid, "data": {}})
    until_idle(kc, mid)
    assert cid not in comm_info(kc)["comms"]


def test_button_click(kernel):
    _, kc = kernel
    reply, outs = execute(kc, 'b := widgets.NewButton("go")\nb.OnClick(func() { fmt.Println("clicked") })\nb')
    cid = [m for m in outs if m["msg_type"] == "comm_open"][0]["content"]["comm_id"]
    mid = send(kc, "comm_msg", {"comm_id": cid, "data": {"method": "custom", "content": {"event": "click"}}})
    assert stdout(until_idle(kc, mid)) == "clicked\n"


def test_interact_burst(kernel):
    """A burst of 100 updates: runs coalesce, the last value wins, and the
    run's output carries the parent the Output widget captures."""
    _, kc = kernel
    reply, outs = execute(kc, """
n := widgets.NewIntSlider("n", 0, 1000, 0)
it := widgets.NewInteractive(func() {
	time.Sleep(50 * time.Millisecond)
	fmt.Println("n =", n.Value())
}, n)
it""")
    assert reply["content"]["status"] == "ok", reply["content"]
    opens = {m["content"]["data"]["state"]["_model_name"]: m["content"]["comm_id"]
             for m in outs if m["msg_type"] == "comm_open"}
    cid, out_id = opens["IntSliderModel"], opens["OutputModel"]
    ids = [update(kc, cid, {"value": v}) for v in range(1, 101)]
    # Read iopub until the last update's idle.
    seen, capture, last = [], None, None
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["msg_type"] == "status" and m["parent_header"].get("msg_id") == ids[-1] \
                and m["content"]["execution_state"] == "idle":
            break
        c = m["content"]
        if m["msg_type"] == "comm_msg" and c["comm_id"] == out_id and "msg_id" in c["data"].get("state", {}):
            capture = c["data"]["state"]["msg_id"] or capture
        if m["msg_type"] == "stream":
            seen.append((m["parent_header"].get("msg_id"), c["text"]))
            last = c["text"]
    assert last is not None and "n = 100" in last, seen[-3:]
    # The last run printed while the last update was served (before its
    # idle: JupyterLab routes output to an Output widget only then), under
    # the msg_id the Output was set to.
    assert seen[-1][0] == capture == ids[-1], (seen[-1], capture, ids[-1])
    reply, outs = execute(kc, "it.Wait(20 * time.Second)\nit.Runs()")
    runs = int([m["content"]["data"]["text/plain"] for m in outs if m["msg_type"] == "execute_result"][0])
    assert 2 <= runs <= 50, runs

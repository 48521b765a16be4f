"""End-to-end tests of the Jupyter debugger (debug_request, debug_reply,
debug_event) with the real jupyter_client, sending what JupyterLab 4's
debugger sends: initialize, attach, debugInfo, dumpCell, setBreakpoints,
configurationDone, then a cell that calls a func with a breakpoint, and the
stopped thread's stackTrace, scopes, variables, stepping and continue, and
the variables explorer (inspectVariables, richInspectVariables)."""
import time

from ipykernel.compiler import murmur2_x86

from conftest import TIMEOUT, execute

DEF = "func f(n int) int {\n\tx := n * 2\n\tx++\n\treturn x\n}"


class DAP:
    """A debug client on one kernel, as JupyterLab's DebuggerSession."""

    def __init__(self, kc):
        self.kc = kc
        self.seq = 0
        self.events = []

    def request(self, command, arguments=None):
        self.seq += 1
        msg = self.kc.session.msg("debug_request", {
            "type": "request", "seq": self.seq, "command": command, "arguments": arguments or {}})
        self.kc.control_channel.send(msg)
        while True:
            reply = self.kc.get_control_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                break
        assert reply["msg_type"] == "debug_reply"
        c = reply["content"]
        assert c["type"] == "response" and c["command"] == command and c["request_seq"] == self.seq, c
        return c

    def ok(self, command, arguments=None):
        c = self.request(command, arguments)
        assert c["success"], c
        return c.get("body", {})

    def event(self, name, **match):
        """The next debug_event called name (with body fields match)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name and all(e["body"].get(k) == v for k, v in match.items()):
                    del self.events[:i + 1]
                    return e["body"]
            assert time.monotonic() < deadline, f"no {name} event; saw {self.events}"
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["msg_type"] == "debug_event":
                self.events.append(msg["content"])

    def start(self):
        self.ok("debugInfo")
        self.ok("initialize", {"clientID": "jupyterlab", "adapterID": "gokernel", "pathFormat": "path",
                               "linesStartAt1": True, "columnsStartAt1": True, "supportsVariableType": True})
        self.ok("attach")
        return self.ok("debugInfo")

    def breakpoints(self, code, *lines):
        path = self.ok("dumpCell", {"code": code})["sourcePath"]
        body = self.ok("setBreakpoints", {"source": {"path": path},
                                          "breakpoints": [{"line": n} for n in lines], "sourceModified": False})
        assert [b["line"] for b in body["breakpoints"]] == list(lines)
        return path


def shell_reply(kc, msg_id):
    while True:
        r = kc.get_shell_msg(timeout=TIMEOUT)
        if r["parent_header"].get("msg_id") == msg_id:
            return r


def locals_of(dap, frame_id):
    scopes = dap.ok("scopes", {"frameId": frame_id})["scopes"]
    names = [s["name"] for s in scopes]
    assert "Locals" in names and "Globals" in names, names
    ref = scopes[names.index("Locals")]["variablesReference"]
    return {v["name"]: v["value"] for v in dap.ok("variables", {"variablesReference": ref})["variables"]}


def test_kernel_info_and_spec_say_debugger(kernel):
    km, kc = kernel
    kc.kernel_info()
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    assert reply["content"]["debugger"] is True
    assert km.kernel_spec.metadata.get("debugger") is True


def test_debug_info_and_dump_cell_paths(kernel):
    _, kc = kernel
    dap = DAP(kc)
    info = dap.start()
    assert info["isStarted"] is True
    assert info["hashMethod"] == "Murmur2"
    assert info["tmpFileSuffix"] == ".go"
    for key in ("hashSeed", "tmpFilePrefix", "breakpoints", "stoppedThreads", "richRendering", "exceptionPaths"):
        assert key in info, key
    code = 'fmt.Println("héllo")\n'
    path = dap.ok("dumpCell", {"code": code})["sourcePath"]
    # The path JupyterLab computes from the cell's code (hash.ts, as ipykernel's compiler).
    assert path == info["tmpFilePrefix"] + str(murmur2_x86(code, info["hashSeed"])) + info["tmpFileSuffix"]
    assert dap.ok("source", {"source": {"path": path}})["content"] == code
    dap.breakpoints(code, 1)
    info = dap.ok("debugInfo")
    assert info["breakpoints"] == [{"source": path, "breakpoints": [{"line": 1}]}]
    dap.ok("disconnect", {"restart": False, "terminateDebuggee": False})
    assert dap.ok("debugInfo")["isStarted"] is False


def test_breakpoint_in_earlier_cell_stack_step_continue_explorer(kernel):
    km, kc = kernel
    dap = DAP(kc)
    dap.start()
    path = dap.breakpoints(DEF, 3)
    dap.ok("setExceptionBreakpoints", {"filters": []})
    dap.ok("configurationDone")
    reply, _ = execute(kc, DEF)
    assert reply["content"]["status"] == "ok"
    reply, _ = execute(kc, "total := 1")
    assert reply["content"]["status"] == "ok"

    call = kc.execute("r := f(20)\nr")
    stop = dap.event("stopped")
    assert stop["reason"] == "breakpoint"
    thread = stop["threadId"]
    assert thread in dap.ok("debugInfo")["stoppedThreads"]
    assert thread in [t["id"] for t in dap.ok("threads")["threads"]]

    frames = dap.ok("stackTrace", {"threadId": thread})["stackFrames"]
    top = frames[0]
    assert top["name"] == "f"  # the user's name, not an internal version
    assert top["line"] == 3 and top["source"]["path"] == path
    assert locals_of(dap, top["id"]) == {"n": "20", "x": "40"}
    assert dap.ok("evaluate", {"expression": "x", "frameId": top["id"], "context": "watch"})["result"] == "40"

    # Paused, not dead: heartbeat and control requests are answered.
    assert km.is_alive()
    msg = kc.session.msg("kernel_info_request", {})
    kc.control_channel.send(msg)
    r = kc.get_control_msg(timeout=TIMEOUT)
    assert r["msg_type"] == "kernel_info_reply"
    # The variables explorer works while stopped: the session's variables.
    explorer = {v["name"]: v["value"] for v in dap.ok("inspectVariables")["variables"]}
    assert explorer.get("total") == "1"

    dap.ok("next", {"threadId": thread})
    stop = dap.event("stopped", reason="step")
    top = dap.ok("stackTrace", {"threadId": stop["threadId"]})["stackFrames"][0]
    assert top["name"] == "f" and top["line"] == 4
    assert locals_of(dap, top["id"])["x"] == "41"

    dap.ok("continue", {"threadId": thread})
    r = shell_reply(kc, call)
    assert r["content"]["status"] == "ok"

    explorer = {v["name"]: v for v in dap.ok("inspectVariables")["variables"]}
    assert explorer["r"]["value"] == "41" and explorer["r"]["type"] == "int"
    rich = dap.ok("richInspectVariables", {"variableName": "r"})
    assert rich["data"]["text/plain"] == "41"
    assert dap.ok("debugInfo")["stoppedThreads"] == []

    # Breakpoints cleared: the cell runs through.
    dap.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": []})
    reply, _ = execute(kc, "f(1)")
    assert reply["content"]["status"] == "ok"


def test_interrupt_while_stopped_ends_the_cell(kernel):
    km, kc = kernel
    dap = DAP(kc)
    dap.start()
    code = "y := 1\ny++\ny++"
    dap.breakpoints(code, 2)
    dap.ok("configurationDone")
    call = kc.execute(code)
    dap.event("stopped", reason="breakpoint")
    km.interrupt_kernel()
    r = shell_reply(kc, call)
    assert r["content"]["status"] == "error"
    assert r["content"]["ename"] == "Interrupted"
    assert dap.ok("debugInfo")["stoppedThreads"] == []
    reply, _ = execute(kc, "40 + 2")
    assert reply["content"]["status"] == "ok"


def test_pause_a_running_cell_and_copy_to_globals(kernel):
    _, kc = kernel
    dap = DAP(kc)
    dap.start()
    dap.ok("configurationDone")
    reply, _ = execute(kc, "keep := 0")
    assert reply["content"]["status"] == "ok"
    # Cells run under yaegi's debugger only while some cell has a breakpoint.
    call = kc.execute("for j := 0; j < 3e5; j++ {\n}")
    time.sleep(0.1)
    refused = dap.request("pause", {"threadId": 1})
    assert refused["success"] is False and "breakpoint" in refused["message"]
    assert shell_reply(kc, call)["content"]["status"] == "ok"
    # A breakpoint elsewhere does not put the loop under the debugger
    # (it cannot reach it); one on a line of the loop's cell that never
    # runs does.
    dap.breakpoints("other := 1", 1)
    loop = "n := 0\nfor i := 0; i < 1e12; i++ {\n\tn = i\n\tif i < 0 {\n\t\tn = 0\n\t}\n}"
    dap.breakpoints(loop, 5)
    call = kc.execute(loop)
    time.sleep(0.3)
    dap.ok("pause", {"threadId": 1})
    stop = dap.event("stopped", reason="pause")
    top = dap.ok("stackTrace", {"threadId": stop["threadId"]})["stackFrames"][0]
    assert top["line"] in (2, 3, 4)
    dap.ok("copyToGlobals", {"srcVariableName": "i", "dstVariableName": "keep", "srcFrameId": top["id"]})
    bad = dap.request("copyToGlobals", {"srcVariableName": "i", "dstVariableName": "nosuch", "srcFrameId": top["id"]})
    assert bad["success"] is False and "nosuch" in bad["message"]
    kc.control_channel.send(kc.session.msg("interrupt_request", {}))
    r = shell_reply(kc, call)
    assert r["content"]["ename"] == "Interrupted"
    reply, out = execute(kc, "keep > 0")
    assert [m["content"]["data"]["text/plain"] for m in out if m["msg_type"] == "execute_result"] == ["true"]


GOROUTINES = """var wg sync.WaitGroup
for i := 0; i < 2; i++ {
	wg.Add(1)
	go func(k int) {
		defer wg.Done()
		v := k * 10
		_ = v
	}(i)
}
wg.Wait()
finished := true"""


def test_goroutines_are_threads(kernel):
    """Each goroutine a cell starts stops at a breakpoint as a thread of its
    own, named by its go statement, with its own stack, continued alone."""
    _, kc = kernel
    dap = DAP(kc)
    dap.start()
    dap.breakpoints(GOROUTINES, 6)
    dap.ok("configurationDone")
    call = kc.execute(GOROUTINES)
    threads = set()
    while len(threads) < 2:
        stop = dap.event("stopped", reason="breakpoint")
        assert stop["threadId"] != 1 and stop["threadId"] not in threads, stop
        threads.add(stop["threadId"])
    names = {t["id"]: t["name"] for t in dap.ok("threads")["threads"]}
    assert names[1] == "cell"
    ks = set()
    for t in threads:
        assert names[t].startswith(f"goroutine {t} (In[") and names[t].endswith(" line 4)"), names
        top = dap.ok("stackTrace", {"threadId": t})["stackFrames"][0]
        assert top["line"] == 6
        ks.add(locals_of(dap, top["id"])["k"])
    assert ks == {"0", "1"}
    assert sorted(dap.ok("debugInfo")["stoppedThreads"]) == sorted(threads)
    first, second = sorted(threads)
    dap.ok("continue", {"threadId": first})
    # The other goroutine is still stopped where it was.
    assert dap.ok("stackTrace", {"threadId": second})["stackFrames"][0]["line"] == 6
    dap.ok("next", {"threadId": second})
    stop = dap.event("stopped", reason="step", threadId=second)
    assert dap.ok("stackTrace", {"threadId": second})["stackFrames"][0]["line"] == 7
    dap.ok("continue", {"threadId": second})
    r = shell_reply(kc, call)
    assert r["content"]["status"] == "ok"
    dap.ok("setBreakpoints", {"source": {"path": dap.ok("dumpCell", {"code": GOROUTINES})["sourcePath"]}, "breakpoints": []})


WORKER = "func worker(wg *sync.WaitGroup, out *int) {\n\tdefer wg.Done()\n\tv := 21\n\t*out = v * 2\n}"
WAIT = "var wg sync.WaitGroup\nres := 0\nwg.Add(1)\ngo worker(&wg, &res)\nwg.Wait()"


def test_goroutine_stops_after_its_file_ends(kernel):
    """The idiom `go worker(&wg); wg.Wait()`: a cell's last line is a file of
    its own, so the goroutine reaches its breakpoint after the file with the
    go statement has ended. It stops there, named by its go statement, and
    the cell ends once it is continued."""
    _, kc = kernel
    execute(kc, 'import "sync"')
    execute(kc, WORKER)
    dap = DAP(kc)
    dap.start()
    dap.breakpoints(WORKER, 4)
    dap.ok("configurationDone")
    for _ in range(3):
        call = kc.execute(WAIT)
        stop = dap.event("stopped", reason="breakpoint")
        t = stop["threadId"]
        assert t != 1, stop
        names = {th["id"]: th["name"] for th in dap.ok("threads")["threads"]}
        assert names[t].startswith(f"goroutine {t} (In[") and names[t].endswith(" line 4)"), names
        top = dap.ok("stackTrace", {"threadId": t})["stackFrames"][0]
        assert (top["name"], top["line"]) == ("worker", 4), top
        assert locals_of(dap, top["id"])["v"] == "21"
        dap.ok("continue", {"threadId": t})
        r = shell_reply(kc, call)
        assert r["content"]["status"] == "ok", r["content"]
    out = execute(kc, "res")
    assert "42" in str(out), out
    dap.ok("setBreakpoints", {"source": {"path": dap.ok("dumpCell", {"code": WORKER})["sourcePath"]}, "breakpoints": []})

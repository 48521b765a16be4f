#!/usr/bin/env python3
"""Side-by-side figures for gokernel and ipykernel, measured in one run.

    python kernel/benchmarks/kernelbench.py [--go gokernel] [--py python3] [--runs 200]

Both kernels must be installed as kernelspecs (go run ./install; ipykernel's
is `python3`). Prints, for each kernel and as a ratio gokernel/ipykernel:
cold start to the first kernel_info_reply, start to the first cell's idle,
a trivial cell's round trip from execute_request to execute_reply (p50, p99), 100,000 printed lines until idle
(with the lines and stream messages received), and the idle RSS of the
kernel and its children. Targets from issue 2 are checked and printed.
Last, two floors for the round trip, measured with the same client: a bare
ZeroMQ echo (no kernel at all), and nullkernel, gokernel's own protocol layer
serving an evaluator that does no work (built from kernel/benchmarks/nullkernel
with the go command). No gokernel can be faster than the second.
This is a script, not a test: timings on a shared machine are noisy.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from queue import Empty

import zmq

from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_client.kernelspec import KernelSpecManager

PROGRAMS = {
    "go": {"trivial": "1", "lines": "for i := 0; i < 100000; i++ {\n\tfmt.Println(i)\n}", "warm": "fmt.Sprint(1)"},
    "python": {"trivial": "1", "lines": "for i in range(100000):\n    print(i)", "warm": "str(1)"},
}


def rss_kib(pid):
    """RSS of pid and all its descendants, in KiB, from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_cell(kc, code, timeout=120):
    """Execute code; return (seconds to idle, lines of stdout, stream messages)."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    text, streams = [], 0
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t = msg["msg_type"]
        if t == "stream":
            streams += 1
            text.append(msg["content"]["text"])
        elif t == "error":
            raise RuntimeError("cell failed: %s" % msg["content"]["evalue"])
        elif t == "status" and msg["content"]["execution_state"] == "idle":
            elapsed = time.perf_counter() - t0
            kc.get_shell_msg(timeout=timeout)  # the execute_reply
            return elapsed, "".join(text).count("\n"), streams


def round_trip(kc, code, timeout=60):
    """execute_request to execute_reply, in seconds, on a plain blocking
    ZeroMQ socket with jupyter_client's Session doing the signing (the
    asyncio machinery of BlockingKernelClient would add its own ~0.5 ms to
    every figure); IOPub is drained after the timing."""
    sock = round_trip.socks.get(id(kc))
    if sock is None:
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(f"tcp://{kc.ip}:{kc.shell_port}")
        round_trip.socks[id(kc)] = sock
    session = kc.session
    msg = session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                          "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    t0 = time.perf_counter()
    session.send(sock, msg)
    if not sock.poll(timeout * 1000):
        raise TimeoutError("no execute_reply")
    _, frames = session.feed_identities(sock.recv_multipart(copy=True), copy=True)
    elapsed = time.perf_counter() - t0
    reply = session.deserialize(frames)
    assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"] and reply["content"]["status"] == "ok", reply["content"]
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        if (m["parent_header"].get("msg_id") == msg["header"]["msg_id"] and m["msg_type"] == "status"
                and m["content"]["execution_state"] == "idle"):
            return elapsed


round_trip.socks = {}


def measure(kernel_name, lang, runs, argv=None):
    """Launch the kernel as Jupyter would (its kernelspec argv, or the argv
    given, and a fresh connection file), but without KernelManager's own
    start-up work, so the start-up figures are the kernel's, not
    jupyter_client's."""
    env = dict(os.environ)
    if argv is None:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
        argv = spec.argv
        env.update(spec.env or {})
    tmp = tempfile.mkdtemp(prefix="kernelbench-")
    cf = os.path.join(tmp, "kernel.json")
    write_connection_file(cf, ip="127.0.0.1", key=uuid.uuid4().hex.encode(), kernel_name=kernel_name)
    argv = [a.replace("{connection_file}", cf) for a in argv]
    if argv[0] in ("python", "python3"):  # as KernelManager does: this Python, with ipykernel
        argv[0] = sys.executable
    # ZeroMQ retries a refused connection every 100 ms by default, which
    # would hide any start-up faster than that; retry every millisecond.
    ctx = zmq.Context()
    ctx.setsockopt(zmq.RECONNECT_IVL, 1)
    kc = BlockingKernelClient(connection_file=cf, context=ctx)
    kc.load_connection_file()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc.start_channels()
    try:
        kc.kernel_info()  # queued by ZeroMQ until the kernel binds
        kc.get_shell_msg(timeout=60)
        t_info = time.perf_counter() - t0
        # IOPub is PUB/SUB: messages sent before the subscription is in place
        # are lost. As jupyter_client's wait_for_ready does, ask again until
        # a status message arrives, so the cells below see all their output.
        while True:
            mid = kc.kernel_info()
            kc.get_shell_msg(timeout=60)
            try:
                while True:
                    m = kc.get_iopub_msg(timeout=0.2)
                    if (m["parent_header"].get("msg_id") == mid and m["msg_type"] == "status"
                            and m["content"]["execution_state"] == "idle"):
                        break
                break
            except Empty:
                pass
        # The first cell's idle, measured from the start too.
        run_cell(kc, PROGRAMS[lang]["warm"])
        t_first = time.perf_counter() - t0
        for _ in range(10):
            round_trip(kc, PROGRAMS[lang]["trivial"])
        rts = sorted(round_trip(kc, PROGRAMS[lang]["trivial"]) for _ in range(runs))
        p50 = statistics.median(rts)
        p99 = rts[min(len(rts) - 1, int(round(0.99 * (len(rts) - 1))))]
        time.sleep(0.5)
        rss = rss_kib(proc.pid)
        lines_t, lines_n, streams = run_cell(kc, PROGRAMS[lang]["lines"])
        return {
            "start→kernel_info_reply": t_info,
            "start→first cell idle": t_first,
            "round trip p50": p50,
            "round trip p99": p99,
            "100,000 lines → idle": lines_t,
            "lines received": lines_n,
            "stream messages": streams,
            "idle RSS (MiB)": rss / 1024,
        }
    finally:
        try:
            kc.shutdown()
            proc.wait(timeout=10)
        except Exception:
            proc.kill()
            proc.wait()
        kc.stop_channels()
        shutil.rmtree(tmp, ignore_errors=True)


def fmt(key, v):
    if key in ("lines received", "stream messages"):
        return f"{v:d}"
    if "RSS" in key:
        return f"{v:.1f}"
    return f"{v * 1000:.2f} ms" if v < 1 else f"{v:.3f} s"


ECHO = """
import sys, zmq
s = zmq.Context().socket(zmq.ROUTER)
port = s.bind_to_random_port("tcp://127.0.0.1")
print(port, flush=True)
while True:
    s.send_multipart(s.recv_multipart())
"""


def client_floor(runs):
    """The round trip of this client against a ZeroMQ echo (libzmq on both
    sides, no kernel work at all): the least any kernel could score here.
    The request is a signed execute_request, as in round_trip."""
    from jupyter_client.session import Session
    proc = subprocess.Popen([sys.executable, "-c", ECHO], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(f"tcp://127.0.0.1:{port}")
        session = Session(key=uuid.uuid4().hex.encode())
        rts = []
        for i in range(runs + 10):
            msg = session.msg("execute_request", {"code": "1", "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
            t0 = time.perf_counter()
            session.send(sock, msg)
            if not sock.poll(10000):
                raise TimeoutError("no echo")
            session.feed_identities(sock.recv_multipart(copy=True), copy=True)
            if i >= 10:
                rts.append(time.perf_counter() - t0)
        sock.close()
        return statistics.median(rts)
    finally:
        proc.kill()
        proc.wait()


def null_kernel(runs):
    """Round trip p50 and p99 of nullkernel: the kernel package with an
    evaluator that does nothing, so every microsecond is protocol."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tmp = tempfile.mkdtemp(prefix="nullkernel-")
    try:
        exe = os.path.join(tmp, "nullkernel")
        subprocess.run(["go", "build", "-o", exe, "./kernel/benchmarks/nullkernel"], cwd=root, check=True)
        r = measure("nullkernel", "go", runs, argv=[exe, "-f", "{connection_file}"])
        return r["round trip p50"], r["round trip p99"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--go", default=os.environ.get("GOKERNEL_KERNEL_NAME", "gokernel"))
    ap.add_argument("--py", default="python3")
    ap.add_argument("--runs", type=int, default=200)
    a = ap.parse_args()
    go = measure(a.go, "go", a.runs)
    py = measure(a.py, "python", a.runs)
    targets = {  # key: (max ratio go/py, description)
        "start→kernel_info_reply": (0.1, "≤ 1/10"),
        "start→first cell idle": (0.1, "≤ 1/10"),
        "round trip p50": (0.05, "≤ 1/20"),
        "100,000 lines → idle": (1.0, "≤ 1"),
        "idle RSS (MiB)": (0.5, "≤ 1/2"),
    }
    print(f"{'measure':26} {'gokernel':>12} {'ipykernel':>12} {'ratio':>8}  target")
    ok = True
    for k in go:
        ratio = go[k] / py[k] if py[k] else float("nan")
        t = targets.get(k)
        verdict = ""
        if t:
            passed = ratio <= t[0]
            ok &= passed
            verdict = f"{t[1]:6} {'PASS' if passed else 'FAIL'}"
        if k == "stream messages":
            passed = go[k] <= 50
            ok &= passed
            verdict = f"≤ 50 msgs {'PASS' if passed else 'FAIL'}"
        if k == "lines received":
            passed = go[k] == 100000
            ok &= passed
            verdict = f"all     {'PASS' if passed else 'FAIL'}"
        print(f"{k:26} {fmt(k, go[k]):>12} {fmt(k, py[k]):>12} {ratio:8.3f}  {verdict}")
    floor = client_floor(a.runs)
    null50, null99 = null_kernel(a.runs)
    budget = py["round trip p50"] / 20
    print(f"\nround trip floors, same client (the 1/20 target is {budget * 1e3:.2f} ms):")
    print(f"  ZeroMQ echo, no kernel at all:            p50 {floor * 1e3:.2f} ms ({floor / budget:.0%} of the target)")
    print(f"  nullkernel, gokernel's protocol, no eval: p50 {null50 * 1e3:.2f} ms ({null50 / budget:.0%} of the target),"
          f" p99 {null99 * 1e3:.2f} ms")
    print(f"  gokernel:                                 p50 {go['round trip p50'] * 1e3:.2f} ms, of which evaluation "
          f"(worker process and interpreter) {(go['round trip p50'] - null50) * 1e3:.2f} ms")
    print(f"above the echo, gokernel takes {(go['round trip p50'] - floor) * 1e3:.2f} ms "
          f"and ipykernel {(py['round trip p50'] - floor) * 1e3:.2f} ms "
          f"(ratio {(go['round trip p50'] - floor) / (py['round trip p50'] - floor):.3f}).")
    print("all targets met" if ok else "some targets missed")


if __name__ == "__main__":
    main()

"""End-to-end hardening tests of gokernel with the real jupyter_client
(issue 13): hostile ZMTP handshakes, the launcher dying, replayed messages,
user_expressions, silent, shell requests on control, signature schemes,
`name?` help and a 100 MB result."""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import pytest
import zmq
from jupyter_client import BlockingKernelClient, KernelManager
from jupyter_client.connect import write_connection_file
from jupyter_client.kernelspec import KernelSpecManager

from conftest import KERNEL_NAME, TIMEOUT, execute, stdout


# --- ZMTP handshakes -------------------------------------------------------

def greeting(major=3, mechanism=b"NULL", as_server=0, sig=(0xFF, 0x7F)):
    g = bytearray(64)
    g[0], g[9], g[10], g[11] = sig[0], sig[1], major, 0
    g[12:12 + len(mechanism)] = mechanism
    g[32] = as_server
    return bytes(g)


def prop(name, value):
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def frame(flags, body):
    if len(body) > 255:
        return bytes([flags | 0x02]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def command(body):
    return frame(0x04, body)


def ready(*props):
    return b"\x05READY" + b"".join(props)


G = greeting()
BAD_HANDSHAKES = {
    "no Socket-Type": G + command(ready(prop(b"Identity", b"x"))),
    "empty Socket-Type": G + command(ready(prop(b"Socket-Type", b""))),
    "unknown Socket-Type": G + command(ready(prop(b"Socket-Type", b"BOGUS"))),
    "lower-case Socket-Type": G + command(ready(prop(b"Socket-Type", b"dealer"))),
    "Socket-Type twice": G + command(ready(prop(b"Socket-Type", b"DEALER"), prop(b"Socket-Type", b"DEALER"))),
    "incompatible Socket-Type": G + command(ready(prop(b"Socket-Type", b"PUB"))),
    "1 MiB command": G + command(ready(prop(b"Socket-Type", b"DEALER"), prop(b"X-Pad", b"x" * (1 << 20)))),
    "command claiming 2^63 bytes": G + b"\x06\x7f\xff\xff\xff\xff\xff\xff\xff",
    "property longer than the command": G + command(ready() + b"\x0bSocket-Type\xff\xff\xff\xff"),
    "property name past the end": G + command(ready() + b"\xc8a"),
    "identity of 300 bytes": G + command(ready(prop(b"Socket-Type", b"DEALER"), prop(b"Identity", b"i" * 300))),
    "empty command": G + command(b""),
    "ERROR instead of READY": G + command(b"\x05ERROR" + prop(b"Error-Reason", b"no")),
    "message before READY": G + frame(0, b"hello"),
    "bad signature": greeting(sig=(0, 0x7F)),
    "ZMTP 2": greeting(major=2),
    "PLAIN mechanism": greeting(mechanism=b"PLAIN"),
    "as-server 7": greeting(as_server=7),
    "HTTP request": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"x" * 64,
    "short greeting": G[:20],
}


def send_raw(host, port, data):
    """Connect, send data, half-close, and read until the kernel hangs up."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:  # the kernel may hang up before reading it all
            pass
        s.settimeout(TIMEOUT)
        try:
            while s.recv(65536):
                pass
        except ConnectionResetError:
            pass


@pytest.mark.parametrize("name", sorted(BAD_HANDSHAKES))
def test_bad_handshake_is_refused_and_kernel_serves(kernel, name):
    km, kc = kernel
    for port in (km.shell_port, km.control_port, km.iopub_port, km.hb_port):
        send_raw(km.ip, port, BAD_HANDSHAKES[name])
    assert km.is_alive(), f"kernel died after {name!r}"
    reply = kc.kernel_info(reply=True, timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    r, outputs = execute(kc, 'fmt.Println("still here")')
    assert r["content"]["status"] == "ok"
    assert stdout(outputs) == "still here\n"


def test_all_bad_handshakes_in_a_row(kernel):
    km, kc = kernel
    for data in BAD_HANDSHAKES.values():
        send_raw(km.ip, km.shell_port, data)
    assert km.is_alive()
    assert kc.kernel_info(reply=True, timeout=TIMEOUT)["content"]["status"] == "ok"


# --- the launcher dies ----------------------------------------------------

def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d))
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


LAUNCHER = r"""
import os, subprocess, sys, time
log = open(sys.argv[1], "w")
env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
p = subprocess.Popen(sys.argv[2:], env=env, stdout=log, stderr=log)
print(p.pid, flush=True)
time.sleep(1000)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the process table from /proc")
def test_kernel_and_worker_exit_when_launcher_dies(tmp_path):
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    cf, info = write_connection_file(str(tmp_path / "kernel.json"), key=b"secret-key")
    argv = [a.replace("{connection_file}", cf) for a in spec.argv]
    log = tmp_path / "kernel.log"
    env = dict(os.environ, **(spec.env or {}))
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(log)] + argv,
                                stdout=subprocess.PIPE, env=env)
    kernel_pid = int(launcher.stdout.readline())
    kc = BlockingKernelClient()
    kc.load_connection_file(cf)
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        r, outputs = execute(kc, 'fmt.Println("up")')
        assert stdout(outputs) == "up\n"
        workers = children(kernel_pid)
        assert workers, "no worker process under the kernel"
    finally:
        kc.stop_channels()
    launcher.kill()
    launcher.wait()
    deadline = time.monotonic() + TIMEOUT  # a hang guard, not a speed test
    left = [kernel_pid] + workers
    while time.monotonic() < deadline:
        left = [p for p in [kernel_pid] + workers if alive(p)]
        if not left:
            break
        time.sleep(0.05)
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, f"processes left after the launcher died: {left}\n{log.read_text()}"
    assert "exited: shutting down the kernel and its worker" in log.read_text()


# --- protocol gaps ---------------------------------------------------------

def test_replayed_message_is_refused(kernel):
    km, kc = kernel
    execute(kc, "n := 0")
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"{km.transport}://{km.ip}:{km.shell_port}")
    try:
        msg = kc.session.msg("execute_request", {
            "code": "n++", "silent": False, "store_history": True,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        frames = kc.session.serialize(msg)
        for _ in range(3):
            sock.send_multipart(frames)
        good = kc.session.msg("kernel_info_request", {})
        sock.send_multipart(kc.session.serialize(good))
        parents = []
        deadline = time.monotonic() + TIMEOUT
        while good["header"]["msg_id"] not in parents:
            assert time.monotonic() < deadline, "no reply to the fresh request"
            if sock.poll(1000):
                _, reply = kc.session.feed_identities(sock.recv_multipart())
                parents.append(kc.session.deserialize(reply)["parent_header"]["msg_id"])
        assert parents.count(msg["header"]["msg_id"]) == 1
    finally:
        sock.close()
    r, outputs = execute(kc, "fmt.Println(n)")
    assert stdout(outputs) == "1\n", "the replayed cell ran again"


def test_user_expressions_and_payload(kernel):
    km, kc = kernel
    r, _ = execute(kc, "x := 21", user_expressions={"double": "x * 2", "oops": "nosuch + 1"})
    c = r["content"]
    assert c["status"] == "ok"
    assert c["payload"] == []
    assert c["user_expressions"]["double"]["status"] == "ok"
    assert c["user_expressions"]["double"]["data"]["text/plain"] == "42"
    assert c["user_expressions"]["oops"]["status"] == "error"
    assert "nosuch" in c["user_expressions"]["oops"]["evalue"]
    count = c["execution_count"]
    r, _ = execute(kc, "x")
    assert r["content"]["execution_count"] == count + 1
    r, _ = execute(kc, "undefinedThing")
    assert r["content"]["status"] == "error"
    assert r["content"]["user_expressions"] == {} and r["content"]["payload"] == []


def test_silent_broadcasts_nothing(kernel):
    km, kc = kernel
    for code in ('fmt.Println("hidden")', "6 * 7", "nosuch()"):
        r, outputs = execute(kc, code, silent=True)
        assert [m["msg_type"] for m in outputs] == ["status", "status"], (code, outputs)


def test_shell_requests_on_control(kernel):
    km, kc = kernel
    requests = [
        ("execute_request", {"code": "y := 5", "silent": False, "store_history": True,
                             "user_expressions": {"y": "y"}, "allow_stdin": False, "stop_on_error": True}),
        ("complete_request", {"code": "fmt.Pri", "cursor_pos": 7}),
        ("inspect_request", {"code": "fmt.Println", "cursor_pos": 5, "detail_level": 0}),
        ("is_complete_request", {"code": "func f() {"}),
        ("history_request", {"hist_access_type": "tail", "n": 3, "output": False, "raw": True}),
    ]
    for msg_type, content in requests:
        msg = kc.session.msg(msg_type, content)
        kc.control_channel.send(msg)
        reply = kc.get_control_msg(timeout=TIMEOUT)
        assert reply["parent_header"]["msg_id"] == msg["header"]["msg_id"], msg_type
        assert reply["msg_type"] == msg_type.replace("_request", "_reply")
        assert reply["content"]["status"] in ("ok", "incomplete"), reply["content"]
        if msg_type == "execute_request":
            assert reply["content"]["user_expressions"]["y"]["data"]["text/plain"] == "5"
        if msg_type == "complete_request":
            assert "Println" in reply["content"]["matches"]


@pytest.mark.parametrize("scheme", ["hmac-sha512", "hmac-sha384", "hmac-sha1", "hmac-md5", "hmac-sha256"])
def test_signature_scheme(scheme):
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.session.signature_scheme = scheme
    km.start_kernel()
    try:
        with open(km.connection_file) as f:
            assert json.load(f)["signature_scheme"] == scheme
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=TIMEOUT)
            r, outputs = execute(kc, 'fmt.Println("signed")')
            assert r["content"]["status"] == "ok"
            assert stdout(outputs) == "signed\n"
        finally:
            kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)


def test_help_syntax_shows_docs(kernel):
    km, kc = kernel
    tab = kc.inspect("fmt.Println", 5, 0, reply=True, timeout=TIMEOUT)["content"]
    assert tab["found"]
    for code, detail in (("fmt.Println?", 0), ("fmt.Println??", 1), ("?strings.Repeat", 0)):
        r, outputs = execute(kc, code)
        c = r["content"]
        assert c["status"] == "ok", c
        pages = [p for p in c["payload"] if p["source"] == "page"]
        assert len(pages) == 1, c["payload"]
        name = code.strip("?")
        want = kc.inspect(name, len(name), detail, reply=True, timeout=TIMEOUT)["content"]["data"]
        assert pages[0]["data"]["text/plain"] == want["text/plain"]
        assert not [m for m in outputs if m["msg_type"] == "error"]
    r, outputs = execute(kc, "nosuchname?")
    assert r["content"]["status"] == "ok"
    assert stdout(outputs) == "Object `nosuchname` not found.\n"


def test_100mb_result(kernel):
    """A 100 MB result arrives whole, or fails with an error that names the
    limit; the kernel keeps working either way."""
    km, kc = kernel
    r, outputs = execute(kc, 'strings.Repeat("x", 100<<20)', timeout=120)
    if r["content"]["status"] == "ok":
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        assert len(results) == 1
        assert len(results[0]["content"]["data"]["text/plain"]) >= 100 << 20
    else:
        assert "MiB" in r["content"]["evalue"] or "MB" in r["content"]["evalue"], r["content"]
    r, outputs = execute(kc, 'fmt.Println("after")')
    assert stdout(outputs) == "after\n"

"""End-to-end robustness tests of gokernel with the real jupyter_client and
pyzmq: signatures, heartbeat under load, many requests, many clients,
interrupt."""
import hashlib
import hmac
import json
import threading
import time
import uuid

import pytest
import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.session import Session

from conftest import TIMEOUT, execute, stdout


def _frames(key, msg_type, content):
    """A request's wire frames, signed with key (b"" = unsigned)."""
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "e2e",
              "session": uuid.uuid4().hex, "date": "2024-01-01T00:00:00.000000Z", "version": "5.4"}
    parts = [json.dumps(p).encode() for p in (header, {}, {}, content)]
    sig = hmac.new(key, b"".join(parts), hashlib.sha256).hexdigest().encode() if key else b""
    return header["msg_id"], [b"<IDS|MSG>", sig] + parts


def _dealer(ctx, km, port):
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"{km.transport}://{km.ip}:{port}")
    return sock


def test_bad_signature_gets_no_reply(kernel):
    """A message signed with the wrong key (or not at all) is dropped: no
    reply and no status; a correctly signed one sent after it is answered."""
    km, kc = kernel
    ctx = zmq.Context.instance()
    for port in (km.shell_port, km.control_port):
        sock = _dealer(ctx, km, port)
        try:
            for bad_key in (b"wrong key", b""):
                bad_id, frames = _frames(bad_key, "kernel_info_request", {})
                sock.send_multipart(frames)
                good_id, frames = _frames(km.session.key, "kernel_info_request", {})
                sock.send_multipart(frames)
                # Requests on one socket are served in order: once the good
                # one is answered, a reply to the bad one would have come.
                got = []
                deadline = time.monotonic() + TIMEOUT
                while good_id not in got:
                    assert time.monotonic() < deadline, "no reply to a good request"
                    if sock.poll(1000):
                        msg = sock.recv_multipart()
                        parent = json.loads(msg[msg.index(b"<IDS|MSG>") + 3])
                        got.append(parent.get("msg_id"))
                assert bad_id not in got
        finally:
            sock.close()
    # And no IOPub traffic names the bad request.
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=0.5)
        except Exception:
            break
        assert msg["parent_header"].get("msg_id") != bad_id


def test_heartbeat_answers_during_long_cell(kernel):
    km, kc = kernel
    msg_id = kc.execute("time.Sleep(5*time.Second)")
    ctx = zmq.Context.instance()
    hb = ctx.socket(zmq.REQ)
    hb.linger = 0
    hb.connect(f"{km.transport}://{km.ip}:{km.hb_port}")
    try:
        time.sleep(0.5)  # the cell is running now
        for i in range(5):
            payload = f"ping {i}".encode()
            hb.send(payload)
            assert hb.poll(2000), "no heartbeat while a cell runs"
            assert hb.recv() == payload
            # kernel_info on control is answered too, before the cell ends.
        control = kc.control_channel
        info_id = kc.kernel_info()  # on shell: queued behind the cell
        ci = kc.session.msg("kernel_info_request", {})
        control.send(ci)
        reply = kc.get_control_msg(timeout=4)
        assert reply["msg_type"] == "kernel_info_reply"
        assert reply["parent_header"]["msg_id"] == ci["header"]["msg_id"]
        r = kc.get_shell_msg(timeout=TIMEOUT)
        assert r["parent_header"]["msg_id"] == msg_id
        assert r["content"]["status"] == "ok"
        assert kc.get_shell_msg(timeout=TIMEOUT)["parent_header"]["msg_id"] == info_id
    finally:
        hb.close()


def test_2000_rapid_requests_answered_in_order(kernel):
    km, kc = kernel
    execute(kc, "n := 0")
    ids = [kc.execute(f"n += {i}", store_history=False) for i in range(2000)]
    replies = [kc.get_shell_msg(timeout=TIMEOUT) for _ in ids]
    assert [r["parent_header"]["msg_id"] for r in replies] == ids
    assert all(r["content"]["status"] == "ok" for r in replies)
    reply, outputs = execute(kc, "fmt.Println(n)")
    assert stdout(outputs).strip() == str(sum(range(2000)))


def test_20_clients_at_once(kernel):
    km, kc = kernel
    info = km.get_connection_info()
    errors = []

    def client(i):
        try:
            c = BlockingKernelClient()
            c.load_connection_info(info)
            c.session = Session(key=km.session.key)  # own session, same key
            c.start_channels()
            try:
                c.wait_for_ready(timeout=TIMEOUT)
                msg_id = c.execute(f"fmt.Println({i} * 2)")
                while True:
                    r = c.get_shell_msg(timeout=TIMEOUT)
                    if r["parent_header"]["msg_id"] == msg_id:
                        break
                assert r["content"]["status"] == "ok", r["content"]
                text = ""
                while True:
                    m = c.get_iopub_msg(timeout=TIMEOUT)
                    if m["parent_header"].get("msg_id") != msg_id:
                        continue
                    if m["msg_type"] == "stream":
                        text += m["content"]["text"]
                    if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                        break
                assert text.strip() == str(i * 2), text
            finally:
                c.stop_channels()
        except Exception as e:  # reported below, with the client number
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 3)
    assert not errors, errors


def test_interrupt_stops_busy_loop_and_keeps_state(kernel):
    km, kc = kernel
    reply, _ = execute(kc, "kept := 41")
    assert reply["content"]["status"] == "ok"
    msg_id = kc.execute("for {}")
    time.sleep(1)  # let it spin
    km.interrupt_kernel()  # interrupt_mode "message": interrupt_request on control
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"
    reply, outputs = execute(kc, "fmt.Println(kept + 1)")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stdout(outputs).strip() == "42"


def test_stdin_round_trip(kernel):
    km, kc = kernel
    msg_id = kc.execute('var name string\nfmt.Scanln(&name)\nfmt.Println("hi", name)', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=TIMEOUT)
    assert req["msg_type"] == "input_request"
    kc.input("gopher")
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "ok", reply["content"]

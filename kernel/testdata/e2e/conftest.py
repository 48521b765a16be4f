"""Shared set-up for gokernel's end-to-end tests with the real jupyter_client.

The kernel under test is the kernelspec named by $GOKERNEL_KERNEL_NAME
(default "gokernel"), installed as the README says. Run from the repository
root:

    python -m pytest kernel/testdata/e2e

Go ignores folders named testdata, so these files never bother `go test`.
"""
import os

import pytest
from jupyter_client.manager import start_new_kernel

KERNEL_NAME = os.environ.get("GOKERNEL_KERNEL_NAME", "gokernel")
TIMEOUT = 30  # seconds; bounds every wait so a broken kernel fails, never hangs


@pytest.fixture
def kernel():
    """A fresh kernel and a started blocking client, shut down afterwards."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def execute(kc, code, timeout=TIMEOUT, **kw):
    """Run code; return (reply, iopub messages of this request up to idle)."""
    msg_id = kc.execute(code, **kw)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        outputs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply, outputs


def stdout(outputs):
    return "".join(m["content"]["text"] for m in outputs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")

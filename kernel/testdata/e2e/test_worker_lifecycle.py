"""End-to-end tests of the interpreter process's life with the real
jupyter_client: no process a cell started outlives a shutdown or a restart
(looked up in the process table with psutil), and a worker that loses one
of its pipes is restarted with a truthful message."""
import time

import psutil
import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, TIMEOUT, execute, stdout

# A cell that starts processes three ways and prints their pids: one in the
# interpreter's process group, one in a session of its own (setsid), and the
# workers of a pool of the concurrency lab's subprocess model.
START_PROCESSES = """
import (
	"fmt"
	"os/exec"

	"github.com/gokernel/gokernel/interp/subprocess"
)

sleeper := exec.Command("sleep", "1000")
sleeper.Start()
escaper := exec.Command("setsid", "sleep", "1000")
escaper.Start()
pool, _ := subprocess.NewPool(2)
pool.Map(func(x int) int { return x * x }, []int{1, 2, 3})
fmt.Println("pids", sleeper.Process.Pid, escaper.Process.Pid, subprocess.Live())
"""


def _kernel_tree(km):
    """The kernel process and every process below it."""
    kernel = psutil.Process(km.provisioner.process.pid)
    return [kernel] + kernel.children(recursive=True)


def _start(km, kc):
    """Run START_PROCESSES; return every pid it and the kernel started."""
    reply, outputs = execute(kc, START_PROCESSES)
    assert reply["content"]["status"] == "ok", reply["content"]
    text = stdout(outputs)
    assert text.startswith("pids "), text
    fields = text.replace("[", " ").replace("]", " ").split()[1:]
    cell_pids = [int(f) for f in fields]
    assert len(cell_pids) >= 4, f"expected 2 sleepers and 2 pool workers, got {text!r}"
    tree = {p.pid for p in _kernel_tree(km)}
    # The setsid'd sleeper is still found below the kernel: the interpreter
    # is a subreaper.
    return tree | set(cell_pids)


def _alive(pids):
    left = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            if p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{pid} {p.name()} {p.cmdline()[:3]}")
        except psutil.NoSuchProcess:
            pass
    return left


def _wait_gone(pids):
    """The processes still alive once they all ended, or after a hang guard."""
    deadline = time.monotonic() + TIMEOUT
    left = _alive(pids)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _alive(pids)
    return left


@pytest.mark.parametrize("now", [True, False])
def test_shutdown_leaves_no_process(now):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT)
    try:
        pids = _start(km, kc)
        assert not _wait_gone([]), "nothing to wait for"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=now)
    assert _wait_gone(pids) == []


@pytest.mark.parametrize("now", [True, False])
def test_restart_leaves_no_process(now):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT)
    try:
        pids = _start(km, kc)
        km.restart_kernel(now=now)
        kc.wait_for_ready(timeout=TIMEOUT)
        assert _wait_gone(pids) == []
        # The new kernel works.
        reply, outputs = execute(kc, 'import "fmt"\nfmt.Println("after")')
        assert reply["content"]["status"] == "ok", reply["content"]
        assert stdout(outputs) == "after\n"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

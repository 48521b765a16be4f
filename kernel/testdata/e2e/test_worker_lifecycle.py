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


def _run(kc, code, timeout=TIMEOUT):
    reply, outputs = execute(kc, code, timeout=timeout)
    stderr = "".join(m["content"]["text"] for m in outputs
                     if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    return reply["content"], stdout(outputs), stderr


PID = 'import ("fmt"; "os")\nfmt.Println(os.Getpid())'


def test_closing_small_descriptors_is_harmless(kernel):
    """fd 3 to 7 were the worker's pipes; they are placeholders now."""
    _, kc = kernel
    _, pid, _ = _run(kc, PID + '\nkeep := 42')
    for fd in range(3, 8):
        reply, _, _ = _run(kc, f'os.NewFile({fd}, "x").Close()')
        assert reply["status"] == "ok", reply
    reply, out, _ = _run(kc, 'fmt.Println(keep, os.Getpid())')
    assert reply["status"] == "ok", reply
    assert out == f"42 {pid.strip()}\n"


def test_closed_stdout_is_reopened(kernel):
    _, kc = kernel
    _run(kc, PID + '\nkeep := 42')
    reply, _, err = _run(kc, 'os.NewFile(1, "x").Close()')
    assert reply["status"] == "ok", reply
    assert "closed fd 1" in err and "reopened" in err, err
    reply, out, _ = _run(kc, 'fmt.Println("still", keep)')
    assert out == "still 42\n", (reply, out)


def test_closed_pipe_restarts_and_says_so(kernel):
    _, kc = kernel
    _, pid, _ = _run(kc, PID + '\nkeep := 42')
    # Where the interpreter moved its pipes (worker.highFD and up). Closing
    # everything from 3 up would also close the Go runtime's epoll
    # descriptor, which is fatal ("netpoll failed": said as such).
    reply, _, _ = _run(kc, 'for fd := 56; fd < 64; fd++ { os.NewFile(uintptr(fd), "x").Close() }')
    assert reply["status"] == "error"
    assert reply["ename"] == "KernelDied", reply
    assert "lost its pipe" in reply["evalue"] and "a cell closed it" in reply["evalue"], reply["evalue"]
    assert "perhaps out of memory" not in reply["evalue"]
    reply, out, _ = _run(kc, PID)
    assert reply["status"] == "ok", reply
    assert out != pid, "a new interpreter"


def test_large_cell_and_value(kernel):
    """100 MB through the kernel<->interpreter pipe both ways (ipykernel has
    no limit; the old one was 64 MiB)."""
    _, kc = kernel
    n = 100 << 20
    reply, out, _ = _run(kc, 'import "fmt"\nx := "' + "a" * n + '"\nfmt.Println(len(x))', timeout=120)
    assert reply["status"] == "ok", reply
    assert out == f"{n}\n"
    reply, outputs = execute(kc, 'import "strings"\nstrings.Repeat("b", 100<<20)', timeout=120)
    assert reply["content"]["status"] == "ok", reply["content"]
    # (Whether the 100 MB execute_result then reaches this client is the
    # kernel's iopub policy for slow subscribers, not tested here.)


def test_memory_limit():
    import os
    env = dict(os.environ, GOKERNEL_MEMORY_LIMIT="256MiB")
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT, env=env)
    try:
        _, pid, _ = _run(kc, PID + '\nkeep := 42')
        # A cell that keeps growing, a mebibyte a millisecond at most: the watchdog (every 20 ms)
        # interrupts it well before the hard limit. (Flat out, a loop can allocate the 256 MiB between
        # the two limits faster than an interrupt lands on a machine thrashing in GC; that case, and
        # one allocation past both, is the hard stop below.)
        reply, _, _ = _run(kc, 'import "time"\nvar hog [][]byte\nfor { hog = append(hog, make([]byte, 1<<20)); time.Sleep(time.Millisecond) }')
        assert reply["status"] == "error" and reply["ename"] == "MemoryLimit", reply
        assert "more than the 256 MiB memory limit" in reply["evalue"] and "is kept" in reply["evalue"]
        reply, out, _ = _run(kc, 'fmt.Println(keep, os.Getpid())')
        assert out == f"42 {pid.strip()}\n", (reply, out)
        # One allocation far past the limit: the interpreter is ended.
        reply, _, _ = _run(kc, 'big := make([]byte, 4<<30)\nbig[0] = 1')
        assert reply["status"] == "error" and reply["ename"] == "MemoryLimit", reply
        assert "256 MiB memory limit" in reply["evalue"] and "is lost" in reply["evalue"], reply["evalue"]
        reply, out, _ = _run(kc, PID)
        assert reply["status"] == "ok" and out != pid, (reply, out)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

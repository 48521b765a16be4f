"""End-to-end tests of blocking cells with the real jupyter_client: every
blocking form a cell can reach ends with an interrupt and keeps the
notebook's state; a deadlock is reported without one; goroutines a cell
leaves behind are noted; runaway recursion is an error, not a crash."""
import time

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, TIMEOUT, execute, stdout


@pytest.fixture(scope="module")
def shared():
    """One kernel for the module: each test leaves its state usable."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT)
    try:
        reply, _ = execute(kc, 'import ("net"; "sync"; "time")\nkeep := 42\nch := make(chan int)\n'
                               'ln, _ := net.Listen("tcp", "127.0.0.1:0")')
        assert reply["content"]["status"] == "ok", reply["content"]
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def stderr(outputs):
    return "".join(m["content"]["text"] for m in outputs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")


def error(outputs):
    for m in outputs:
        if m["msg_type"] == "error":
            return m["content"]
    return None


BLOCKING = {
    "receive": "v := <-ch",
    "receive comma ok": "func recvOK(in <-chan int) (int, bool) {\n\tx, ok := <-in\n\treturn x, ok\n}\nrecvOK(ch)",
    "receive as an argument": "fmt.Println(<-ch)",
    "send": "ch <- 1",
    "select": "select {\ncase v := <-ch:\n\tfmt.Println(v)\ncase <-time.After(time.Hour):\n}",
    "range": "for v := range ch {\n\tfmt.Println(v)\n}",
    "mutex": "var mu sync.Mutex\nmu.Lock()\nmu.Lock()",
    "rwmutex": "var rw sync.RWMutex\nrw.RLock()\nrw.Lock()",
    "waitgroup": "var wg sync.WaitGroup\nwg.Add(1)\nwg.Wait()",
    "cond": "var m sync.Mutex\nc := sync.NewCond(&m)\nm.Lock()\nc.Wait()",
    "sleep": "time.Sleep(time.Hour)",
    "accept": "conn, _ := ln.Accept()",
    "command": 'import "os/exec"\nexec.Command("sleep", "300").Run()',
    "command's pipe": 'import "os/exec"\nout, _ := exec.Command("sh", "-c", "sleep 300; echo late").Output()',
    "pipe read": "pr, pw, _ := os.Pipe()\nbuf := make([]byte, 8)\npr.Read(buf)",
    "pipe write": "qr, qw, _ := os.Pipe()\nqw.Write(make([]byte, 1<<20))",
    "goroutines": "for i := 0; i < 3; i++ {\n\tgo func() { ch <- i }()\n}\nselect {}",
}


@pytest.mark.parametrize("form", sorted(BLOCKING))
def test_interrupt_each_blocking_form_keeps_state(shared, form):
    km, kc = shared
    # Deadlocks must not end these cells before the interrupt does.
    reply, _ = execute(kc, "goleak.SetDeadlockAfter(0)")
    assert reply["content"]["status"] == "ok", reply["content"]
    msg_id = kc.execute(BLOCKING[form])
    time.sleep(0.5)
    t0 = time.monotonic()
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    elapsed = time.monotonic() - t0
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted", reply["content"]
    assert "cannot be stopped" not in reply["content"]["evalue"], reply["content"]
    print(f"{form}: interrupted in {elapsed:.3f} s")
    reply, outputs = execute(kc, "goleak.SetDeadlockAfter(time.Second)\nfmt.Println(keep)")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stdout(outputs).strip() == "42"


def test_deadlock_is_reported_and_state_kept(shared):
    km, kc = shared
    reply, outputs = execute(kc, "done := make(chan bool)\n<-done")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Deadlock", reply["content"]
    text = reply["content"]["evalue"]
    assert text.startswith("all goroutines are asleep - deadlock!"), text
    assert "the cell  waits at In[" in text and "line 2: receive on done" in text, text
    reply, outputs = execute(kc, "fmt.Println(keep)")
    assert stdout(outputs).strip() == "42"


def test_deadlock_lists_every_goroutine(shared):
    km, kc = shared
    code = ("results := make(chan int)\n"
            "go func() { results <- 1 }()\n"
            "go func() { results <- 2 }()\n"
            "var wg sync.WaitGroup\n"
            "wg.Add(3)\n"
            "wg.Wait()")
    reply, outputs = execute(kc, code)
    assert reply["content"]["ename"] == "Deadlock", reply["content"]
    text = reply["content"]["evalue"]
    assert "line 6: wg.Wait()" in text, text
    assert text.count("line 2: send on results") + text.count("line 3: send on results") == 2, text
    assert "goroutine started at In[" in text, text


def test_leaked_goroutines_are_noted(shared):
    km, kc = shared
    reply, outputs = execute(kc, "leak := make(chan int)\ngo func() { <-leak }()\ngo func() { <-leak }()")
    assert reply["content"]["status"] == "ok", reply["content"]
    note = stderr(outputs)
    assert "2 goroutines started by this cell are still running" in note, outputs
    assert "line 2, In[" in note and "all blocked" in note, note
    reply, outputs = execute(kc, "goleak.List()")
    assert reply["content"]["status"] == "ok"
    reply, outputs = execute(kc, "fmt.Println(goleak.StopAll() >= 2)")
    assert stdout(outputs).strip() == "true"


def test_runaway_recursion_is_an_error(shared):
    km, kc = shared
    t0 = time.monotonic()
    reply, outputs = execute(kc, "func rec(n int) int { return rec(n+1) + 1 }\nrec(0)")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "RecursionError", reply["content"]
    assert "maximum call depth exceeded in rec (line 1:" in reply["content"]["evalue"], reply["content"]
    print(f"recursion error in {time.monotonic() - t0:.3f} s")
    reply, outputs = execute(kc, "fmt.Println(keep)")
    assert stdout(outputs).strip() == "42"


def test_interrupt_while_reading_stdin_keeps_state(shared):
    """A cell blocked reading os.Stdin (an input_request nobody answers)
    ends with the interrupt, as input() does in ipykernel."""
    km, kc = shared
    msg_id = kc.execute('import ("bufio"; "os")\nline, _ := bufio.NewReader(os.Stdin).ReadString(\'\\n\')', allow_stdin=True)
    req = kc.get_stdin_msg(timeout=TIMEOUT)
    assert req["msg_type"] == "input_request"
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted", reply["content"]
    reply, outputs = execute(kc, "fmt.Println(keep)")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stdout(outputs).strip() == "42"

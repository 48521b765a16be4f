// Package kernel serves the Jupyter messaging protocol over ZeroMQ for an
// Evaluator, the only thing it knows about the language.
//
//	info, err := kernel.ReadConnectionFile(path) // the {connection_file} Jupyter passes
//	if err != nil { ... }
//	k, err := kernel.New(info, ev, kernel.Options{Version: version})
//	if err != nil { ... } // e.g. `kernel: could not bind shell socket on tcp://127.0.0.1:5555: ...`
//	defer k.Close()
//	go func() { for range sigint { k.Interrupt() } }()
//	restart, err := k.Run(ctx) // returns on shutdown_request or when ctx is done
//
// # Sockets and goroutines
//
// Shell, control, stdin, iopub and heartbeat each have their own
// goroutines, so heartbeat, kernel_info_request, interrupt_request and
// shutdown_request on control are answered while a cell runs. Requests on
// shell are served one at a time, in order. IOPub messages are signed
// and sent by a goroutine of their own, in the order they were made, so a
// request's reply does not wait behind its busy, execute_input and
// execute_result messages. The sockets are built on
// zmq4's ZMTP connections with a bounded queue per client: a client that
// stops reading loses its own messages, never anyone else's (see zmtp.go
// for why zmq4's PUB socket is not used).
//
// # What the kernel owns
//
// Message signing and checking (a message with a bad signature is dropped
// and logged, never answered), execution_count, status busy/idle around
// every request with the request as parent, execute_input, execute_result
// from the Bundle Execute returns, error output and execute_reply from its
// error (ename and traceback through an optional Name/Traceback method
// pair, found with errors.As), stop_on_error (requests queued behind a
// failed cell are answered "aborted"), silent and store_history, history,
// interrupt (cancelling the context passed to Execute) and stdin
// (Publisher.Input sends input_request). Stream output is coalesced: see
// publisher.go.
package kernel

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
// shell are served one at a time, in order. Requests that touch the
// Evaluator (execute, complete, inspect, ...) may come on control too, as
// the spec allows: they are answered on control, served by the shell
// goroutine between its own requests. IOPub messages are signed
// and sent by a goroutine of their own, in the order they were made, so a
// request's reply does not wait behind its busy, execute_input and
// execute_result messages. The sockets are built on
// zmq4's ZMTP connections with a bounded queue per client: a client that
// stops reading loses its own messages, never anyone else's (see zmtp.go
// for why zmq4's PUB socket is not used). A peer's ZMTP greeting and READY
// command are checked (wire.CheckGreeting, wire.CheckReady) before zmq4
// reads them: a bad handshake costs that connection, with a log line,
// never the kernel.
//
// # Untrusted input
//
// Anyone who can reach a port may connect. Handshakes are checked as
// above; incoming frames are bounded (Options.MaxFrameSize,
// GOKERNEL_MAX_FRAME_MB, 256 MiB by default) and outgoing messages are not,
// as with ipykernel. Messages are signed with the connection file's key
// and signature_scheme (hmac-sha256, -sha512, -sha384, -sha224, -sha1,
// -md5); a message whose signature is bad, or was already served (the last
// 65,536 are remembered, as jupyter_client's Session does), is dropped with
// a log line and never answered.
//
// # What the kernel owns
//
// Message signing and checking (a message with a bad signature is dropped
// and logged, never answered), execution_count, status busy/idle around
// every request with the request as parent, execute_input, execute_result
// from the Bundle Execute returns, error output and execute_reply from its
// error (ename and traceback through an optional Name/Traceback method
// pair, found with errors.As), stop_on_error (requests queued behind a
// failed cell are answered "aborted"), silent (nothing but status on
// iopub) and store_history, user_expressions (evaluated after the cell,
// without output or a count; an Evaluator may implement
// EvaluateExpression to do it its own way), IPython's `name?` and `name??`
// (Inspect's docs as a page payload), history,
// interrupt (cancelling the context passed to Execute) and stdin
// (Publisher.Input sends input_request). Stream output is coalesced: see
// publisher.go.
package kernel

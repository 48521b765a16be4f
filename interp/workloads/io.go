package workloads

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

// A Server is a local HTTP server on 127.0.0.1 (a random port) standing in
// for the articles' example.com and httpbin.org/delay/N, so no lesson needs
// the internet:
//
//	GET /              a small HTML page
//	GET /delay/{s}     the same after s seconds (a float, at most 60)
//	GET /bytes/{n}     n bytes (at most 16 MiB)
type Server struct {
	URL string // http://127.0.0.1:PORT

	srv    *http.Server
	ln     net.Listener
	served chan struct{}
	stop   chan struct{}
	once   sync.Once
}

// Page is what GET / serves.
const Page = "<!doctype html><html><head><title>Example Domain</title></head>" +
	"<body><h1>Example Domain</h1><p>This page is served by the lesson itself, on loopback.</p></body></html>\n"

// StartServer starts a server; Close it when done.
func StartServer() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("workloads: could not listen on loopback: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, served: make(chan struct{}), stop: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.page)
	mux.HandleFunc("/delay/", s.delay)
	mux.HandleFunc("/bytes/", s.bytes)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { // net/http recovers handler panics; Serve itself does not panic
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, Page)
}

func (s *Server) delay(w http.ResponseWriter, r *http.Request) {
	sec, err := strconv.ParseFloat(strings.TrimPrefix(r.URL.Path, "/delay/"), 64)
	if err != nil || sec < 0 || sec > 60 {
		http.Error(w, "workloads: /delay/{seconds} wants a number from 0 to 60", http.StatusBadRequest)
		return
	}
	t := time.NewTimer(time.Duration(sec * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	case <-s.stop:
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, Page)
}

func (s *Server) bytes(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/bytes/"))
	if err != nil || n < 0 || n > 16<<20 {
		http.Error(w, "workloads: /bytes/{n} wants a count up to 16 MiB", http.StatusBadRequest)
		return
	}
	w.Write(make([]byte, n))
}

// Close stops the server, ends pending /delay requests and waits until its
// goroutines have returned. Closing twice is harmless.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.srv.Shutdown(ctx)
		if err != nil {
			err = s.srv.Close()
		}
		<-s.served
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	})
	return err
}

var client = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}

// fetchTimeout bounds a whole Fetch, as client's Timeout bounds FetchBody.
const fetchTimeout = 2 * time.Minute

// Fetch GETs url (http only) and returns the body's length, as the
// articles' I/O task (urllib.request.urlopen(url).read()) does.
//
// Like CPython, it releases the GIL at each blocking system call and takes
// it back after: resolving the host name, creating the socket, connecting,
// writing the request, each read from the socket and closing it (each is
// an rt.Blocking). Next to a
// CPU-bound thread every re-take waits for the holder to drop the GIL, up
// to a switch interval, so a request there is slowed by several intervals,
// as CPython's are (+10-22 ms per request at 5 ms), and not once for the
// whole request. The request is made on the calling goroutine for that
// reason (net/http's client reads on goroutines of its own, outside any
// emulated thread).
func Fetch(url string) (int, error) {
	n, err := fetch(url)
	if err != nil {
		return n, fmt.Errorf("workloads: fetch %s: %w", url, err)
	}
	return n, nil
}

func fetch(rawURL string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, err
	}
	if req.URL.Scheme != "http" {
		return 0, fmt.Errorf("only http:// URLs are supported, not %q", req.URL.Scheme)
	}
	req.Close = true // Connection: close, as urllib sends
	req.Header.Set("User-Agent", "gokernel-workloads")
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		port = "80"
	}
	deadline := time.Now().Add(fetchTimeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var addrs []string
	blocking(func() { addrs, err = net.DefaultResolver.LookupHost(ctx, host) }) // getaddrinfo
	if err != nil {
		return 0, err
	}
	var bc blockConn
	if pn, perr := strconv.Atoi(port); perr == nil {
		var ok bool
		if bc, ok, err = dialBlocking(addrs[0], pn, deadline); ok && err != nil {
			return 0, err
		}
	}
	if bc == nil { // not an address dialBlocking takes, or not Linux: package net
		var c net.Conn
		blocking(func() {
			var d net.Dialer
			c, err = d.DialContext(ctx, "tcp", net.JoinHostPort(addrs[0], port)) // connect
		})
		if err != nil {
			return 0, err
		}
		c.SetDeadline(deadline)
		bc = blockingConn{c}
	}
	defer bc.Close()
	if err := req.Write(bc); err != nil { // one write: Request.Write buffers and flushes once
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(bc, 8192), req) // recv, 8 KiB at a time as http.client's
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return int(n), err
	}
	if resp.StatusCode != http.StatusOK {
		return int(n), errors.New(resp.Status)
	}
	return int(n), nil
}

// blocking runs f as one blocking call: an emulated GIL thread releases the
// GIL for it (Py_BEGIN_ALLOW_THREADS ... Py_END_ALLOW_THREADS).
func blocking(f func()) {
	done := rt.Blocking()
	defer done()
	f()
}

// A blockConn is a connection whose Read and Write are blocking calls.
type blockConn interface {
	io.ReadWriteCloser
}

// eof is io.EOF (a name sock_linux.go can use without importing io).
var eof = io.EOF

// A blockingConn makes each Read and Write on a net.Conn a blocking call.
type blockingConn struct{ net.Conn }

func (c blockingConn) Read(p []byte) (n int, err error) {
	blocking(func() { n, err = c.Conn.Read(p) })
	return n, err
}

func (c blockingConn) Write(p []byte) (n int, err error) {
	blocking(func() { n, err = c.Conn.Write(p) })
	return n, err
}

// FetchBody GETs url and returns the body. Unlike Fetch it is not a
// blocking call for the GIL (no rt.Blocking): use it off any emulated
// thread, e.g. inside eventloop's Task.IO.
func FetchBody(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, fmt.Errorf("workloads: fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("workloads: fetch %s: %s", url, resp.Status)
	}
	return b, err
}

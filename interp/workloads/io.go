package workloads

import (
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

// Fetch GETs url and returns the body's length, as the articles' I/O task
// does. The request is a blocking call (rt.Blocking): an emulated GIL thread
// releases the GIL while it waits.
func Fetch(url string) (int, error) {
	defer rt.Blocking()()
	resp, err := client.Get(url)
	if err != nil {
		return 0, fmt.Errorf("workloads: fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return int(n), fmt.Errorf("workloads: fetch %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return int(n), fmt.Errorf("workloads: fetch %s: %s", url, resp.Status)
	}
	return int(n), nil
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

package eventloop

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

var client = &http.Client{Timeout: 2 * time.Minute}

// fetch is a GET done in one go, off the loop (https, or a URL get cannot
// split into steps).
func fetch(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, fmt.Errorf("eventloop: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	return readBody(url, resp)
}

func readBody(url string, resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return b, fmt.Errorf("eventloop: GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("eventloop: GET %s: %s", url, resp.Status)
	}
	return b, nil
}

// get fetches a plain-http URL the way asyncio's streams (and aiohttp) do:
// three steps, each taken only when the loop gets to the task. The
// connection is opened off the loop; the task, resumed on the loop, sends
// the request; then it waits off the loop for the answer. So a task that
// hogs the loop delays the request itself, not just the reading of its
// answer: in CPython a download started alongside a CPU-bound job on the
// loop reaches the server only after that job ends, and a model that sent
// it at once would hide the cost of blocking the loop.
func (t *Task) get(url string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil || req.URL.Scheme != "http" {
		v, err := t.IO("GET "+url, func() (any, error) { return fetch(url) })
		b, _ := v.([]byte)
		return b, err
	}
	host := req.URL.Host
	if req.URL.Port() == "" {
		host = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	v, err := t.IO("connect "+host, func() (any, error) {
		return net.DialTimeout("tcp", host, 2*time.Minute)
	})
	if err != nil {
		return nil, fmt.Errorf("eventloop: GET %s: %w", url, err)
	}
	conn := v.(net.Conn)
	// On the loop: write the request (a few hundred bytes; the socket's
	// buffer takes them at once, as asyncio's writer.write does).
	req.Close = true
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("eventloop: GET %s: %w", url, err)
	}
	v, err = t.IO("GET "+url, func() (any, error) {
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		resp, err := http.ReadResponse(bufio.NewReader(conn), req)
		if err != nil {
			return nil, fmt.Errorf("eventloop: GET %s: %w", url, err)
		}
		defer resp.Body.Close()
		return readBody(url, resp)
	})
	b, _ := v.([]byte)
	return b, err
}

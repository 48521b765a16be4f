package interp

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

// Blocking network calls release the scheduler (the emulated GIL) while
// they wait, as CPython releases the GIL around I/O.

func httpGet(u string) (*http.Response, error) { defer rt.Blocking()(); return http.Get(u) }

func httpHead(u string) (*http.Response, error) { defer rt.Blocking()(); return http.Head(u) }

func httpPost(u, contentType string, body io.Reader) (*http.Response, error) {
	defer rt.Blocking()()
	return http.Post(u, contentType, body)
}

func httpPostForm(u string, data url.Values) (*http.Response, error) {
	defer rt.Blocking()()
	return http.PostForm(u, data)
}

func netDial(network, address string) (net.Conn, error) {
	defer rt.Blocking()()
	return net.Dial(network, address)
}

func netDialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	defer rt.Blocking()()
	return net.DialTimeout(network, address, timeout)
}

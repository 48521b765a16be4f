package kernel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/go-zeromq/zmq4"
)

// pipeConn is a net.Conn that reads from a buffer.
type pipeConn struct {
	net.Conn
	r io.Reader
}

func (c *pipeConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *pipeConn) Write(b []byte) (int, error) { return len(b), nil }
func (c *pipeConn) Close() error                { return nil }

func frame(flags byte, body []byte) []byte {
	if len(body) > 255 || flags&0x02 != 0 {
		var h [9]byte
		h[0] = flags | 0x02
		binary.BigEndian.PutUint64(h[1:], uint64(len(body)))
		return append(h[:], body...)
	}
	return append([]byte{flags, byte(len(body))}, body...)
}

func TestFrameGuard(t *testing.T) {
	greeting := clientHandshake("DEALER")
	huge := []byte{0x02, 0, 0, 0, 0x10, 0, 0, 0, 0} // 64 GiB claimed
	tests := []struct {
		name    string
		stream  []byte
		wantErr bool
	}{
		{"greeting only", greeting, false},
		{"short and long frames", bytes.Join([][]byte{greeting, frame(0x01, []byte("a")),
			frame(0, bytes.Repeat([]byte("x"), 300)), frame(0, nil)}, nil), false},
		{"huge size", append(append([]byte{}, greeting...), huge...), true},
		{"huge size after frames", bytes.Join([][]byte{greeting, frame(0, bytes.Repeat([]byte("y"), 1000)), huge}, nil), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 7, 4096} { // any read sizes
				g := newFrameGuard(&pipeConn{r: bytes.NewReader(tt.stream)}, zmq4.Router, DefaultMaxFrameSize)
				buf := make([]byte, size)
				var err error
				for err == nil {
					_, err = g.Read(buf)
				}
				if got := errors.Is(err, errFrameTooLarge); got != tt.wantErr {
					t.Errorf("read size %d: err = %v, want too large: %v", size, err, tt.wantErr)
				}
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"6?7", "6*7", true},
		{"6?7", "6*77", false},
		{"*", "anything\nat all", true},
		{"", "x", true},
		{"fmt.*", "fmt.Println(1)", true},
		{"fmt.*", "xfmt.Println(1)", false},
		{"[ab]*", "b := 2", true},
		{"[!ab]*", "b := 2", false},
		{"[a-c]?", "b1", true},
		{"a[", "a[", true},
		{"é?", "éx", true},
		{"(x)", "(x)", true},
	}
	for _, tt := range tests {
		if got := globRegexp(tt.pattern).MatchString(tt.s); got != tt.want {
			t.Errorf("glob %q on %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestCompleteUTF8(t *testing.T) {
	s := []byte("aé世")
	for i := 0; i <= len(s); i++ {
		n := completeUTF8(s[:i])
		if !bytes.Equal(s[:n], bytes.ToValidUTF8(s[:n], nil)) || n < i-3 {
			t.Errorf("prefix %d: kept %d", i, n)
		}
	}
	if n := completeUTF8([]byte("ab\xe4\xb8")); n != 2 {
		t.Errorf("split rune: kept %d, want 2", n)
	}
}

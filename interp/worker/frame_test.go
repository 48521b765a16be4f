package worker

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gokernel/gokernel/kernel/mime"
)

func TestReadFrame(t *testing.T) {
	good, err := encodeFrame(&frame{Op: opDisplay, Cell: 7, Bundle: &mime.Bundle{Data: map[string]any{mime.Text: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	raw := append(rawFrameHeader(9, "stderr", 3), "abc"...)
	for _, tc := range []struct {
		name  string
		in    []byte
		want  string // op, or "" for an error
		isErr error  // errors.Is target, nil for *protocolError
	}{
		{"json", good, opDisplay, nil},
		{"raw", raw, opStream, nil},
		{"eof", nil, "", io.EOF},
		{"truncated header", []byte{0, 0}, "", errTruncated},
		{"truncated body", good[:len(good)-2], "", errTruncated},
		{"zero length", []byte{0, 0, 0, 0}, "", nil},
		{"too long", []byte("garbage!"), "", nil},
		{"bad json", []byte("\x00\x00\x00\x05hello"), "", nil},
		{"no op", []byte("\x00\x00\x00\x02{}"), "", nil},
		{"raw too short", []byte("\x80\x00\x00\x02ab"), "", nil},
		{"raw bad stream", append(rawFrameHeader(1, "stdout", 1)[:12], 9, 'x'), "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := readFrame(bytes.NewReader(tc.in))
			switch {
			case tc.want != "":
				if err != nil || f.Op != tc.want {
					t.Fatalf("got %+v, %v; want op %s", f, err, tc.want)
				}
			case tc.isErr != nil:
				if !errors.Is(err, tc.isErr) {
					t.Fatalf("got %v, want %v", err, tc.isErr)
				}
			default:
				var pe *protocolError
				if !errors.As(err, &pe) {
					t.Fatalf("got %+v, %v; want a protocol error", f, err)
				}
			}
		})
	}
	t.Run("raw fields", func(t *testing.T) {
		f, _ := readFrame(bytes.NewReader(raw))
		if f.Cell != 9 || f.Name != "stderr" || f.Text != "abc" || !f.raw {
			t.Fatalf("got %+v", f)
		}
	})
}

func TestCompleteUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"é", 2},
		{"a\xc3", 1},             // first byte of é
		{"世", 3},                 //
		{"a\xe4\xb8", 1},         // two of the three bytes of 世
		{"\xff", 1},              // invalid, not incomplete: sent as is
		{"a\x80\x80\x80\x80", 5}, // stray continuation bytes
	} {
		if got := completeUTF8([]byte(tc.in)); got != tc.want {
			t.Errorf("completeUTF8(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestTail(t *testing.T) {
	var tl tail
	tl.write("hello\nfatal err")
	tl.write("or: concurrent map writes\n\ngoroutine 1 [running]:\n")
	for i := 0; i < 2000; i++ {
		tl.write("main.f()\n\t/x.go:1 +0x1\n")
	}
	if got := tl.reason(); got != "fatal error: concurrent map writes" {
		t.Fatalf("reason %q", got)
	}
	if ex := tl.excerpt(); !bytes.HasPrefix([]byte(ex), []byte("fatal error: concurrent map writes\n\ngoroutine 1")) {
		t.Fatalf("excerpt %q", ex)
	}
}

func FuzzReadFrame(f *testing.F) {
	good, _ := encodeFrame(&frame{Op: opResult, ID: 1, Err: &wireError{Msg: "x", Rich: true}})
	f.Add(good)
	f.Add(append(rawFrameHeader(1, "stdout", 2), "hi"...))
	f.Add([]byte("garbage!"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			fr, err := readFrame(r)
			if err != nil {
				return
			}
			if fr.Op == "" {
				t.Fatal("frame without op accepted")
			}
		}
	})
}

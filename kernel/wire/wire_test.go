package wire_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/wire"
)

var update = flag.Bool("update", false, "rewrite testdata/encode.golden from the current Encode")

type vector struct {
	Name        string         `json:"name"`
	Key         string         `json:"key"`
	Frames      []string       `json:"frames"`
	Signature   string         `json:"signature"`
	MsgType     string         `json:"msg_type"`
	MsgID       string         `json:"msg_id"`
	ParentMsgID string         `json:"parent_msg_id"`
	Content     map[string]any `json:"content"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Vectors []vector }
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors in testdata/vectors.json")
	}
	return file.Vectors
}

func (v vector) frames(t *testing.T) [][]byte {
	t.Helper()
	fs := make([][]byte, len(v.Frames))
	for i, f := range v.Frames {
		b, err := base64.StdEncoding.DecodeString(f)
		if err != nil {
			t.Fatal(err)
		}
		fs[i] = b
	}
	return fs
}

// TestJupyterClientVectors checks signing and parsing against frames that
// jupyter_client's Session.serialize made (testdata/gen_vectors.py).
func TestJupyterClientVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			frames := v.frames(t)
			key := []byte(v.Key)
			m, err := wire.Decode(key, frames)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if m.Header.MsgType != v.MsgType || m.Header.MsgID != v.MsgID || m.Parent.MsgID != v.ParentMsgID {
				t.Errorf("header %+v parent %+v; want type %q id %q parent %q", m.Header, m.Parent, v.MsgType, v.MsgID, v.ParentMsgID)
			}
			var content map[string]any
			if err := json.Unmarshal(m.Content, &content); err != nil {
				t.Fatal(err)
			}
			if got, want := mustJSON(t, content), mustJSON(t, v.Content); got != want {
				t.Errorf("content %s, want %s", got, want)
			}
			d := len(m.Identities)
			if !bytes.Equal(frames[d], []byte(wire.Delimiter)) {
				t.Fatalf("identities: got %d, delimiter not after them", d)
			}
			sig := wire.Sign(key, frames[d+2], frames[d+3], frames[d+4], frames[d+5])
			if sig != v.Signature || sig != string(frames[d+1]) {
				t.Errorf("Sign = %q, jupyter_client signed %q", sig, v.Signature)
			}
			if got := len(m.Buffers); got != len(frames)-d-6 {
				t.Errorf("%d buffers, want %d", got, len(frames)-d-6)
			}
			// Any change to a signed frame must be caught (unless unsigned).
			if len(key) > 0 {
				bad := append([][]byte(nil), frames...)
				bad[d+5] = append(append([]byte(nil), bad[d+5]...), ' ')
				if _, err := wire.Decode(key, bad); !errors.Is(err, wire.ErrBadSignature) {
					t.Errorf("tampered content: err = %v, want ErrBadSignature", err)
				}
				if _, err := wire.Decode([]byte("other key"), frames); !errors.Is(err, wire.ErrBadSignature) {
					t.Errorf("wrong key: err = %v, want ErrBadSignature", err)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeErrors(t *testing.T) {
	key := []byte("k")
	good := func(content string) [][]byte {
		fs, err := wire.Encode(key, &wire.Message{
			Identities: [][]byte{[]byte("id")},
			Header:     wire.Header{MsgID: "1", MsgType: "kernel_info_request", Version: wire.Version},
			Content:    json.RawMessage(content),
		})
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	signed := func(header, parent, metadata, content string) [][]byte {
		return [][]byte{[]byte(wire.Delimiter), []byte(wire.Sign(key, []byte(header), []byte(parent), []byte(metadata), []byte(content))),
			[]byte(header), []byte(parent), []byte(metadata), []byte(content)}
	}
	tests := []struct {
		name   string
		frames [][]byte
		want   error
	}{
		{"nothing", nil, wire.ErrNoDelimiter},
		{"no delimiter", [][]byte{[]byte("a"), []byte("b")}, wire.ErrNoDelimiter},
		{"short", good("{}")[:5], wire.ErrShort},
		{"missing signature", func() [][]byte { fs := good("{}"); fs[2] = nil; return fs }(), wire.ErrBadSignature},
		{"odd hex", func() [][]byte { fs := good("{}"); fs[2] = fs[2][1:]; return fs }(), wire.ErrBadSignature},
		{"uppercase hex still fails when wrong", func() [][]byte { fs := good("{}"); fs[2] = bytes.Repeat([]byte("A"), 64); return fs }(), wire.ErrBadSignature},
		{"header not JSON", signed("{", "{}", "{}", "{}"), wire.ErrBadJSON},
		{"header wrong type", signed(`{"msg_id": 5}`, "{}", "{}", "{}"), wire.ErrBadJSON},
		{"parent not JSON", signed(`{}`, "[", "{}", "{}"), wire.ErrBadJSON},
		{"metadata array", signed(`{}`, "{}", "[]", "{}"), wire.ErrBadJSON},
		{"content not object", signed(`{}`, "{}", "{}", `"x"`), wire.ErrBadJSON},
		{"content truncated", signed(`{}`, "{}", "{}", `{"a":`), wire.ErrBadJSON},
		{"ok", good(`{"a": 1}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := wire.Decode(key, tt.frames)
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEmptyKeyMeansNoSigning(t *testing.T) {
	fs, err := wire.Encode(nil, &wire.Message{Header: wire.NewHeader("status", "s")})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs[1]) != 0 {
		t.Errorf("signature frame %q, want empty", fs[1])
	}
	fs[1] = []byte("anything")
	if _, err := wire.Decode(nil, fs); err != nil {
		t.Errorf("Decode with empty key checked the signature: %v", err)
	}
}

func TestEncodeRejectsBadContent(t *testing.T) {
	_, err := wire.Encode([]byte("k"), &wire.Message{Content: json.RawMessage("{oops")})
	if !errors.Is(err, wire.ErrBadJSON) {
		t.Errorf("err = %v, want ErrBadJSON", err)
	}
}

// TestEncodeGolden pins the bytes Encode produces (go test -update rewrites them).
func TestEncodeGolden(t *testing.T) {
	m := &wire.Message{
		Identities: [][]byte{[]byte("client")},
		Header:     wire.Header{MsgID: "r-1", Session: "kernel-session", Username: "kernel", Date: "2024-05-01T12:30:45.123456Z", MsgType: "execute_reply", Version: wire.Version},
		Parent:     wire.Header{MsgID: "p-1", Session: "client-session", Username: "u", Date: "2024-05-01T12:30:45.000000Z", MsgType: "execute_request", Version: "5.3"},
		Content:    json.RawMessage(`{"status":"ok","execution_count":7,"user_expressions":{},"payload":[]}`),
		Buffers:    [][]byte{{0, 1, 2}},
	}
	fs, err := wire.Encode([]byte("golden-key"), m)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, f := range fs {
		got.WriteString(strings.ReplaceAll(string(f), "\x00", `\x00`) + "\n")
	}
	path := filepath.Join("testdata", "encode.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got.String() != string(want) {
		t.Errorf("Encode changed:\n%s\nwant:\n%s", got.String(), want)
	}
	back, err := wire.Decode([]byte("golden-key"), fs)
	if err != nil {
		t.Fatal(err)
	}
	if back.Header != m.Header || back.Parent != m.Parent || string(back.Content) != string(m.Content) || len(back.Buffers) != 1 {
		t.Errorf("round trip: %+v", back)
	}
}

// TestJupyterClientAcceptsEncode feeds our frames to jupyter_client's
// Session.deserialize (which checks the signature). It needs a Python with
// jupyter_client: $GOKERNEL_PYTHON, default /tmp/gkvenv/bin/python.
func TestJupyterClientAcceptsEncode(t *testing.T) {
	py := os.Getenv("GOKERNEL_PYTHON")
	if py == "" {
		py = "/tmp/gkvenv/bin/python"
	}
	if _, err := os.Stat(py); err != nil || testing.Short() {
		t.Skip("no Python with jupyter_client ($GOKERNEL_PYTHON)")
	}
	key := "py-check-key"
	fs, err := wire.Encode([]byte(key), &wire.Message{
		Identities: [][]byte{[]byte("id")},
		Header:     wire.NewHeader("execute_result", "sess"),
		Parent:     wire.NewHeader("execute_request", "client"),
		Content:    json.RawMessage(`{"execution_count": 1, "data": {"text/plain": "héllo 世界"}, "metadata": {}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, f := range fs {
		in = append(in, base64.StdEncoding.EncodeToString(f))
	}
	script := `
import base64, json, sys
from jupyter_client.session import Session
frames = [base64.b64decode(f) for f in json.load(sys.stdin)]
s = Session(key=sys.argv[1].encode())
idents, rest = s.feed_identities(frames, copy=True)
m = s.deserialize(rest, content=True)
print(m["header"]["msg_type"], m["parent_header"]["msg_type"], m["content"]["data"]["text/plain"])
`
	cmd := exec.Command(py, "-c", script, key)
	cmd.Stdin = strings.NewReader(mustJSON(t, in))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jupyter_client rejected our frames: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "execute_result execute_request héllo 世界" {
		t.Errorf("jupyter_client read %q", got)
	}
}

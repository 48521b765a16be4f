// Package wire is the Jupyter messaging wire format: message structs, the
// multipart framing and HMAC-SHA256 signing. It opens no sockets, so it can
// be tested against jupyter_client's own output and fuzzed.
//
//	frames, err := wire.Encode(key, &wire.Message{
//		Identities: req.Identities,
//		Header:     wire.NewHeader("kernel_info_reply", session),
//		Parent:     req.Header,
//		Content:    content,
//	})
//	...
//	msg, err := wire.Decode(key, frames) // errors.Is(err, wire.ErrBadSignature)
//
// A message on the wire is
//
//	[identity..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffer...]
//
// where signature is the lowercase hex HMAC-SHA256 of the four JSON frames
// under the connection file's key; an empty key means no signing (the
// signature frame is empty and not checked).
package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Version is the messaging protocol version this package speaks and puts
// in every header it makes.
const Version = "5.4"

// Delimiter separates the routing identities from the message proper.
const Delimiter = "<IDS|MSG>"

// Errors Decode returns (wrapped with detail; test with errors.Is).
var (
	ErrNoDelimiter  = errors.New("wire: no <IDS|MSG> delimiter")
	ErrShort        = errors.New("wire: fewer than the 5 frames a message needs after the delimiter")
	ErrBadSignature = errors.New("wire: bad signature")
	ErrBadJSON      = errors.New("wire: bad JSON")
)

// A Header identifies a message. The same struct is the parent_header of a
// reply (the request's header).
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// NewHeader returns a header for a new message of type msgType from
// session, with a fresh msg_id and the current time.
func NewHeader(msgType, session string) Header {
	return NewHeaderAt(msgType, session, time.Now())
}

// NewHeaderAt is NewHeader for a message made at t.
func NewHeaderAt(msgType, session string, t time.Time) Header {
	return Header{
		MsgID:    uuid.NewString(),
		Session:  session,
		Username: "kernel",
		Date:     t.UTC().Format("2006-01-02T15:04:05.000000Z"),
		MsgType:  msgType,
		Version:  Version,
	}
}

// IsZero reports whether h is the empty header ({} on the wire), as the
// parent of a message that answers nothing.
func (h Header) IsZero() bool { return h == Header{} }

// MarshalJSON writes the zero Header as {} (what jupyter_client sends for
// "no parent") and any other as an object with all six fields.
func (h Header) MarshalJSON() ([]byte, error) {
	if h.IsZero() {
		return []byte("{}"), nil
	}
	type plain Header // no MarshalJSON method: no recursion
	return json.Marshal(plain(h))
}

// A Message is one Jupyter message, decoded.
type Message struct {
	// Identities are the ROUTER routing frames before the delimiter; a
	// reply carries the request's identities back.
	Identities [][]byte
	Header     Header
	// Parent is the parent_header: the request this message answers.
	Parent Header
	// Metadata and Content are raw JSON objects; nil encodes as {}.
	Metadata json.RawMessage
	Content  json.RawMessage
	// Buffers are extra binary frames (not signed, per the spec).
	Buffers [][]byte
}

// Sign returns the hex HMAC-SHA256 signature of the four JSON frames under
// key, or "" when key is empty (no signing).
func Sign(key []byte, header, parent, metadata, content []byte) string {
	if len(key) == 0 {
		return ""
	}
	return hex.EncodeToString(mac(key, header, parent, metadata, content))
}

func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// Verify reports whether sig (hex, as on the wire) signs the four JSON
// frames under key. The comparison takes constant time. With an empty key
// every signature is accepted, as jupyter_client does.
func Verify(key, sig []byte, header, parent, metadata, content []byte) bool {
	if len(key) == 0 {
		return true
	}
	want := mac(key, header, parent, metadata, content)
	got := make([]byte, hex.DecodedLen(len(sig)))
	if _, err := hex.Decode(got, sig); err != nil {
		return false
	}
	return hmac.Equal(got, want)
}

// Encode frames m for the wire, signing it with key. Nil metadata and
// content are sent as {}. It fails only if the content is not valid JSON.
func Encode(key []byte, m *Message) ([][]byte, error) {
	header, err := json.Marshal(m.Header)
	if err != nil {
		return nil, fmt.Errorf("wire: encoding header: %w", err)
	}
	parent, err := json.Marshal(m.Parent)
	if err != nil {
		return nil, fmt.Errorf("wire: encoding parent header: %w", err)
	}
	metadata, err := object(m.Metadata, "metadata")
	if err != nil {
		return nil, err
	}
	content, err := object(m.Content, "content")
	if err != nil {
		return nil, err
	}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames,
		[]byte(Delimiter),
		[]byte(Sign(key, header, parent, metadata, content)),
		header, parent, metadata, content)
	return append(frames, m.Buffers...), nil
}

func object(raw json.RawMessage, what string) ([]byte, error) {
	if len(raw) == 0 {
		return []byte("{}"), nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("wire: %s: %w", what, ErrBadJSON)
	}
	return raw, nil
}

// Decode parses frames received on a ROUTER socket (identities first) and
// checks their signature against key before looking at any JSON. A
// message that fails any check is returned as an error wrapping one of
// ErrNoDelimiter, ErrShort, ErrBadSignature or ErrBadJSON; when the header
// could be read the returned Message is non-nil (for logging).
func Decode(key []byte, frames [][]byte) (*Message, error) {
	delim := -1
	for i, f := range frames {
		if bytes.Equal(f, []byte(Delimiter)) {
			delim = i
			break
		}
	}
	if delim < 0 {
		return nil, ErrNoDelimiter
	}
	rest := frames[delim+1:]
	if len(rest) < 5 {
		return nil, fmt.Errorf("%w (got %d)", ErrShort, len(rest))
	}
	sig, header, parent, metadata, content := rest[0], rest[1], rest[2], rest[3], rest[4]
	if !Verify(key, sig, header, parent, metadata, content) {
		return nil, ErrBadSignature
	}
	m := &Message{Identities: frames[:delim:delim]}
	if err := json.Unmarshal(header, &m.Header); err != nil {
		return nil, fmt.Errorf("%w in header: %v", ErrBadJSON, err)
	}
	if err := json.Unmarshal(parent, &m.Parent); err != nil {
		return m, fmt.Errorf("%w in parent_header: %v", ErrBadJSON, err)
	}
	if !isObject(metadata) {
		return m, fmt.Errorf("%w: metadata is not an object", ErrBadJSON)
	}
	if !isObject(content) {
		return m, fmt.Errorf("%w: content is not an object", ErrBadJSON)
	}
	m.Metadata = json.RawMessage(metadata)
	m.Content = json.RawMessage(content)
	if len(rest) > 5 {
		m.Buffers = rest[5:]
	}
	return m, nil
}

// isObject reports whether b is one valid JSON object.
func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

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
// where signature is the lowercase hex HMAC of the four JSON frames under
// the connection file's key, with the hash its signature_scheme names
// (hmac-sha256 unless it says otherwise; see NewKey); an empty key means no
// signing (the signature frame is empty and not checked). Encode, Decode,
// Sign and Verify use HMAC-SHA256; a Key's methods of the same names use
// its own scheme.
package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strings"
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
	// Signature is the signature frame Decode checked (hex, as sent);
	// Encode ignores it and signs afresh.
	Signature []byte
}

// A Key signs and checks messages with one connection file's key and
// signature_scheme. The zero Key does not sign and accepts any signature,
// as jupyter_client does with an empty key.
type Key struct {
	secret []byte
	hash   func() hash.Hash
	scheme string
}

// schemes are the signature_scheme values NewKey accepts: the hashlib
// algorithms jupyter_client can use that the Go standard library has.
var schemes = map[string]func() hash.Hash{
	"hmac-md5":    md5.New,
	"hmac-sha1":   sha1.New,
	"hmac-sha224": sha256.New224,
	"hmac-sha256": sha256.New,
	"hmac-sha384": sha512.New384,
	"hmac-sha512": sha512.New,
}

// Schemes returns the signature schemes NewKey accepts, sorted.
func Schemes() []string {
	out := make([]string, 0, len(schemes))
	for s := range schemes {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// NewKey returns the Key for a connection file's signature_scheme ("" means
// hmac-sha256) and key. An unknown scheme is an error that lists the known
// ones.
func NewKey(scheme string, secret []byte) (Key, error) {
	if scheme == "" {
		scheme = "hmac-sha256"
	}
	h, ok := schemes[strings.ToLower(scheme)]
	if !ok {
		return Key{}, fmt.Errorf("wire: signature_scheme %q not supported (want one of %s)", scheme, strings.Join(Schemes(), ", "))
	}
	return Key{secret: secret, hash: h, scheme: strings.ToLower(scheme)}, nil
}

// sha256Key is the Key of the package-level functions.
func sha256Key(secret []byte) Key {
	return Key{secret: secret, hash: sha256.New, scheme: "hmac-sha256"}
}

// Signs reports whether k signs messages (its secret is not empty).
func (k Key) Signs() bool { return len(k.secret) > 0 }

// Scheme returns k's signature scheme ("hmac-sha256", ...).
func (k Key) Scheme() string { return k.scheme }

// Sign returns the hex HMAC-SHA256 signature of the four JSON frames under
// key, or "" when key is empty (no signing).
func Sign(key []byte, header, parent, metadata, content []byte) string {
	return sha256Key(key).Sign(header, parent, metadata, content)
}

// Sign returns the hex signature of the four JSON frames, or "" when k
// does not sign.
func (k Key) Sign(header, parent, metadata, content []byte) string {
	if !k.Signs() {
		return ""
	}
	return hex.EncodeToString(k.mac(header, parent, metadata, content))
}

func (k Key) mac(parts ...[]byte) []byte {
	m := hmac.New(k.hash, k.secret)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// Verify reports whether sig (hex, as on the wire) signs the four JSON
// frames under key with HMAC-SHA256. The comparison takes constant time.
// With an empty key every signature is accepted, as jupyter_client does.
func Verify(key, sig []byte, header, parent, metadata, content []byte) bool {
	return sha256Key(key).Verify(sig, header, parent, metadata, content)
}

// Verify reports whether sig (hex, as on the wire) signs the four JSON
// frames under k. The comparison takes constant time. A Key that does
// not sign accepts every signature.
func (k Key) Verify(sig []byte, header, parent, metadata, content []byte) bool {
	if !k.Signs() {
		return true
	}
	want := k.mac(header, parent, metadata, content)
	got := make([]byte, hex.DecodedLen(len(sig)))
	if _, err := hex.Decode(got, sig); err != nil {
		return false
	}
	return hmac.Equal(got, want)
}

// Encode frames m for the wire, signing it with key (HMAC-SHA256). Nil
// metadata and content are sent as {}. It fails only if the content is not
// valid JSON.
func Encode(key []byte, m *Message) ([][]byte, error) { return sha256Key(key).Encode(m) }

// Encode frames m for the wire, signed with k. Nil metadata and content
// are sent as {}. It fails only if the content is not valid JSON.
func (k Key) Encode(m *Message) ([][]byte, error) {
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
		[]byte(k.Sign(header, parent, metadata, content)),
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
// checks their HMAC-SHA256 signature against key before looking at any
// JSON. A message that fails any check is returned as an error wrapping
// one of ErrNoDelimiter, ErrShort, ErrBadSignature or ErrBadJSON; when the
// header could be read the returned Message is non-nil (for logging).
func Decode(key []byte, frames [][]byte) (*Message, error) { return sha256Key(key).Decode(frames) }

// Decode is the package-level Decode with k's scheme. The message's
// signature, as sent, is in its Signature field.
func (k Key) Decode(frames [][]byte) (*Message, error) {
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
	if !k.Verify(sig, header, parent, metadata, content) {
		return nil, ErrBadSignature
	}
	m := &Message{Identities: frames[:delim:delim], Signature: sig}
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

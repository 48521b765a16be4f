package kernel

import (
	"regexp"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/mime"
)

// IPython's help syntax: a cell that is only `name?` (or `?name`) shows the
// documentation of name, `name??` (or `??name`) the fuller one, instead of
// failing as Go. Go has no `?`, so no Go cell looks like this. The docs are
// what Shift-Tab shows (Evaluator.Inspect, detail 0 or 1), sent as IPython
// sends them: a "page" payload in the execute_reply, which JupyterLab and
// Notebook show below the cell.
var helpSyntax = regexp.MustCompile(`^\s*(\?\??)?([\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)*)(\?\??)?\s*$`)

// helpRequest reports whether code is a help request, and for what name
// and detail level.
func helpRequest(code string) (name string, detail int, ok bool) {
	m := helpSyntax.FindStringSubmatch(code)
	if m == nil || (m[1] == "") == (m[3] == "") {
		return "", 0, false // neither or both of ?name and name?
	}
	return m[2], len(m[1]+m[3]) - 1, true
}

// help answers a help request: a page payload with the docs, or, when the
// Evaluator knows nothing of name, IPython's words on stdout.
func (k *Kernel) help(out *publisher, name string, detail int) []any {
	var (
		b     mime.Bundle
		found bool
	)
	_, err := k.evaluateWith(func() (mime.Bundle, error) {
		b, found = k.ev.Inspect(name, utf8.RuneCountInString(name), detail)
		return mime.Bundle{}, nil
	})
	if err != nil || !found || b.IsZero() {
		out.Stream("stdout", "Object `"+name+"` not found.\n")
		return []any{}
	}
	d, _ := data(b)
	return []any{map[string]any{"source": "page", "data": d, "start": 0}}
}

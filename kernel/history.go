package kernel

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

// historySession is the session number history_reply gives this
// kernel's cells; 0 in a request also means this session (IPython counts
// sessions back from the current one with 0 and negative numbers).
const historySession = 1

// historyEntry is one stored cell.
type historyEntry struct {
	line   int
	input  string
	output string // text/plain of the execute_result, "" if none
}

func unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// historyRequest answers tail, range and search over this session's cells
// (the kernel keeps no history across sessions).
func (k *Kernel) historyRequest(_ context.Context, r *request) {
	var req historyRequest
	if !k.parse(r, &req, msgHistoryReply) {
		return
	}
	var found []historyEntry
	switch req.HistAccessType {
	case "tail":
		found = tail(k.history, req.N)
	case "range":
		if req.Session == 0 || req.Session == historySession {
			for _, e := range k.history {
				if e.line >= req.Start && (req.Stop <= 0 || e.line < req.Stop) {
					found = append(found, e)
				}
			}
		}
	case "search":
		re := globRegexp(req.Pattern)
		var all []historyEntry
		seen := map[string]bool{}
		for i := len(k.history) - 1; i >= 0; i-- { // newest first, for unique
			e := k.history[i]
			if !re.MatchString(e.input) || (req.Unique && seen[e.input]) {
				continue
			}
			seen[e.input] = true
			all = append(all, e)
		}
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
		found = tail(all, req.N)
	default:
		k.log.Printf("kernel: history: unknown hist_access_type %q", req.HistAccessType)
	}
	history := make([][]any, 0, len(found))
	for _, e := range found {
		if req.Output {
			var out any // null when the cell had no result, as IPython
			if e.output != "" {
				out = e.output
			}
			history = append(history, []any{historySession, e.line, []any{e.input, out}})
		} else {
			history = append(history, []any{historySession, e.line, e.input})
		}
	}
	k.reply(r, msgHistoryReply, map[string]any{"status": statusOK, "history": history})
}

// tail returns the last n entries (all of them when n <= 0).
func tail(h []historyEntry, n int) []historyEntry {
	if n > 0 && n < len(h) {
		return h[len(h)-n:]
	}
	return h
}

// globRegexp turns a history search pattern (a glob over the whole cell,
// as IPython's sqlite GLOB: * any text, ? one character, [...] a class)
// into a regexp. An empty pattern matches everything.
func globRegexp(pattern string) *regexp.Regexp {
	if pattern == "" {
		pattern = "*"
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			if j := strings.IndexByte(pattern[i+1:], ']'); j > 0 {
				class := pattern[i+1 : i+1+j]
				if class[0] == '^' || class[0] == '!' {
					class = "^" + regexp.QuoteMeta(class[1:])
				} else {
					class = regexp.QuoteMeta(class)
				}
				b.WriteString("[" + strings.ReplaceAll(class, `\-`, "-") + "]")
				i += j + 1
				continue
			}
			b.WriteString(`\[`)
		default:
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile(`\A\z.`) // matches nothing
	}
	return re
}

package kernel

import "github.com/gokernel/gokernel/kernel/mime"

// Message types the kernel reads and writes (one table of handlers in
// dispatch.go is keyed by the request types).
const (
	msgExecuteRequest    = "execute_request"
	msgExecuteReply      = "execute_reply"
	msgExecuteInput      = "execute_input"
	msgExecuteResult     = "execute_result"
	msgError             = "error"
	msgStream            = "stream"
	msgDisplayData       = "display_data"
	msgUpdateDisplayData = "update_display_data"
	msgClearOutput       = "clear_output"
	msgStatus            = "status"
	msgKernelInfoRequest = "kernel_info_request"
	msgKernelInfoReply   = "kernel_info_reply"
	msgCompleteRequest   = "complete_request"
	msgCompleteReply     = "complete_reply"
	msgInspectRequest    = "inspect_request"
	msgInspectReply      = "inspect_reply"
	msgIsCompleteRequest = "is_complete_request"
	msgIsCompleteReply   = "is_complete_reply"
	msgHistoryRequest    = "history_request"
	msgHistoryReply      = "history_reply"
	msgCommInfoRequest   = "comm_info_request"
	msgCommInfoReply     = "comm_info_reply"
	msgCommOpen          = "comm_open"
	msgCommMsg           = "comm_msg"
	msgCommClose         = "comm_close"
	msgShutdownRequest   = "shutdown_request"
	msgShutdownReply     = "shutdown_reply"
	msgInterruptRequest  = "interrupt_request"
	msgInterruptReply    = "interrupt_reply"
	msgConnectRequest    = "connect_request"
	msgConnectReply      = "connect_reply"
	msgInputRequest      = "input_request"
	msgInputReply        = "input_reply"
)

// Execution states in status messages.
const (
	stateStarting = "starting"
	stateBusy     = "busy"
	stateIdle     = "idle"
)

// Reply statuses.
const (
	statusOK      = "ok"
	statusError   = "error"
	statusAborted = "aborted"
)

type executeRequest struct {
	Code            string         `json:"code"`
	Silent          bool           `json:"silent"`
	StoreHistory    *bool          `json:"store_history"` // default true
	UserExpressions map[string]any `json:"user_expressions"`
	AllowStdin      *bool          `json:"allow_stdin"`   // default true
	StopOnError     *bool          `json:"stop_on_error"` // default true
}

type executeReply struct {
	Status          string         `json:"status"`
	ExecutionCount  int            `json:"execution_count"`
	UserExpressions map[string]any `json:"user_expressions"` // {} when none
	Payload         []any          `json:"payload"`          // [] when none
	errorContent
}

type errorContent struct {
	EName     string   `json:"ename,omitempty"`
	EValue    string   `json:"evalue,omitempty"`
	Traceback []string `json:"traceback,omitempty"`
}

// errorOutput is the error message on iopub: all three fields always.
type errorOutput struct {
	EName     string   `json:"ename"`
	EValue    string   `json:"evalue"`
	Traceback []string `json:"traceback"`
}

type executeInput struct {
	Code           string `json:"code"`
	ExecutionCount int    `json:"execution_count"`
}

type executeResult struct {
	ExecutionCount int            `json:"execution_count"`
	Data           map[string]any `json:"data"`
	Metadata       map[string]any `json:"metadata"`
}

type displayData struct {
	Data      map[string]any `json:"data"`
	Metadata  map[string]any `json:"metadata"`
	Transient map[string]any `json:"transient,omitempty"`
}

type streamContent struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

type statusContent struct {
	ExecutionState string `json:"execution_state"`
}

// KernelInfo is the content of kernel_info_reply.
type kernelInfo struct {
	Status                string       `json:"status"`
	ProtocolVersion       string       `json:"protocol_version"`
	Implementation        string       `json:"implementation"`
	ImplementationVersion string       `json:"implementation_version"`
	LanguageInfo          languageInfo `json:"language_info"`
	Banner                string       `json:"banner"`
	HelpLinks             []helpLink   `json:"help_links"`
	Debugger              bool         `json:"debugger"`
}

// languageInfo has no optional strings: an empty pygments_lexer makes
// nbconvert highlight Go as Python, so every field is always set.
type languageInfo struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	MIMEType          string `json:"mimetype"`
	FileExtension     string `json:"file_extension"`
	PygmentsLexer     string `json:"pygments_lexer"`
	CodeMirrorMode    string `json:"codemirror_mode"`
	NBConvertExporter string `json:"nbconvert_exporter"`
}

type helpLink struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

type completeRequest struct {
	Code      string `json:"code"`
	CursorPos int    `json:"cursor_pos"`
}

type completeReply struct {
	Status      string         `json:"status"`
	Matches     []string       `json:"matches"`
	CursorStart int            `json:"cursor_start"`
	CursorEnd   int            `json:"cursor_end"`
	Metadata    map[string]any `json:"metadata"`
}

// completionType is one entry of _jupyter_types_experimental.
type completionType struct {
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Text      string `json:"text"`
	Type      string `json:"type,omitempty"`
	Signature string `json:"signature,omitempty"`
}

type inspectRequest struct {
	Code        string `json:"code"`
	CursorPos   int    `json:"cursor_pos"`
	DetailLevel int    `json:"detail_level"`
}

type inspectReply struct {
	Status   string         `json:"status"`
	Found    bool           `json:"found"`
	Data     map[string]any `json:"data"`
	Metadata map[string]any `json:"metadata"`
}

type isCompleteReply struct {
	Status string `json:"status"`
	Indent string `json:"indent,omitempty"`
}

type historyRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           int    `json:"stop"`
	N              int    `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

type shutdownContent struct {
	Status  string `json:"status,omitempty"`
	Restart bool   `json:"restart"`
}

type inputRequest struct {
	Prompt   string `json:"prompt"`
	Password bool   `json:"password"`
}

type inputReply struct {
	Value string `json:"value"`
}

type commOpen struct {
	CommID     string `json:"comm_id"`
	TargetName string `json:"target_name"`
}

// data returns b's data and metadata with nil maps made empty, as the
// protocol wants objects, never null.
func data(b mime.Bundle) (map[string]any, map[string]any) {
	d, m := b.Data, b.Metadata
	if d == nil {
		d = map[string]any{}
	}
	if m == nil {
		m = map[string]any{}
	}
	return d, m
}

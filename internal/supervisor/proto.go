package supervisor

import (
	"errors"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/runtime"
)

// The wire protocol: one unix connection per call. The client writes one
// JSON request line and reads one JSON reply line; after a successful
// attach or exec reply the connection carries the raw stream (stdin from
// the client, half-closed at its end; output framed as documented on Stream).

const (
	opPing      = "ping"
	opCreate    = "create"
	opStart     = "start"
	opKill      = "kill"
	opState     = "state"
	opList      = "list"
	opWait      = "wait"
	opAttach    = "attach"
	opResize    = "resize"
	opExec      = "exec"
	opExecState = "exec_state"
	opPids      = "pids"
	opDelete    = "delete"
	opPause     = "pause"
	opResume    = "resume"
)

type request struct {
	Op     string         `json:"op"`
	ID     string         `json:"id,omitempty"`
	ExecID string         `json:"exec_id,omitempty"`
	Create *CreateRequest `json:"create,omitempty"`
	Exec   *ExecRequest   `json:"exec,omitempty"`
	Attach AttachOptions  `json:"attach"`
	Signal int            `json:"signal,omitempty"`
	All    bool           `json:"all,omitempty"`
	Width  uint16         `json:"width,omitempty"`
	Height uint16         `json:"height,omitempty"`
}

type reply struct {
	Err    *wireError `json:"err,omitempty"`
	State  *State     `json:"state,omitempty"`
	States []State    `json:"states,omitempty"`
	Exec   *ExecState `json:"exec,omitempty"`
	Pids   []int      `json:"pids,omitempty"`
}

// wireError carries an error's kind so that the client rebuilds it.
type wireError struct {
	Kind     string `json:"kind"`
	Msg      string `json:"msg"`
	ExitCode int    `json:"exit_code,omitempty"` // for kind "command"
}

var kinds = []struct {
	name string
	err  error
	make func(string, ...any) error
}{
	{"not_found", errdefs.ErrNotFound, errdefs.NotFound},
	{"conflict", errdefs.ErrConflict, errdefs.Conflict},
	{"invalid", errdefs.ErrInvalid, errdefs.Invalid},
	{"unavailable", errdefs.ErrUnavailable, errdefs.Unavailable},
	{"not_implemented", errdefs.ErrNotImplemented, errdefs.NotImplemented},
	{"forbidden", errdefs.ErrForbidden, errdefs.Forbidden},
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	var ce *runtime.CommandError
	if errors.As(err, &ce) {
		return &wireError{Kind: "command", Msg: err.Error(), ExitCode: ce.ExitCode}
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return &wireError{Kind: k.name, Msg: err.Error()}
		}
	}
	return &wireError{Kind: "internal", Msg: err.Error()}
}

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	if w.Kind == "command" {
		return &CommandError{ExitCode: w.ExitCode, Msg: w.Msg}
	}
	for _, k := range kinds {
		if w.Kind == k.name {
			return k.make("%s", w.Msg)
		}
	}
	return errors.New(w.Msg)
}

package runtime

import (
	"fmt"
	"strings"

	"github.com/wharf/wharf/internal/errdefs"
)

// CommandError says the process's command could not be executed: ExitCode
// is 127 when it is missing and 126 when it is not executable, the codes
// Docker gives. Its kind is errdefs.ErrInvalid.
type CommandError struct {
	ExitCode int
	Msg      string
}

func (e *CommandError) Error() string { return e.Msg }
func (e *CommandError) Unwrap() error { return errdefs.ErrInvalid }

// mapStartError recognises the command errors that libcontainer's init
// reports as text: exec.LookPath runs inside the container and its
// *exec.Error reads `exec: "name": reason`. Other failures that mention
// the same reasons (a mount source, oom_score_adj) are not command errors.
func mapStartError(err error) error {
	msg := err.Error()
	i := strings.Index(msg, `exec: "`)
	if i < 0 {
		return fmt.Errorf("starting container process: %w", err)
	}
	switch reason := msg[i:]; {
	case strings.Contains(reason, "executable file not found"),
		strings.Contains(reason, "no such file or directory"),
		strings.Contains(reason, "not a directory"):
		return &CommandError{ExitCode: 127, Msg: msg}
	case strings.Contains(reason, "permission denied"),
		strings.Contains(reason, "is a directory"):
		return &CommandError{ExitCode: 126, Msg: msg}
	}
	return fmt.Errorf("starting container process: %w", err)
}

package supervisor

import "github.com/wharf/wharf/internal/runtime"

// CommandError is returned by Create and Exec when the process's command
// is missing (ExitCode 127) or not executable (ExitCode 126); its kind is
// errdefs.ErrInvalid. Find it with errors.As.
type CommandError = runtime.CommandError

package runtime

import (
	"errors"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
)

func TestMapStartError(t *testing.T) {
	for msg, code := range map[string]int{
		`error during container init: exec: "nosuch": executable file not found in $PATH`: 127,
		`exec: "/bin/nosuch": stat /bin/nosuch: no such file or directory`:                127,
		`exec: "/etc": permission denied`:                                                 126,
		`unable to apply cgroup configuration`:                                            0,
	} {
		err := mapStartError(errors.New(msg))
		var ce *CommandError
		if got := errors.As(err, &ce); got != (code != 0) || (got && (ce.ExitCode != code || !errors.Is(err, errdefs.ErrInvalid))) {
			t.Errorf("%q: %v", msg, err)
		}
	}
}

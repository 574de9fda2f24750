package container

import (
	"context"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errdefs"
)

// ContainerWait registers the wait at once (so that a wait sent before
// start sees the coming exit) and answers on the channel when the condition
// is met.
func (s *Service) ContainerWait(ctx context.Context, ref string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.lookupLocked(ref)
	if err != nil {
		return nil, err
	}
	out := make(chan container.WaitResponse, 1)
	var ch chan struct{}
	switch cond {
	case "", container.WaitConditionNotRunning:
		if r.State.Status != stateRunning && r.State.Status != stateRestarting {
			out <- waitResponse(r)
			close(out)
			return out, nil
		}
		ch = r.exited
	case container.WaitConditionNextExit:
		ch = r.exited
	case container.WaitConditionRemoved:
		ch = r.removed
	default:
		return nil, errdefs.Invalid("invalid condition: %q", cond)
	}
	go func() {
		defer close(out)
		select {
		case <-ch:
			s.mu.Lock()
			resp := waitResponse(r)
			s.mu.Unlock()
			out <- resp
		case <-ctx.Done():
			out <- container.WaitResponse{StatusCode: -1, Error: &container.WaitExitError{Message: ctx.Err().Error()}}
		}
	}()
	return out, nil
}

// waitResponse reads the last exit; callers hold s.mu.
func waitResponse(r *record) container.WaitResponse {
	resp := container.WaitResponse{StatusCode: int64(r.State.ExitCode)}
	// Only an exit carries an error; a failed start (still "created") was
	// already reported by the start request itself.
	if r.State.Error != "" && r.State.Status == stateExited {
		resp.Error = &container.WaitExitError{Message: r.State.Error}
	}
	return resp
}

package container

import (
	"context"
	"syscall"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/supervisor"
)

// The fake supervisor's freezer: a paused container holds signals until
// Resume, except SIGKILL, which thaws it (as the real supervisor does).

func (f *fakeSup) Pause(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[id]
	switch {
	case !ok:
		return errdefs.NotFound("no such container")
	case st.Status == supervisor.StatusPaused:
		return errdefs.Conflict("container %s is already paused", id)
	case st.Status != supervisor.StatusRunning:
		return errdefs.Conflict("container %s is not running", id)
	}
	st.Status = supervisor.StatusPaused
	f.pauses = append(f.pauses, "pause "+id)
	return nil
}

func (f *fakeSup) Resume(ctx context.Context, id string) error {
	f.mu.Lock()
	st, ok := f.states[id]
	if !ok || st.Status != supervisor.StatusPaused {
		f.mu.Unlock()
		return errdefs.Conflict("container %s is not paused", id)
	}
	st.Status = supervisor.StatusRunning
	f.pauses = append(f.pauses, "resume "+id)
	held := f.pending[id]
	delete(f.pending, id)
	f.mu.Unlock()
	for _, sig := range held {
		f.Kill(ctx, id, sig, false)
	}
	return nil
}

// killPaused handles a signal to a paused container; false if not paused.
func (f *fakeSup) killPaused(id string, sig syscall.Signal) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.states[id]
	if st == nil || st.Status != supervisor.StatusPaused {
		return false
	}
	if sig == syscall.SIGKILL {
		st.Status = supervisor.StatusRunning
		return false
	}
	if f.pending == nil {
		f.pending = map[string][]syscall.Signal{}
	}
	f.pending[id] = append(f.pending[id], sig)
	return true
}

func (f *fakeSup) status(id string) supervisor.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st := f.states[id]; st != nil {
		return st.Status
	}
	return ""
}

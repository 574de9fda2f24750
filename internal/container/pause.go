package container

import (
	"context"
	"log"
	"syscall"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/oci"
)

// Pausing freezes a running container's processes (the supervisor uses the
// freezer cgroup). A paused container stays "running" in the record, with
// State.Paused set, as in Docker: stop, kill and rm -f work on it.

// ContainerPause freezes a running container (docker pause).
func (s *Service) ContainerPause(ctx context.Context, ref string) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	return s.pause(ctx, r)
}

// ContainerUnpause thaws a paused container (docker unpause).
func (s *Service) ContainerUnpause(ctx context.Context, ref string) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	return s.unpause(ctx, r)
}

func (s *Service) pause(ctx context.Context, r *record) error {
	s.mu.Lock()
	running, paused := r.State.Status == stateRunning, r.State.Paused
	s.mu.Unlock()
	if !running {
		return errdefs.Conflict("Container %s is not running", r.ID)
	}
	if paused {
		return errdefs.Conflict("Container %s is already paused", r.ID)
	}
	if err := s.sup.Pause(context.WithoutCancel(ctx), r.ID); err != nil {
		return err
	}
	return s.setPaused(r, true)
}

func (s *Service) unpause(ctx context.Context, r *record) error {
	s.mu.Lock()
	paused := r.State.Status == stateRunning && r.State.Paused
	s.mu.Unlock()
	if !paused {
		// Docker answers 500 here (a plain error); a conflict is what it is.
		return errdefs.Conflict("Container %s is not paused", r.ID)
	}
	if err := s.sup.Resume(context.WithoutCancel(ctx), r.ID); err != nil {
		return err
	}
	return s.setPaused(r, false)
}

// setPaused records the freezer state unless the container exited meanwhile.
func (s *Service) setPaused(r *record, paused bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.State.Status != stateRunning || r.gone || r.State.Paused == paused {
		return nil
	}
	r.State.Paused = paused
	return s.save(r)
}

// isPaused reads the record's freezer state.
func (s *Service) isPaused(r *record) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.State.Status == stateRunning && r.State.Paused
}

// afterSignal follows dockerd's rule for a paused container that was just
// signalled: the stop signal (or any signal when the container has none
// configured, or SIGKILL) means the container is to exit, so it is thawed
// for the signal to land; other signals stay pending until unpause. The
// supervisor has already thawed it for a SIGKILL.
func (s *Service) afterSignal(ctx context.Context, r *record, sig syscall.Signal) {
	if !s.isPaused(r) {
		return
	}
	s.mu.Lock()
	stopSignal := r.Config.StopSignal
	s.mu.Unlock()
	if sig != syscall.SIGKILL && stopSignal != "" {
		if v, err := oci.ParseSignal(stopSignal); err != nil || v != sig {
			return
		}
	}
	if sig != syscall.SIGKILL {
		if err := s.sup.Resume(context.WithoutCancel(ctx), r.ID); err != nil && !isGone(err) {
			log.Printf("container %s: unpause after signal: %v", r.ID[:12], err)
			return
		}
	}
	if err := s.setPaused(r, false); err != nil {
		log.Printf("container %s: save: %v", r.ID[:12], err)
	}
}

// pausedForExec is Docker's refusal to exec into a paused container.
func pausedForExec(id string) error {
	return errdefs.Conflict("Container %s is paused, unpause the container before exec", id)
}

// pauseForCommit freezes r for the time a commit reads its layer and
// returns the thaw. A container that stopped meanwhile needs no pause; one
// the user unpaused meanwhile needs no thaw.
func (s *Service) pauseForCommit(ctx context.Context, r *record) (func(), error) {
	if err := s.pause(ctx, r); err != nil {
		if errorsIsConflict(err) {
			return func() {}, nil
		}
		return nil, err
	}
	return func() {
		if err := s.unpause(context.WithoutCancel(ctx), r); err != nil && !errorsIsConflict(err) {
			log.Printf("container %s: unpause after commit: %v", r.ID[:12], err)
		}
	}, nil
}

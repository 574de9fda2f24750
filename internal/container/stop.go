package container

import (
	"context"
	"os"
	"syscall"
	"time"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/oci"
)

const defaultStopTimeout = 10

// ContainerStop sends the stop signal, then SIGKILL after the timeout.
// Stopping a container that is not running is not an error.
func (s *Service) ContainerStop(ctx context.Context, ref string, signal string, timeout *int) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	r.op.Lock()
	defer r.op.Unlock()
	return s.stopLocked(ctx, r, signal, timeout)
}

func (s *Service) stopLocked(ctx context.Context, r *record, signal string, timeout *int) error {
	s.mu.Lock()
	running, exited := r.State.Status == stateRunning, r.exited
	if r.State.Status == stateRestarting {
		// Stopping a container between restarts cancels the restart.
		s.userStopLocked(r, true)
		s.cancelRestartLocked(r)
		s.mu.Unlock()
		return nil
	}
	if running {
		s.userStopLocked(r, true)
	}
	if signal == "" {
		signal = r.Config.StopSignal
	}
	t := defaultStopTimeout
	if timeout != nil {
		t = *timeout
	} else if r.Config.StopTimeout != nil {
		t = *r.Config.StopTimeout
	}
	s.mu.Unlock()
	if !running {
		return nil
	}
	sig := syscall.SIGTERM
	if signal != "" {
		v, err := oci.ParseSignal(signal)
		if err != nil {
			return errdefs.Invalid("Invalid signal: %s", signal)
		}
		sig = v
	}
	kctx := context.WithoutCancel(ctx)
	if err := s.sup.Kill(kctx, r.ID, sig, false); err != nil && !isGone(err) {
		return err
	}
	s.afterSignal(kctx, r, sig)
	if t >= 0 {
		if waitClosed(ctx, exited, time.Duration(t)*time.Second) {
			return nil
		}
		if err := s.sup.Kill(kctx, r.ID, syscall.SIGKILL, true); err != nil && !isGone(err) {
			return err
		}
	}
	<-waitCtx(ctx, exited)
	return ctx.Err()
}

// isGone: the process exited between our look and the signal.
func isGone(err error) bool {
	return isNotFound(err) || errorsIsConflict(err)
}

func waitClosed(ctx context.Context, ch chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func waitCtx(ctx context.Context, ch chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
		case <-ctx.Done():
		}
		close(done)
	}()
	return done
}

// ContainerKill signals the container's init (SIGKILL by default).
func (s *Service) ContainerKill(ctx context.Context, ref string, signal string) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	sig := syscall.SIGKILL
	if signal != "" {
		if sig, err = oci.ParseSignal(signal); err != nil {
			return errdefs.Invalid("Invalid signal: %s", signal)
		}
	}
	stopSig := syscall.SIGTERM
	s.mu.Lock()
	if v, err := oci.ParseSignal(r.Config.StopSignal); r.Config.StopSignal != "" && err == nil {
		stopSig = v
	}
	running, restarting, exited := r.State.Status == stateRunning, r.State.Status == stateRestarting, r.exited
	if running || restarting {
		s.userStopLocked(r, endsContainer(sig, stopSig))
	}
	if restarting {
		// Like Docker: nothing to signal; a killing signal cancels the
		// pending restart.
		if r.exitOnNext {
			s.cancelRestartLocked(r)
		}
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if !running {
		return errdefs.Conflict("Container %s is not running", r.ID)
	}
	if err := s.sup.Kill(context.WithoutCancel(ctx), r.ID, sig, false); err != nil {
		if isGone(err) {
			return errdefs.Conflict("Container %s is not running", r.ID)
		}
		return err
	}
	s.afterSignal(ctx, r, sig)
	if sig == syscall.SIGKILL {
		// Like Docker, return once a SIGKILLed container is gone, so that
		// `kill; rm` works.
		waitClosed(ctx, exited, 10*time.Second)
	}
	return nil
}

// ContainerRestart stops (if running) and starts the container.
func (s *Service) ContainerRestart(ctx context.Context, ref string, signal string, timeout *int) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	r.op.Lock()
	defer r.op.Unlock()
	if err := s.stopLocked(ctx, r, signal, timeout); err != nil {
		return err
	}
	s.mu.Lock()
	userStartLocked(r) // Docker's restart also resets RestartCount
	s.mu.Unlock()
	return s.startLocked(context.WithoutCancel(ctx), r)
}

// ContainerRemove deletes a container; force kills a running one first.
func (s *Service) ContainerRemove(ctx context.Context, ref string, force, volumes bool) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	r.op.Lock()
	defer r.op.Unlock()
	s.mu.Lock()
	gone, running, paused, exited := r.gone, r.State.Status == stateRunning, r.State.Paused, r.exited
	restarting := r.State.Status == stateRestarting
	if force && !gone {
		r.exitOnNext = true // no restart after the kill below
		s.cancelRestartLocked(r)
	}
	s.mu.Unlock()
	if gone {
		return errdefs.NotFound("No such container: %s", ref)
	}
	if restarting && !force {
		return errdefs.Conflict("cannot remove container \"/%s\": container is restarting: stop the container before removing or force remove", r.Name)
	}
	if running {
		if !force && paused {
			return errdefs.Conflict("cannot remove container \"/%s\": container is paused and must be unpaused first", r.Name)
		}
		if !force {
			return errdefs.Conflict("cannot remove container \"/%s\": container is running: stop the container before removing or force remove", r.Name)
		}
		if err := s.sup.Kill(context.WithoutCancel(ctx), r.ID, syscall.SIGKILL, true); err != nil && !isGone(err) {
			return err
		}
		<-waitCtx(ctx, exited)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return s.removeLocked(ctx, r)
}

// removeLocked runs with r.op held and the container not running.
func (s *Service) removeLocked(ctx context.Context, r *record) error {
	if err := s.sup.Delete(context.WithoutCancel(ctx), r.ID); err != nil && !isNotFound(err) {
		return err
	}
	// Drop the record first: a crash after this point leaves a directory
	// without a record, which NewService collects.
	if err := os.Remove(s.recordPath(r.ID)); err != nil && !os.IsNotExist(err) {
		return err
	}
	s.mu.Lock()
	r.gone = true
	delete(s.byID, r.ID)
	if s.names[r.Name] == r.ID {
		delete(s.names, r.Name)
	}
	s.mu.Unlock()
	s.releaseNetwork(r) // normally done at its exit already
	s.failAttachers(r, errdefs.NotFound("No such container: %s", r.ID))
	s.dropExecs(r.ID)
	err := s.removeFiles(r.ID)
	s.mu.Lock()
	close(r.removed) // after the files, so `wait removed` means all gone
	close(r.exited)  // next-exit waiters of a container that will never run again
	s.mu.Unlock()
	return err
}

// ContainerRename changes the name; a taken name is a Conflict.
func (s *Service) ContainerRename(ctx context.Context, ref, newName string) error {
	if newName == "" {
		return errdefs.Invalid("Neither old nor new names may be empty")
	}
	name, err := validateName(newName)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.lookupLocked(ref)
	if err != nil {
		return err
	}
	if r.Name == name {
		return errdefs.Invalid("Renaming a container with the same name as its current name")
	}
	if holder, ok := s.names[name]; ok {
		return conflictName(name, holder)
	}
	old := r.Name
	r.Name = name
	if err := s.save(r); err != nil {
		r.Name = old
		return err
	}
	delete(s.names, old)
	s.names[name] = r.ID
	return nil
}

// ContainerResize sets the size of the container's TTY.
func (s *Service) ContainerResize(ctx context.Context, ref string, height, width uint) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	s.mu.Lock()
	running := r.State.Status == stateRunning
	s.mu.Unlock()
	if !running {
		return errdefs.Conflict("Container %s is not running", r.ID)
	}
	return s.sup.Resize(ctx, r.ID, "", uint16(width), uint16(height))
}

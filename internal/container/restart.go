package container

import (
	"context"
	"log"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errdefs"
)

// Restart policies, as Docker's restart manager applies them: a container
// that exits on its own is started again after a backoff of 100 ms that
// doubles up to a minute and drops back once a run lasted 10 s.
const (
	stateRestarting = container.StateRestarting

	firstBackoff = 100 * time.Millisecond
	maxBackoff   = time.Minute
	resetAfter   = 10 * time.Second
)

// validateRestart refuses what Docker refuses at create, in its words.
func validateRestart(hc *container.HostConfig) error {
	if err := container.ValidateRestartPolicy(hc.RestartPolicy); err != nil {
		return errdefs.Invalid("%s", err.Error())
	}
	if hc.AutoRemove && !hc.RestartPolicy.IsNone() {
		return errdefs.Invalid("can't create 'AutoRemove' container with restart policy")
	}
	return nil
}

// shouldRestart: does the policy restart a container that exited with code
// after restarts restarts? A user stop only holds back unless-stopped: the
// stop itself is kept from restarting by record.exitOnNext.
func shouldRestart(p container.RestartPolicy, code int, manuallyStopped bool, restarts int) bool {
	switch {
	case p.IsAlways():
		return true
	case p.IsUnlessStopped():
		return !manuallyStopped
	case p.IsOnFailure():
		return code != 0 && (p.MaximumRetryCount == 0 || restarts < p.MaximumRetryCount)
	}
	return false
}

// nextBackoff is the delay before the next restart, given the last one and
// how long the run that just ended lasted.
func nextBackoff(prev, ran time.Duration) time.Duration {
	if ran >= resetAfter || prev <= 0 {
		return firstBackoff
	}
	return min(prev*2, maxBackoff)
}

// scheduleRestartLocked turns an exit just recorded into "restarting" when
// the policy says so. Callers hold s.mu; it reports whether it did.
func (s *Service) scheduleRestartLocked(r *record) bool {
	st := &r.State
	if r.gone || r.exitOnNext || !shouldRestart(r.HostConfig.RestartPolicy, st.ExitCode, r.HasBeenManuallyStopped, r.RestartCount) {
		return false
	}
	r.backoff = nextBackoff(r.backoff, st.FinishedAt.Sub(st.StartedAt))
	r.RestartCount++
	st.Status = stateRestarting
	cancel := make(chan struct{})
	r.restartCancel = cancel
	go s.restartAfter(r, cancel, r.backoff)
	return true
}

// restartAfter starts the container again once the backoff has passed,
// unless a stop, kill or remove cancelled it meanwhile.
func (s *Service) restartAfter(r *record, cancel chan struct{}, d time.Duration) {
	select {
	case <-s.after(d):
	case <-cancel:
		return
	}
	r.op.Lock()
	defer r.op.Unlock()
	s.mu.Lock()
	if r.restartCancel != cancel || r.gone {
		s.mu.Unlock()
		return
	}
	r.restartCancel = nil
	s.mu.Unlock()
	if err := s.startLocked(context.Background(), r); err != nil {
		// Like Docker, a restart that fails leaves the container exited.
		log.Printf("container %s: restart: %v", r.ID[:12], err)
		s.mu.Lock()
		if r.State.Status == stateRestarting {
			s.setStoppedLocked(r)
		}
		s.mu.Unlock()
	}
}

// cancelRestartLocked ends a pending restart: the container is exited with
// the code of its last run. Callers hold s.mu.
func (s *Service) cancelRestartLocked(r *record) {
	if r.restartCancel != nil {
		close(r.restartCancel)
		r.restartCancel = nil
	}
	if r.State.Status == stateRestarting {
		s.setStoppedLocked(r)
	}
}

// setStoppedLocked records a restarting container as exited and wakes
// those waiting for it to stop.
func (s *Service) setStoppedLocked(r *record) {
	r.State.Status = stateExited
	if !r.gone {
		if err := s.save(r); err != nil {
			log.Printf("container %s: save: %v", r.ID[:12], err)
		}
	}
	close(r.exited)
	r.exited = make(chan struct{})
}

// userStopLocked marks a stop or kill by the user: unless-stopped stays
// down, even across a daemon restart, and a signal that ends the container
// (exitOnNext) keeps any policy from restarting it. Callers hold s.mu.
func (s *Service) userStopLocked(r *record, exitOnNext bool) {
	if exitOnNext {
		r.exitOnNext = true
	}
	if !r.HasBeenManuallyStopped {
		r.HasBeenManuallyStopped = true
		if err := s.save(r); err != nil {
			log.Printf("container %s: save: %v", r.ID[:12], err)
		}
	}
}

// userStartLocked resets what a user start resets in Docker: the stop mark,
// the backoff and the restart count. Callers hold s.mu.
func userStartLocked(r *record) {
	r.exitOnNext = false
	r.HasBeenManuallyStopped = false
	r.backoff = 0
	r.RestartCount = 0
}

// endsContainer: a kill with SIGKILL or the stop signal cancels restarts,
// as Docker's ExitOnNext does; other signals only mark the user's hand.
func endsContainer(sig, stopSig syscall.Signal) bool {
	return sig == syscall.SIGKILL || sig == stopSig
}

// bootRestart: should the daemon start this container at start-up? One
// that was waiting to restart, yes; always even after a user stop, like
// Docker; the others unless the user stopped it and as their exit code and
// retry budget allow.
func bootRestart(r *record) bool {
	p := r.HostConfig.RestartPolicy
	switch {
	case r.State.Status == stateRestarting:
		// The daemon died during the backoff (a restart this daemon
		// scheduled has its own timer).
		return r.restartCancel == nil
	case r.State.Status != stateExited:
		return false
	case p.IsAlways():
		return true
	}
	return !r.HasBeenManuallyStopped && shouldRestart(p, r.State.ExitCode, false, r.RestartCount)
}

package container

import (
	"context"
	"log"
	"time"

	"github.com/wharf/wharf/internal/supervisor"
)

// watch waits for a running container to exit, then records the exit,
// releases its runtime state and wakes waiters. One goroutine per running
// container; it survives supervisor hiccups by retrying.
func (s *Service) watch(r *record, exited chan struct{}) {
	ctx := context.Background()
	delay := 100 * time.Millisecond
	for {
		st, err := s.sup.Wait(ctx, r.ID)
		if err == nil {
			s.finishExit(r, exited, st)
			return
		}
		if isNotFound(err) {
			s.finishExit(r, exited, lostState(r.ID))
			return
		}
		log.Printf("container %s: wait: %v (retrying)", r.ID[:12], err)
		time.Sleep(delay)
		if delay < 5*time.Second {
			delay *= 2
		}
	}
}

func lostState(id string) supervisor.State {
	return supervisor.State{ID: id, Status: supervisor.StatusExited, ExitCode: 255,
		FinishedAt: time.Now().UTC(), Error: "container not found by supervisor after restart"}
}

// finishExit records st as the container's exit. exited is the channel of the
// run that ended; a stale call (a newer run already started) does nothing.
func (s *Service) finishExit(r *record, exited chan struct{}, st supervisor.State) {
	ctx := context.Background()
	s.closeExecs(r.ID) // before Delete, while the supervisor still knows their codes
	if err := s.sup.Delete(ctx, r.ID); err != nil && !isNotFound(err) {
		log.Printf("container %s: delete after exit: %v", r.ID[:12], err)
	}
	s.releaseNetwork(r)
	s.mu.Lock()
	if r.exited != exited {
		s.mu.Unlock()
		return
	}
	r.State.Status = stateExited
	r.State.Paused = false
	r.State.Pid = 0
	r.State.ExitCode = st.ExitCode
	r.State.OOMKilled = st.OOMKilled
	r.State.Error = st.Error
	r.State.FinishedAt = st.FinishedAt
	if r.State.FinishedAt.IsZero() {
		r.State.FinishedAt = time.Now().UTC()
	}
	auto := r.HostConfig.AutoRemove && !r.gone
	if !auto {
		s.scheduleRestartLocked(r) // per policy: status restarting, a timer
	}
	// A --rm container's record is removed next: saving its exit first would
	// only cost two fsyncs. Should the daemon die in between, the record
	// still says running, and restore finds the container gone from the
	// supervisor and removes it all the same.
	if !r.gone && !auto {
		if err := s.save(r); err != nil {
			log.Printf("container %s: save: %v", r.ID[:12], err)
		}
	}
	close(exited)
	r.exited = make(chan struct{})
	s.mu.Unlock()
	if auto {
		go s.autoRemove(r)
	}
}

// autoRemove implements --rm; it waits for any operation in progress (a
// stop, say) and leaves the container alone if it was started again.
func (s *Service) autoRemove(r *record) {
	r.op.Lock()
	defer r.op.Unlock()
	s.mu.Lock()
	skip := r.gone || r.State.Status == stateRunning
	s.mu.Unlock()
	if skip {
		return
	}
	if err := s.removeLocked(context.Background(), r); err != nil {
		log.Printf("container %s: auto-remove: %v", r.ID[:12], err)
	}
}

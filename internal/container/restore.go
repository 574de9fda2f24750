package container

import (
	"context"
	"log"
	"sync"

	"github.com/wharf/wharf/internal/supervisor"
)

// restore reconciles the records with what the supervisor holds.
func (s *Service) restore(ctx context.Context) error {
	list, err := s.sup.List(ctx)
	if err != nil {
		return err
	}
	held := map[string]supervisor.State{}
	for _, st := range list {
		held[st.ID] = st
	}
	s.mu.Lock()
	recs := make([]*record, 0, len(s.byID))
	for _, r := range s.byID {
		recs = append(recs, r)
	}
	s.mu.Unlock()
	for _, r := range recs {
		st, known := held[r.ID]
		delete(held, r.ID)
		s.mu.Lock()
		wasRunning := r.State.Status == stateRunning
		exited := r.exited
		s.mu.Unlock()
		switch {
		case wasRunning && known && (st.Status == supervisor.StatusRunning || st.Status == supervisor.StatusPaused):
			s.mu.Lock()
			r.State.Pid = st.Pid
			r.State.Paused = st.Status == supervisor.StatusPaused
			s.mu.Unlock()
			go s.watch(r, exited)
		case wasRunning && known && st.Status == supervisor.StatusExited:
			s.finishExit(r, exited, st) // records the real code, deletes, --rm
		case wasRunning:
			// Unknown to the supervisor, or only created there: the process
			// is gone and its exit status with it.
			lost := lostState(r.ID)
			if known {
				lost.Error = "container was not running in the supervisor after restart"
			}
			s.finishExit(r, exited, lost)
		case known:
			// A start that died half-way: drop the runtime state and mounts.
			if err := s.sup.Delete(ctx, r.ID); err != nil && !isNotFound(err) {
				log.Printf("container %s: delete stale runtime state: %v", r.ID[:12], err)
			}
		}
	}
	// Runtime state no record references (a create that died before its
	// record): drop what is not running.
	for id, st := range held {
		if st.Status != supervisor.StatusRunning && st.Status != supervisor.StatusPaused {
			s.sup.Delete(ctx, id)
			continue
		}
		log.Printf("container %s: running in the supervisor without a record; left alone", id)
	}
	s.bootRestarts(ctx, recs)
	return nil
}

// bootRestarts starts, in parallel, the containers whose restart policy
// wants them running when the daemon starts; like Docker, that start
// counts as a user's (it clears the stop mark and the restart count).
func (s *Service) bootRestarts(ctx context.Context, recs []*record) {
	var wg sync.WaitGroup
	for _, r := range recs {
		wg.Go(func() {
			r.op.Lock()
			defer r.op.Unlock()
			s.mu.Lock()
			if r.gone || !bootRestart(r) {
				s.mu.Unlock()
				return
			}
			userStartLocked(r)
			s.mu.Unlock()
			if err := s.startLocked(context.WithoutCancel(ctx), r); err != nil {
				log.Printf("container %s: restart at daemon start: %v", r.ID[:12], err)
				s.mu.Lock()
				if r.State.Status == stateRestarting {
					s.setStoppedLocked(r)
				}
				s.mu.Unlock()
			}
		})
	}
	wg.Wait()
}

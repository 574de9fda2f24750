package network

import (
	"fmt"
	"log"
	"runtime"

	"github.com/vishvananda/netns"

	"github.com/wharf/wharf/internal/network/bridge"
)

// Why teardown is asynchronous: deleting a veth waits for an RCU grace
// period in the kernel (unregister_netdevice: 12-25 ms on this VM), the
// largest cost of a container's life on a bridge. Disconnect therefore only
// moves the endpoint from the record's Endpoints to its Leaving set (saved:
// a crash leaves it for Reconcile), drops its DNS names and returns; a
// goroutine deletes the veth, and only then is the address released, so it
// cannot be handed out while the old interface still holds it. Whoever
// needs the endpoint gone (the same container connecting again, network
// removal, Reconcile) settles it first, waiting for the goroutine.

// leaving is one endpoint whose veth a goroutine is deleting.
type leaving struct {
	done chan struct{} // closed once the veth is gone (or failed to go)
	err  error
}

func pendingKey(networkID, containerID string) string { return networkID + "/" + containerID }

// detach starts undoing Connect (see above); s.mu is held.
func (s *Service) detach(r *record, containerID string) error {
	ep := r.Endpoints[containerID]
	delete(r.Endpoints, containerID)
	if r.Leaving == nil {
		r.Leaving = map[string]*endpoint{}
	}
	r.Leaving[containerID] = ep
	s.reg.Remove(r.Name, containerID)
	err := s.save(r, false)
	s.refreshDNS(containerID)

	lv := &leaving{done: make(chan struct{})}
	key := pendingKey(r.ID, containerID)
	s.pending[key] = lv
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if s.holdTeardown != nil {
			<-s.holdTeardown
		}
		lv.err = s.inHostNetns(func() error { return bridge.Detach(ep.HostVeth) })
		close(lv.done)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.pending[key] == lv { // nobody settled it meanwhile
			if err := s.settle(r, containerID); err != nil {
				log.Printf("network %s: container %.12s: %v", r.Name, containerID, err)
			}
		}
	}()
	return err
}

// settle finishes the teardown of the container's leaving endpoint on r,
// waiting for its goroutine or, for one found on disk (a crash), deleting
// the veth now; then the address is released. s.mu is held.
func (s *Service) settle(r *record, containerID string) error {
	ep, ok := r.Leaving[containerID]
	if !ok {
		return nil
	}
	key := pendingKey(r.ID, containerID)
	lv, waited := s.pending[key]
	if waited {
		<-lv.done
		delete(s.pending, key)
	}
	// No background delete, or it failed: try (again) now. On error the
	// endpoint stays leaving for the next settle or Reconcile.
	if !waited || lv.err != nil {
		if err := bridge.Detach(ep.HostVeth); err != nil {
			return err
		}
	}
	if err := s.ipam.Release(r.ID, ep.Addr); err != nil {
		return err
	}
	delete(r.Leaving, containerID)
	return s.save(r, false)
}

// settleDone settles r's leaving endpoints whose veth is already gone (the
// goroutine has not taken s.mu yet), so that their addresses are free for
// the next connect; it never waits. s.mu is held.
func (s *Service) settleDone(r *record) {
	for cid := range r.Leaving {
		lv, ok := s.pending[pendingKey(r.ID, cid)]
		if !ok {
			continue
		}
		select {
		case <-lv.done:
			if err := s.settle(r, cid); err != nil {
				log.Printf("network %s: container %.12s: %v", r.Name, cid, err)
			}
		default:
		}
	}
}

// settleAll settles every leaving endpoint of r.
func (s *Service) settleAll(r *record) error {
	for cid := range r.Leaving {
		if err := s.settle(r, cid); err != nil {
			return fmt.Errorf("network %s: %w", r.Name, err)
		}
	}
	return nil
}

// inHostNetns runs fn on a thread in the service's own network namespace
// (the one New was called in: the host's in the daemon, a scratch one in
// tests). A thread that had to switch is never unlocked, so Go discards it.
func (s *Service) inHostNetns(fn func() error) error {
	runtime.LockOSThread()
	cur, err := netns.Get()
	if err != nil {
		return err
	}
	same := cur.Equal(s.hostNS)
	cur.Close()
	if same {
		defer runtime.UnlockOSThread()
		return fn()
	}
	if err := netns.Set(s.hostNS); err != nil {
		return fmt.Errorf("enter the network namespace: %w", err)
	}
	return fn()
}

package container

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// netnsFile is where the network namespace a container joins at create is
// bind-mounted while it runs ("" without an exec root). The daemon makes
// it and connects it to the bridge while the supervisor mounts the rootfs
// and creates the init, as Docker's sandboxes: the join is off the start's
// critical path. /proc/<pid>/ns/net names the same namespace afterwards.
func (s *Service) netnsFile(id string) string {
	if s.cfg.ExecRoot == "" {
		return ""
	}
	return filepath.Join(s.cfg.ExecRoot, id, "netns")
}

// newNetns bind-mounts a fresh network namespace (lo down) at path,
// replacing one a crashed run left there. It takes the spare namespace
// made in the background after the previous start, sparing the start the
// namespace's creation (0.5 ms).
func newNetns(path string) error {
	removeNetns(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	ns := spareNetns.take()
	if ns == nil {
		if ns, err = unshareNetns(); err != nil {
			removeNetns(path)
			return err
		}
	}
	defer ns.Close()
	if err := unix.Mount(fmt.Sprintf("/proc/self/fd/%d", ns.Fd()), path, "", unix.MS_BIND, ""); err != nil {
		removeNetns(path)
		return fmt.Errorf("mounting the network namespace: %w", err)
	}
	return nil
}

// spareNetns holds one unused network namespace, refilled after each take.
var spareNetns netnsSpare

type netnsSpare struct {
	mu      sync.Mutex
	ns      *os.File
	filling bool
}

func (p *netnsSpare) take() *os.File {
	p.mu.Lock()
	defer p.mu.Unlock()
	ns := p.ns
	p.ns = nil
	if !p.filling {
		p.filling = true
		go p.fill()
	}
	return ns
}

func (p *netnsSpare) fill() {
	ns, err := unshareNetns()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.filling = false
	if err != nil {
		log.Printf("spare network namespace: %v", err)
		return
	}
	if p.ns != nil {
		ns.Close()
		return
	}
	p.ns = ns
}

// unshareNetns creates a network namespace and returns a handle on it.
func unshareNetns() (*os.File, error) {
	type result struct {
		ns  *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		// unshare and setns act on this thread only; it goes back to the
		// daemon's namespace before it is released (or dies locked).
		goruntime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			goruntime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			goruntime.UnlockOSThread()
			done <- result{nil, fmt.Errorf("new network namespace: %w", err)}
			return
		}
		ns, err := os.Open("/proc/thread-self/ns/net")
		if serr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); serr != nil {
			if ns != nil {
				ns.Close()
			}
			done <- result{nil, fmt.Errorf("back to the daemon's network namespace: %w", serr)}
			return // the thread stays locked: Go ends it with the goroutine
		}
		goruntime.UnlockOSThread()
		done <- result{ns, err}
	}()
	r := <-done
	return r.ns, r.err
}

// removeNetns unmounts and removes a netns file; the namespace dies with
// its last user.
func removeNetns(path string) {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		log.Printf("unmount %s: %v", path, err)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		log.Printf("remove %s: %v", path, err)
	}
}

package bridge

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/wharf/wharf/internal/testenv"
)

// inScratchNetns pins the test goroutine to its thread and moves that thread
// into a new, empty network namespace, so the host's interfaces are never
// touched. The thread is never unlocked: Go ends it with the goroutine, and
// the namespace (with everything made in it) goes when its last user does.
func inScratchNetns(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	scratch, err := netns.New()
	if err != nil {
		orig.Close()
		t.Fatalf("new netns: %v", err)
	}
	t.Cleanup(func() {
		if err := netns.Set(orig); err != nil {
			t.Errorf("back to the original netns: %v", err)
		}
		orig.Close()
		scratch.Close()
	})
}

// containerNetns makes a named netns (/run/netns/NAME) standing in for a
// container's and deletes it at cleanup, also when the test fails.
func containerNetns(t *testing.T) (name, path string) {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name = "wharft-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name, "/run/netns/" + name
}

// ping sends one ICMP echo from inside the named netns with busybox.
func ping(ns, addr string) error {
	out, err := exec.Command("ip", "netns", "exec", ns, "busybox", "ping", "-c1", "-W1", addr).CombinedOutput()
	if err != nil {
		return &pingError{ns: ns, addr: addr, out: strings.TrimSpace(string(out)), err: err}
	}
	return nil
}

type pingError struct {
	ns, addr, out string
	err           error
}

func (e *pingError) Error() string {
	return "ping " + e.addr + " from " + e.ns + ": " + e.err.Error() + ": " + e.out
}

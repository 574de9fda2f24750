package network

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/wharf/wharf/internal/errdefs"
)

// Disconnect returns before the veth is gone; the address stays taken
// until it is, a crash meanwhile is finished by Reconcile, and the same
// container may connect again at once.
func TestDisconnectTeardown(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	root := t.TempDir()
	s, err := New(Config{Root: root, DNSUpstreams: []string{}})
	must(t, err)
	hold := make(chan struct{})
	s.holdTeardown = hold
	released := false
	release := func() {
		if !released {
			released = true
			close(hold)
		}
	}
	t.Cleanup(func() { release(); s.Close() })
	n, err := s.Create(ctx, "n", CreateOptions{Subnet: "10.88.0.0/24"})
	must(t, err)
	a, b := newCtr(t), newCtr(t)
	epA, err := s.Connect(ctx, "n", a.id, a.path, EndpointOptions{Name: "a", IPv4: "10.88.0.5"})
	must(t, err)
	must(t, s.Disconnect(ctx, "n", a.id))

	if len(s.Endpoints(a.id)) != 0 {
		t.Fatal("endpoint still listed after Disconnect")
	}
	if _, err := netlink.LinkByName(epA.HostVeth); err != nil {
		t.Fatalf("the held teardown already removed the veth: %v", err)
	}
	_, err = s.Connect(ctx, "n", b.id, b.path, EndpointOptions{Name: "b", IPv4: "10.88.0.5"})
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("address of a veth being deleted handed out again: %v", err)
	}
	rec, err := os.ReadFile(s.recordPath(n.ID))
	must(t, err)
	if !strings.Contains(string(rec), `"leaving"`) {
		t.Fatalf("record on disk does not show the leaving endpoint:\n%s", rec)
	}

	// A daemon killed now: the next one finishes the teardown at Reconcile.
	s2 := openService(t, root)
	// And an address allocated by a daemon killed before it saved the endpoint.
	ghost, err := s2.ipam.Allocate(n.ID, "ghost", netip.Addr{})
	must(t, err)
	must(t, s2.Reconcile(ctx, map[string]string{}))
	if o := s2.ipam.Owner(n.ID, ghost); o != "" {
		t.Fatalf("orphan allocation kept by Reconcile: %s", o)
	}
	if _, err := netlink.LinkByName(epA.HostVeth); err == nil {
		t.Fatal("veth of a leaving endpoint survives Reconcile")
	}
	if o := s2.ipam.Owner(n.ID, epA.IPAddress); o != "" {
		t.Fatalf("address still owned by %s after Reconcile", o)
	}
	release()
	s.Close()

	epB, err := s2.Connect(ctx, "n", b.id, b.path, EndpointOptions{Name: "b", IPv4: "10.88.0.5"})
	must(t, err)
	// The same container again, at once: the old veth (same name) goes first.
	must(t, s2.Disconnect(ctx, "n", b.id))
	epB2, err := s2.Connect(ctx, "n", b.id, b.path, EndpointOptions{Name: "b"})
	must(t, err)
	if epB2.IfName != "eth0" || epB2.HostVeth != epB.HostVeth {
		t.Fatalf("reconnect: %+v", epB2)
	}
	c := newCtr(t)
	connect(t, s2, "n", c, "c")
	if err := c.ping(epB2.IPAddress); err != nil {
		t.Fatalf("reconnected container unreachable: %v", err)
	}

	// Without a hold, the veth goes shortly after Disconnect.
	must(t, s2.Disconnect(ctx, "n", b.id))
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, err := netlink.LinkByName(epB2.HostVeth); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("veth still there 3 s after Disconnect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	must(t, s2.Disconnect(ctx, "n", c.id))
	must(t, s2.Remove("n"))
	if _, err := os.Stat(s2.recordPath(n.ID)); !os.IsNotExist(err) {
		t.Fatalf("record of the removed network: %v", err)
	}
}

package network

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
)

// TestConnectHostnameAndIfname: the container's hostname resolves on a
// user network (moby's TestHostnameDnsResolution) and the endpoint option
// com.docker.network.endpoint.ifname names its interface (moby's
// TestEndpointWithCustomIfname); both survive a restart of the service.
func TestConnectHostnameAndIfname(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	root := t.TempDir()
	s, err := New(Config{Root: root, DNSUpstreams: []string{}})
	must(t, err)
	_, err = s.Create(ctx, "front", CreateOptions{Subnet: "10.78.0.0/24"})
	must(t, err)
	_, err = s.Create(ctx, "back", CreateOptions{Subnet: "10.79.0.0/24"})
	must(t, err)
	c := newCtr(t)
	ep, err := s.Connect(ctx, "front", c.id, c.path, EndpointOptions{Name: "web", Hostname: "foobar", IfName: "foobar"})
	must(t, err)
	if ep.IfName != "foobar" {
		t.Fatalf("IfName %q, want foobar", ep.IfName)
	}
	if out, err := c.run("ip", "-o", "link", "show", "foobar"); err != nil || !strings.Contains(out, ": foobar@if") {
		t.Fatalf("ip link show foobar: %v %s", err, out)
	}
	resolves := func(s *Service) {
		t.Helper()
		if got := s.reg.Resolve("front", "foobar"); len(got) != 1 || got[0] != ep.IPAddress {
			t.Fatalf("foobar resolves to %v, want %v", got, ep.IPAddress)
		}
		if out, err := c.run("nslookup", "foobar", "127.0.0.11"); err != nil || !strings.Contains(out, ep.IPAddress.String()) {
			t.Fatalf("nslookup foobar in the container: %v %s", err, out)
		}
	}
	resolves(s)
	if _, err := s.Connect(ctx, "back", c.id, c.path, EndpointOptions{Name: "web", IfName: "foobar"}); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("a second foobar interface: %v", err)
	}
	if _, err := s.Connect(ctx, "back", c.id, c.path, EndpointOptions{Name: "web", IfName: "a/b"}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("interface name a/b: %v", err)
	}
	ep2, err := s.Connect(ctx, "back", c.id, c.path, EndpointOptions{Name: "web"})
	must(t, err)
	if ep2.IfName != "eth0" {
		t.Errorf("next interface after foobar: %q, want eth0", ep2.IfName)
	}

	s.Close()
	s = openService(t, root)
	must(t, s.Reconcile(ctx, map[string]string{c.id: c.path}))
	resolves(s)
	must(t, s.Disconnect(ctx, "front", c.id))
	must(t, s.Disconnect(ctx, "back", c.id))
}

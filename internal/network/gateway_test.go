package network

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/network/nat"
)

// The default route goes where Docker puts it: of the networks that are
// not --internal, the highest gw-priority, ties to the first by name;
// recomputed at each connect and disconnect. Ports published go there too.
func TestGatewayFollowsNetworks(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	s := openService(t, t.TempDir())
	_, err := s.Create(ctx, "priv", CreateOptions{Subnet: "10.83.0.0/24", Internal: true})
	must(t, err)
	_, err = s.Create(ctx, "b", CreateOptions{Subnet: "10.82.0.0/24"})
	must(t, err)
	_, err = s.Create(ctx, "a", CreateOptions{Subnet: "10.81.0.0/24"})
	must(t, err)
	_, err = s.Create(ctx, "c", CreateOptions{Subnet: "10.84.0.0/24"})
	must(t, err)
	c := newCtr(t)
	route := func() string {
		out, err := c.run("ip", "route")
		if err != nil {
			t.Fatalf("ip route: %v %s", err, out)
		}
		var d []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "default") {
				d = append(d, strings.TrimSpace(l))
			}
		}
		return strings.Join(d, "; ")
	}
	outside := netip.MustParseAddr("10.99.0.1")

	connect(t, s, "priv", c, "c")
	if r := route(); r != "" {
		t.Fatalf("default route on an internal network: %q", r)
	}
	connect(t, s, "b", c, "c") // eth1
	if r := route(); !strings.HasPrefix(r, "default via 10.82.0.1 dev eth1") {
		t.Fatalf("after joining b: %q, want the route via b", r)
	}
	connect(t, s, "a", c, "c") // eth2: same priority, first by name
	if r := route(); !strings.HasPrefix(r, "default via 10.81.0.1 dev eth2") {
		t.Fatalf("after joining a: %q, want it via a", r)
	}
	_, err = s.Connect(ctx, "c", c.id, c.path, EndpointOptions{Name: "c", GwPriority: 10}) // eth3
	must(t, err)
	if r := route(); !strings.HasPrefix(r, "default via 10.84.0.1 dev eth3") {
		t.Fatalf("after joining c with gw-priority 10: %q, want it via c", r)
	}
	if ep := s.Endpoints(c.id)["c"]; !ep.DefaultRoute || ep.GwPriority != 10 || s.Endpoints(c.id)["a"].DefaultRoute {
		t.Fatalf("endpoints do not say which has the route: %+v", s.Endpoints(c.id))
	}
	must(t, s.Disconnect(ctx, "c", c.id))
	if r := route(); !strings.HasPrefix(r, "default via 10.81.0.1 dev eth2") {
		t.Fatalf("after leaving c: %q, want it back via a", r)
	}
	must(t, s.Disconnect(ctx, "a", c.id))
	if r := route(); !strings.HasPrefix(r, "default via 10.82.0.1 dev eth1") {
		t.Fatalf("after leaving a: %q, want it via b (priv is internal)", r)
	}
	if err := c.ping(outside); err != nil {
		t.Fatalf("no way out after the gateway moved: %v", err)
	}
	serve(t, c, "8080")
	ports := []nat.Port{{Proto: "tcp", HostPort: 18090, ContainerPort: 8080}}
	must(t, s.Publish(c.id, ports))
	if ports[0].ContainerIP.String() != s.Endpoints(c.id)["b"].IPAddress.String() {
		t.Fatalf("port published to %s, want b's address (it has the route)", ports[0].ContainerIP)
	}
	if got, err := get("127.0.0.1:18090"); err != nil || got != "hello" {
		t.Fatalf("published port: %q %v", got, err)
	}
	must(t, s.Unpublish(c.id))

	// Restarted daemons keep knowing which endpoint has the route.
	s.Close()
	s2 := openService(t, s.cfg.Root)
	must(t, s2.Disconnect(ctx, "b", c.id))
	if r := route(); r != "" {
		t.Fatalf("only the internal network left: %q", r)
	}
	must(t, s2.Disconnect(ctx, "priv", c.id))
	for _, n := range []string{"a", "b", "c", "priv"} {
		must(t, s2.Remove(n))
	}
}

// A default route the container set itself (on an internal network) is
// not overwritten by a connect: Docker's "failed to set gateway: file
// exists", and the connect leaves nothing behind.
func TestConnectKeepsUsersDefaultRoute(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	s := openService(t, t.TempDir())
	_, err := s.Create(ctx, "priv", CreateOptions{Subnet: "10.85.0.0/24", Internal: true})
	must(t, err)
	_, err = s.Create(ctx, "ext", CreateOptions{Subnet: "10.86.0.0/24"})
	must(t, err)
	c := newCtr(t)
	connect(t, s, "priv", c, "c")
	if out, err := c.run("ip", "route", "add", "default", "via", "10.85.0.1"); err != nil {
		t.Fatalf("ip route add: %v %s", err, out)
	}
	_, err = s.Connect(ctx, "ext", c.id, c.path, EndpointOptions{Name: "c"})
	if err == nil || !strings.Contains(err.Error(), "failed to set gateway: file exists") {
		t.Fatalf("connect over the user's default route: %v", err)
	}
	if _, ok := s.Endpoints(c.id)["ext"]; ok {
		t.Fatal("the failed connect left an endpoint")
	}
	if out, _ := c.run("ip", "link"); strings.Contains(out, "eth1") {
		t.Fatalf("the failed connect left an interface:\n%s", out)
	}
	if out, _ := c.run("ip", "route"); !strings.Contains(out, "default via 10.85.0.1") {
		t.Fatalf("the user's route is gone:\n%s", out)
	}
	must(t, s.Disconnect(ctx, "priv", c.id))
	must(t, s.Remove("priv"))
	must(t, s.Remove("ext"))
}

// A connect right after a disconnect gets the freed interface name back
// (Docker hands eth0 out again), though the old veth is still being
// deleted in the background.
func TestReconnectReusesFreedIfName(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	s := openService(t, t.TempDir())
	for i, n := range []string{"n0", "n1", "n2"} {
		_, err := s.Create(ctx, n, CreateOptions{Subnet: fmt.Sprintf("10.9%d.0.0/24", i)})
		must(t, err)
	}
	c := newCtr(t)
	for i, n := range []string{"n0", "n1", "n2"} {
		if ep := connect(t, s, n, c, "c"); ep.IfName != fmt.Sprintf("eth%d", i) {
			t.Fatalf("%s: %s", n, ep.IfName)
		}
	}
	must(t, s.Disconnect(ctx, "n0", c.id))
	must(t, s.Disconnect(ctx, "n2", c.id))
	if ep := connect(t, s, "n2", c, "c"); ep.IfName != "eth0" {
		t.Fatalf("reconnected as %s, want the freed eth0", ep.IfName)
	}
	if out, _ := c.run("ip", "-o", "-4", "addr", "show", "eth0"); !strings.Contains(out, "10.92.0.") {
		t.Fatalf("eth0 in the container:\n%s", out)
	}
	for _, n := range []string{"n1", "n2"} {
		must(t, s.Disconnect(ctx, n, c.id))
	}
	for _, n := range []string{"n0", "n1", "n2"} {
		must(t, s.Remove(n))
	}
}

// Release (the container is gone) detaches every endpoint and leaves the
// namespace's routes alone: no route is moved between networks.
func TestReleaseMovesNoRoute(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	s := openService(t, t.TempDir())
	for i, n := range []string{"ra", "rb"} {
		_, err := s.Create(ctx, n, CreateOptions{Subnet: fmt.Sprintf("10.7%d.0.0/24", i)})
		must(t, err)
	}
	c := newCtr(t)
	connect(t, s, "ra", c, "c")
	connect(t, s, "rb", c, "c")
	must(t, s.Release(c.id))
	if eps := s.Endpoints(c.id); len(eps) != 0 {
		t.Fatalf("endpoints after Release: %v", eps)
	}
	if out, _ := c.run("ip", "route"); strings.Contains(out, "via 10.71.0.1") {
		t.Fatalf("Release moved the default route to rb:\n%s", out)
	}
	must(t, s.Remove("ra"))
	must(t, s.Remove("rb"))
}

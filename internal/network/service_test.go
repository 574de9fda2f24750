package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/nat"
	"github.com/wharf/wharf/internal/testenv"
)

// inScratchHost pins the test goroutine to its thread and moves that thread
// into a new network namespace standing in for the host. The thread is
// never unlocked: Go discards it with the test goroutine, so the host's own
// links and rules are never touched.
func inScratchHost(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t)
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	host, err := netns.New()
	if err != nil {
		orig.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = netns.Set(orig)
		orig.Close()
		host.Close()
	})
	lo, err := netlink.LinkByName("lo")
	must(t, err)
	must(t, netlink.LinkSetUp(lo))
	// An "outside" address on the host (a veth pair: no dummy module here), for routes out of the networks.
	must(t, netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "outside0"}, PeerName: "outside1"}))
	out, err := netlink.LinkByName("outside0")
	must(t, err)
	a, _ := netlink.ParseAddr("10.99.0.1/24")
	must(t, netlink.AddrAdd(out, a))
	must(t, netlink.LinkSetUp(out))
	peer, err := netlink.LinkByName("outside1")
	must(t, err)
	must(t, netlink.LinkSetUp(peer))
}

// ctr is a container stand-in: a named netns (/run/netns/NAME).
type ctr struct{ id, ns, path string }

func newCtr(t testing.TB) ctr {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	name := "wharfn-" + id[:8]
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return ctr{id: id, ns: name, path: "/run/netns/" + name}
}

func (c ctr) run(args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", c.ns, "busybox"}, args...)...).CombinedOutput()
	return string(out), err
}

func (c ctr) ping(addr netip.Addr) error {
	out, err := c.run("ping", "-c1", "-W1", addr.String())
	if err != nil {
		return errors.New(strings.TrimSpace(out))
	}
	return nil
}

// openService starts a network service on root (its records) in the
// scratch host, closed at the end of the test.
func openService(t testing.TB, root string) *Service {
	t.Helper()
	s, err := New(Config{Root: root, DNSUpstreams: []string{}})
	must(t, err)
	t.Cleanup(s.Close)
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func connect(t *testing.T, s *Service, network string, c ctr, name string, aliases ...string) Endpoint {
	t.Helper()
	ep, err := s.Connect(context.Background(), network, c.id, c.path, EndpointOptions{Name: name, Aliases: aliases})
	if err != nil {
		t.Fatalf("connect %s to %s: %v", name, network, err)
	}
	return ep
}

// serve answers "hello" on TCP port in the container's namespace.
func serve(t *testing.T, c ctr, port string) {
	var ln net.Listener
	must(t, inNetns(c.path, func() (err error) { ln, err = net.Listen("tcp4", ":"+port); return err }))
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Write([]byte("hello"))
			conn.Close()
		}
	}()
}

func get(addr string) (string, error) {
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestService(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	root := t.TempDir()
	s := openService(t, root)

	def, err := s.Get("bridge")
	must(t, err)
	if def.Driver != "bridge" || def.IPAM.Config[0].Subnet.String() != "172.17.0.0/16" || def.Options[OptBridgeName] != "wharf0" {
		t.Fatalf("default network: %+v", def)
	}
	if n := len(s.List()); n != 3 {
		t.Fatalf("List has %d networks, want bridge, host, none", n)
	}
	front, err := s.Create(ctx, "front", CreateOptions{Labels: map[string]string{"a": "b"}})
	must(t, err)
	_, err = s.Create(ctx, "back", CreateOptions{Subnet: "10.77.0.0/24", Options: map[string]string{OptBridgeName: "wharfback"}})
	must(t, err)
	_, err = s.Create(ctx, "intern", CreateOptions{Internal: true})
	must(t, err)
	if _, err := s.Create(ctx, "front", CreateOptions{}); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	// Docker's words and kind (moby's TestCreateDeletePredefinedNetworks).
	for _, name := range []string{"bridge", "host", "none"} {
		_, err := s.Create(ctx, name, CreateOptions{})
		if !errors.Is(err, errdefs.ErrForbidden) || !strings.Contains(err.Error(), "operation is not permitted on predefined "+name+" network") {
			t.Fatalf("create predefined %s: %v", name, err)
		}
	}
	if _, err := s.Create(ctx, "overlap", CreateOptions{Subnet: "10.77.0.128/25"}); !errors.Is(err, errdefs.ErrForbidden) {
		t.Fatalf("overlapping subnet: %v", err)
	}
	if got, err := s.Get(front.ID[:10]); err != nil || got.Name != "front" {
		t.Fatalf("Get by ID prefix: %v %v", got.Name, err)
	}

	web, db, other, priv, plain := newCtr(t), newCtr(t), newCtr(t), newCtr(t), newCtr(t)
	webEP := connect(t, s, "front", web, "web")
	dbEP := connect(t, s, "front", db, "db", "database")
	otherEP := connect(t, s, "back", other, "other")
	connect(t, s, "intern", priv, "priv")
	connect(t, s, "bridge", plain, "plain")
	if webEP.IfName != "eth0" || webEP.Gateway != front.IPAM.Config[0].Gateway || webEP.MacAddress.String()[:6] != "02:42:" {
		t.Fatalf("web endpoint: %+v", webEP)
	}

	step(t, "same network reaches and resolves", func() {
		if err := web.ping(dbEP.IPAddress); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"db", "database", db.id[:12]} {
			out, err := web.run("nslookup", name, ResolverIP)
			if err != nil || !strings.Contains(out, dbEP.IPAddress.String()) {
				t.Fatalf("nslookup %s: %v\n%s", name, err, out)
			}
		}
		if ns, ok := s.DNS(web.id); !ok || ns[0] != ResolverIP {
			t.Fatalf("DNS(web) = %v %v", ns, ok)
		}
		if _, ok := s.DNS(plain.id); ok {
			t.Fatal("the default bridge got an embedded resolver")
		}
	})

	step(t, "networks are isolated", func() {
		if err := web.ping(otherEP.IPAddress); err == nil {
			t.Fatal("front reached back")
		}
		// The isolation rules are what stop it: lifted, the ping passes.
		r, _ := s.find("front")
		b, _ := s.find("back")
		must(t, s.nat.Forget(r.Bridge))
		must(t, s.nat.Forget(b.Bridge))
		if err := web.ping(otherEP.IPAddress); err != nil {
			t.Fatalf("without isolation rules: %v", err)
		}
		must(t, s.setup(r))
		must(t, s.setup(b))
		if err := web.ping(otherEP.IPAddress); err == nil {
			t.Fatal("front reached back after the rules came back")
		}
	})

	step(t, "internal has no route out", func() {
		outside := netip.MustParseAddr("10.99.0.1")
		if err := web.ping(outside); err != nil {
			t.Fatalf("front to outside: %v", err)
		}
		if err := priv.ping(outside); err == nil {
			t.Fatal("internal network reached outside")
		}
		// Inside the internal network traffic flows; across to another network it does not, either way.
		priv2 := newCtr(t)
		ep2 := connect(t, s, "intern", priv2, "priv2")
		if err := priv.ping(ep2.IPAddress); err != nil {
			t.Fatalf("within the internal network: %v", err)
		}
		if err := priv.ping(webEP.IPAddress); err == nil {
			t.Fatal("internal network reached a container on front")
		}
		if err := web.ping(ep2.IPAddress); err == nil {
			t.Fatal("front reached a container on the internal network")
		}
		must(t, s.Disconnect(ctx, "intern", priv2.id))
	})

	step(t, "publish", func() {
		serve(t, web, "8080")
		must(t, s.Publish(web.id, []nat.Port{{Proto: "tcp", HostPort: 18080, ContainerPort: 8080}}))
		for _, addr := range []string{"127.0.0.1:18080", "10.99.0.1:18080"} {
			if got, err := get(addr); err != nil || got != "hello" {
				t.Fatalf("GET %s: %q %v", addr, got, err)
			}
		}
		// Hairpin: the container reaches its own published port through the host's address.
		if out, err := web.run("nc", "-w", "2", "10.99.0.1", "18080"); err != nil || out != "hello" {
			t.Fatalf("hairpin to its own published port: %q %v", out, err)
		}
		err := s.Publish(db.id, []nat.Port{{Proto: "tcp", HostPort: 18080, ContainerPort: 80}})
		want := "failed to set up container networking: Bind for 0.0.0.0:18080 failed: port is already allocated: held by container web (" + web.id[:12] + ")"
		if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
			t.Fatalf("port taken by web: %v", err)
		}
		ln, err := net.Listen("tcp4", "127.0.0.1:18081")
		must(t, err)
		defer ln.Close()
		err = s.Publish(db.id, []nat.Port{{Proto: "tcp", HostPort: 18082, ContainerPort: 80}, {Proto: "tcp", HostPort: 18081, ContainerPort: 80}})
		want = fmt.Sprintf("failed to set up container networking: Bind for 0.0.0.0:18081 failed: address already in use by pid %d (%s)", os.Getpid(), procComm(t, os.Getpid()))
		if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
			t.Fatalf("port held by a host program: %v", err)
		}
		if owned(t, s, db.id) != 0 {
			t.Fatal("a failed Publish left rules behind")
		}
		// A random host port never lands on one already forwarded (no socket holds it, so the kernel may offer it).
		picks := []uint16{18080}
		freePort = func(p nat.Port) (uint16, error) {
			if len(picks) > 0 {
				hp := picks[0]
				picks = picks[1:]
				return hp, nil
			}
			return ephemeral(p)
		}
		defer func() { freePort = ephemeral }()
		ports := []nat.Port{{Proto: "tcp", ContainerPort: 80}}
		must(t, s.Publish(db.id, ports))
		if hp := ports[0].HostPort; hp == 0 || hp == 18080 || len(picks) != 0 {
			t.Fatalf("random host port %d (offered 18080, held by web)", hp)
		}
		must(t, s.Unpublish(db.id))
	})

	step(t, "remove refuses", func() {
		if err := s.Remove("front"); !errors.Is(err, errdefs.ErrForbidden) || !strings.Contains(err.Error(), "has active endpoints") {
			t.Fatalf("remove with endpoints: %v", err)
		}
		for _, n := range []string{"bridge", "host", "none"} {
			if err := s.Remove(n); !errors.Is(err, errdefs.ErrForbidden) {
				t.Fatalf("remove %s: %v", n, err)
			}
		}
	})

	step(t, "reconcile drops dead containers", func() {
		must(t, s.Publish(db.id, []nat.Port{{Proto: "tcp", HostPort: 18083, ContainerPort: 80}}))
		live := map[string]string{web.id: web.path, other.id: other.path, priv.id: priv.path, plain.id: plain.path}
		must(t, s.Reconcile(ctx, live))
		if _, err := netlink.LinkByName(dbEP.HostVeth); err == nil {
			t.Fatal("dead container's veth remains")
		}
		if o := s.ipam.Owner(front.ID, dbEP.IPAddress); o != "" {
			t.Fatalf("dead container's address still owned by %s", o)
		}
		if a := s.reg.Resolve("front", "db"); len(a) != 0 {
			t.Fatalf("dead container still resolves: %v", a)
		}
		if owned(t, s, db.id) != 0 {
			t.Fatal("dead container's rules remain")
		}
		if got, err := get("127.0.0.1:18080"); err != nil || got != "hello" {
			t.Fatalf("live container's port after reconcile: %q %v", got, err)
		}
		if len(s.Endpoints(db.id)) != 0 || len(s.Endpoints(web.id)) != 1 {
			t.Fatal("endpoints after reconcile")
		}
	})

	step(t, "restart keeps state", func() {
		s.Close()
		s2 := openService(t, root)
		live := map[string]string{web.id: web.path, other.id: other.path, priv.id: priv.path, plain.id: plain.path}
		must(t, s2.Reconcile(ctx, live))
		got, err := s2.Get("front")
		if err != nil || got.ID != front.ID || len(got.Containers) != 1 {
			t.Fatalf("front after restart: %+v %v", got, err)
		}
		connect(t, s2, "front", db, "db")
		out, err := web.run("nslookup", "db", ResolverIP)
		if err != nil || !strings.Contains(out, "Address") {
			t.Fatalf("DNS after restart: %v\n%s", err, out)
		}
		for _, c := range []ctr{web, db} {
			must(t, s2.Disconnect(ctx, "front", c.id))
		}
		must(t, s2.Unpublish(web.id))
		must(t, s2.Disconnect(ctx, "back", other.id))
		must(t, s2.Disconnect(ctx, "intern", priv.id))
		must(t, s2.Disconnect(ctx, "bridge", plain.id))
		must(t, s2.Remove("front"))
		pruned, err := s2.Prune()
		if err != nil || strings.Join(pruned, ",") != "back,intern" {
			t.Fatalf("prune: %v %v", pruned, err)
		}
		rules, err := s2.nat.Rules()
		must(t, err)
		for _, r := range rules {
			if r.Owner != nat.NetOwner("wharf0") {
				t.Errorf("rule left behind: %+v", r)
			}
		}
		if _, err := netlink.LinkByName("wharfback"); err == nil {
			t.Error("bridge of a removed network remains")
		}
	})
}

// step runs one part of a scenario on the test goroutine itself: unlike
// t.Run, whose goroutine would not be pinned to the scratch host's thread
// and would reach the real host's links and rules.
func step(t *testing.T, name string, fn func()) {
	t.Helper()
	t.Logf("step: %s", name)
	fn()
}

// owned counts the rules of one owner.
func owned(t *testing.T, s *Service, owner string) int {
	rules, err := s.nat.Rules()
	must(t, err)
	n := 0
	for _, r := range rules {
		if r.Owner == owner {
			n++
		}
	}
	return n
}

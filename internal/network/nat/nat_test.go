package nat

import (
	"bufio"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"github.com/wharf/wharf/internal/errdefs"
)

const (
	hostVeth = "wharfh0"
	ctrVeth  = "wharfc0"
	greeting = "hello from the container"
)

var (
	hostAddr = netip.MustParseAddr("10.231.0.1")
	ctrAddr  = netip.MustParseAddr("10.231.0.2")
	subnet   = netip.MustParsePrefix("10.231.0.0/24")
)

// topology is a throwaway "host" netns (the test goroutine's thread lives in
// it) joined by a veth pair to a "container" netns running a TCP server.
type topology struct {
	host, ctr netns.NsHandle
}

// newTopology locks the test goroutine to its thread and moves that thread
// into a new netns. The thread is never unlocked, so Go discards it when the
// test ends: nothing of the host's ruleset is ever visible to the test.
func newTopology(t *testing.T) *topology {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	host, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := netns.New() // also moves the thread; go back to host below
	if err != nil {
		t.Fatal(err)
	}
	if err := netns.Set(host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		host.Close()
		ctr.Close()
		_ = netns.Set(orig) // the namespaces die with their last reference
		orig.Close()
	})
	top := &topology{host: host, ctr: ctr}

	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostVeth}, PeerName: ctrVeth}
	must(t, netlink.LinkAdd(veth))
	peer, err := netlink.LinkByName(ctrVeth)
	must(t, err)
	must(t, netlink.LinkSetNsFd(peer, int(ctr)))
	upWithAddr(t, nil, hostVeth, netip.PrefixFrom(hostAddr, 24))
	ch, err := netlink.NewHandleAt(ctr)
	must(t, err)
	defer ch.Close()
	upWithAddr(t, ch, ctrVeth, netip.PrefixFrom(ctrAddr, 24))
	must(t, os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644))
	top.serve(t)
	return top
}

func upWithAddr(t *testing.T, h *netlink.Handle, name string, p netip.Prefix) {
	if h == nil {
		h = &netlink.Handle{}
	}
	for _, n := range []string{"lo", name} {
		l, err := h.LinkByName(n)
		must(t, err)
		must(t, h.LinkSetUp(l))
		if n == name {
			a, _ := netlink.ParseAddr(p.String())
			must(t, h.AddrAdd(l, a))
		}
	}
}

// inNS runs fn on a thread in ns (sockets belong to the netns of the thread
// that creates them).
func inNS(ns netns.NsHandle, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is discarded
		if err := netns.Set(ns); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	return <-done
}

// serve starts the container's server on :80; it answers greeting and the
// peer address it saw.
func (top *topology) serve(t *testing.T) {
	var ln net.Listener
	must(t, inNS(top.ctr, func() (err error) {
		ln, err = net.Listen("tcp", ":80")
		return err
	}))
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(greeting + " " + c.RemoteAddr().(*net.TCPAddr).IP.String() + "\n"))
			c.Close()
		}
	}()
}

// get dials addr from the current thread's netns and returns the answer.
func get(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantAnswer(t *testing.T, addr, from string) {
	t.Helper()
	got, err := get(addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	if want := greeting + " " + from + "\n"; got != want {
		t.Fatalf("dial %s: got %q, want %q", addr, got, want)
	}
}

func wantRefused(t *testing.T, addr string) {
	t.Helper()
	if got, err := get(addr); err == nil {
		t.Fatalf("dial %s: answered %q after unpublish", addr, got)
	} else if !strings.Contains(err.Error(), "refused") {
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
}

// foreignTable adds "table ip filter { chain input { ... counter } }", the
// kind of table iptables-nft owns, and returns a check that it is intact.
func foreignTable(t *testing.T, top *topology) func() {
	c, err := nftables.New(nftables.WithNetNSFd(int(top.host)))
	must(t, err)
	tb := c.AddTable(&nftables.Table{Name: "filter", Family: nftables.TableFamilyIPv4})
	ch := c.AddChain(&nftables.Chain{Name: "INPUT", Table: tb, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter})
	c.AddRule(&nftables.Rule{Table: tb, Chain: ch, Exprs: []expr.Any{&expr.Counter{}}})
	must(t, c.Flush())
	return func() {
		t.Helper()
		rs, err := c.GetRules(tb, ch)
		if err != nil || len(rs) != 1 {
			t.Fatalf("foreign table ip filter damaged: %d rules, %v", len(rs), err)
		}
	}
}

func newTable(t *testing.T, top *topology) *Table {
	tb, err := New(WithNetNS(int(top.host)))
	must(t, err)
	must(t, tb.Ensure())
	must(t, tb.Ensure()) // idempotent
	return tb
}

var web = Port{Proto: "tcp", HostPort: 8080, ContainerIP: ctrAddr, ContainerPort: 80, Bridge: hostVeth, ID: "ctr1"}

func TestPublish(t *testing.T) {
	top := newTopology(t)
	intact := foreignTable(t, top)
	tb := newTable(t, top)
	if tb.Backend() != "nftables" {
		t.Fatal(tb.Backend())
	}
	must(t, tb.Masquerade(subnet, hostVeth))

	must(t, tb.Publish(web))
	must(t, tb.Publish(web)) // idempotent
	if rs, _ := tb.Rules(); len(rs) != 5 {
		t.Fatalf("want 5 rules (masquerade + 4 for the port), got %+v", rs)
	}
	// The host's own address and loopback both reach the container; the
	// loopback source is masqueraded to the host-side address.
	wantAnswer(t, hostAddr.String()+":8080", hostAddr.String())
	wantAnswer(t, "127.0.0.1:8080", hostAddr.String())
	// Hairpin: the container reaches its own published port via the host.
	must(t, inNS(top.ctr, func() error {
		got, err := get(hostAddr.String() + ":8080")
		if err == nil && got != greeting+" "+hostAddr.String()+"\n" {
			err = errors.New("hairpin answer: " + got)
		}
		return err
	}))

	other := web
	other.ID, other.HostIP = "ctr2", netip.MustParseAddr("127.0.0.1")
	var pa *PortAllocatedError
	if err := tb.Publish(other); !errors.Is(err, errdefs.ErrConflict) || !errors.As(err, &pa) || pa.Owner != "ctr1" ||
		!strings.HasSuffix(err.Error(), "failed: port is already allocated") {
		t.Fatalf("publish over a taken port: %v, want a conflict naming ctr1", err)
	}

	must(t, tb.Unpublish(web))
	wantRefused(t, hostAddr.String()+":8080")
	wantRefused(t, "127.0.0.1:8080")
	if rs, _ := tb.Rules(); len(rs) != 1 {
		t.Fatalf("after unpublish want only the masquerade rule, got %+v", rs)
	}
	must(t, tb.RemoveMasquerade(subnet, hostVeth))
	intact()
	must(t, tb.Delete())
	intact()
}

func TestReconcile(t *testing.T) {
	top := newTopology(t)
	intact := foreignTable(t, top)
	tb := newTable(t, top)
	stale := Port{Proto: "udp", HostPort: 5353, ContainerIP: ctrAddr, ContainerPort: 53, Bridge: hostVeth, ID: "dead"}
	must(t, tb.Publish(web))
	must(t, tb.Publish(stale))
	must(t, tb.Masquerade(subnet, hostVeth))
	must(t, tb.Internal("wharfx0"))
	must(t, tb.Isolate(hostVeth, "wharfx0"))

	// A restarted daemon opens a fresh Table and keeps only what it knows.
	tb2, err := New(WithNetNS(int(top.host)))
	must(t, err)
	must(t, tb2.Ensure())
	must(t, tb2.Reconcile(map[string]bool{"ctr1": true, NetOwner(hostVeth): true}))
	rs, err := tb2.Rules()
	must(t, err)
	for _, r := range rs {
		if r.Owner != "ctr1" && r.Owner != NetOwner(hostVeth) {
			t.Errorf("stale rule survived: %+v", r)
		}
	}
	if len(rs) != 6 { // 4 port rules, masquerade, isolate wharfh0>wharfx0
		t.Errorf("want 6 rules kept, got %d: %+v", len(rs), rs)
	}
	wantAnswer(t, "127.0.0.1:8080", hostAddr.String())
	must(t, tb2.Reconcile(nil))
	wantRefused(t, "127.0.0.1:8080")
	intact()
}

package ipam

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
)

var (
	bridgeNet = netip.MustParsePrefix("172.17.0.0/16")
	noAddr    netip.Addr
	noPrefix  netip.Prefix
)

func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ipam.json")
	s, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

func alloc(t *testing.T, s *Store, network, owner string, want netip.Addr) netip.Addr {
	t.Helper()
	a, err := s.Allocate(network, owner, want)
	if err != nil {
		t.Fatalf("Allocate(%s, %s, %v): %v", network, owner, want, err)
	}
	return a
}

func TestAllocateSkipsGatewayLowestFree(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Add("bridge", bridgeNet, noAddr, noPrefix); err != nil {
		t.Fatal(err)
	}
	_, gw, err := s.Gateway("bridge")
	if err != nil || gw != netip.MustParseAddr("172.17.0.1") {
		t.Fatalf("gateway = %v, %v; want 172.17.0.1", gw, err)
	}
	a := alloc(t, s, "bridge", "c1", noAddr)
	b := alloc(t, s, "bridge", "c2", noAddr)
	if a.String() != "172.17.0.2" || b.String() != "172.17.0.3" {
		t.Fatalf("got %v, %v; want 172.17.0.2, 172.17.0.3", a, b)
	}
	if err := s.Release("bridge", a); err != nil {
		t.Fatal(err)
	}
	// The lowest free address comes first, as in Docker: the released .2.
	if c := alloc(t, s, "bridge", "c3", noAddr); c.String() != "172.17.0.2" {
		t.Fatalf("after release got %v, want 172.17.0.2", c)
	}
	if o := s.Owner("bridge", b); o != "c2" {
		t.Fatalf("Owner(%v) = %q, want c2", b, o)
	}
	if o := s.Owner("bridge", a); o != "c3" {
		t.Fatalf("Owner(reused %v) = %q, want c3", a, o)
	}
	if l := s.List("bridge"); len(l) != 2 {
		t.Fatalf("List = %v, want 2 entries", l)
	}
}

func TestAllocateExhaustsAndReuses(t *testing.T) {
	s, _ := newStore(t)
	// /29: .0 network, .1 gateway, .2-.6 hosts, .7 broadcast.
	if err := s.Add("small", netip.MustParsePrefix("10.9.0.0/29"), noAddr, noPrefix); err != nil {
		t.Fatal(err)
	}
	var got []netip.Addr
	for i := 0; i < 5; i++ {
		got = append(got, alloc(t, s, "small", "c", noAddr))
	}
	if got[0].String() != "10.9.0.2" || got[4].String() != "10.9.0.6" {
		t.Fatalf("got %v, want 10.9.0.2 .. 10.9.0.6", got)
	}
	_, err := s.Allocate("small", "c", noAddr)
	if !errors.Is(err, errdefs.ErrUnavailable) || err.Error() != "no available addresses on this pool" {
		t.Fatalf("full pool: %v", err)
	}
	// A released address is the next one handed out.
	if err := s.Release("small", got[1]); err != nil {
		t.Fatal(err)
	}
	if a := alloc(t, s, "small", "c", noAddr); a != got[1] {
		t.Fatalf("got %v, want the released %v", a, got[1])
	}
}

func TestAllocateWanted(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Add("user", netip.MustParsePrefix("10.10.0.0/24"), netip.MustParseAddr("10.10.0.254"),
		netip.MustParsePrefix("10.10.0.128/25")); err != nil {
		t.Fatal(err)
	}
	// Dynamic addresses come from the range only.
	if a := alloc(t, s, "user", "c1", noAddr); a.String() != "10.10.0.128" {
		t.Fatalf("first in range = %v, want 10.10.0.128", a)
	}
	// A static address may be outside the range but inside the subnet.
	want := netip.MustParseAddr("10.10.0.5")
	if a := alloc(t, s, "user", "c2", want); a != want {
		t.Fatalf("got %v, want %v", a, want)
	}
	for _, tc := range []struct {
		addr string
		kind error
		msg  string
	}{
		{"10.10.0.5", errdefs.ErrConflict, "Address already in use"},
		{"10.10.0.254", errdefs.ErrConflict, "Address already in use"}, // the gateway
		{"10.10.0.0", errdefs.ErrConflict, "Address already in use"},   // the network address
		{"10.11.0.5", errdefs.ErrInvalid, "requested address 10.11.0.5 is out of range"},
	} {
		_, err := s.Allocate("user", "c3", netip.MustParseAddr(tc.addr))
		if !errors.Is(err, tc.kind) || err.Error() != tc.msg {
			t.Errorf("Allocate(%s): %v; want %q", tc.addr, err, tc.msg)
		}
	}
	if _, err := s.Allocate("nope", "c", noAddr); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("unknown network: %v", err)
	}
}

func TestAddValidates(t *testing.T) {
	s, _ := newStore(t)
	for _, tc := range []struct{ subnet, gw, rng string }{
		{"10.0.0.0/31", "", ""},
		{"10.0.0.0/24", "10.0.1.1", ""},
		{"10.0.0.0/24", "", "10.0.0.0/23"},
		{"10.0.0.0/24", "", "10.1.0.0/25"},
	} {
		var gw netip.Addr
		var rng netip.Prefix
		if tc.gw != "" {
			gw = netip.MustParseAddr(tc.gw)
		}
		if tc.rng != "" {
			rng = netip.MustParsePrefix(tc.rng)
		}
		if err := s.Add("n", netip.MustParsePrefix(tc.subnet), gw, rng); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("Add(%v): %v, want invalid", tc, err)
		}
	}
	if err := s.Add("n", bridgeNet, noAddr, noPrefix); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("n", bridgeNet, noAddr, noPrefix); err != nil {
		t.Fatalf("same network again: %v", err)
	}
	if err := s.Add("n", netip.MustParsePrefix("10.0.0.0/24"), noAddr, noPrefix); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("other subnet for the same network: %v", err)
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	s, path := newStore(t)
	if err := s.Add("bridge", bridgeNet, noAddr, noPrefix); err != nil {
		t.Fatal(err)
	}
	a := alloc(t, s, "bridge", "c1", noAddr)
	b := alloc(t, s, "bridge", "c2", noAddr)
	if err := s.Release("bridge", b); err != nil {
		t.Fatal(err)
	}

	s2, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	if o := s2.Owner("bridge", a); o != "c1" {
		t.Fatalf("after reopen Owner(%v) = %q, want c1", a, o)
	}
	// .3 was released: it is the lowest free one.
	if c := alloc(t, s2, "bridge", "c3", noAddr); c.String() != "172.17.0.3" {
		t.Fatalf("after reopen got %v, want 172.17.0.3", c)
	}
	// Only the state file remains: the temporary files were renamed or removed.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("dir holds %d files, want 1", len(entries))
	}
	if err := s2.Remove("bridge"); err != nil {
		t.Fatal(err)
	}
	s3, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	if subnets := s3.Subnets(); len(subnets) != 0 {
		t.Fatalf("removed network still there: %v", subnets)
	}
}

func TestNewRejectsCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipam.json")
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(path); err == nil {
		t.Fatal("New on a corrupt file succeeded")
	}
}

func TestFreeSubnet(t *testing.T) {
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		inUse []netip.Prefix
		want  string
	}{
		{nil, "172.17.0.0/16"},
		{[]netip.Prefix{p("0.0.0.0/0"), p("10.0.2.0/24")}, "172.17.0.0/16"},          // default route ignored
		{[]netip.Prefix{p("172.17.5.0/24")}, "172.18.0.0/16"},                        // a host route inside
		{[]netip.Prefix{p("172.16.0.0/12")}, "192.168.0.0/20"},                       // all of 172.16/12
		{[]netip.Prefix{p("172.16.0.0/12"), p("192.168.1.7/32")}, "192.168.16.0/20"}, // a host address
	} {
		got, err := FreeSubnet(nil, tc.inUse)
		if err != nil || got.String() != tc.want {
			t.Errorf("FreeSubnet(%v) = %v, %v; want %s", tc.inUse, got, err, tc.want)
		}
	}
	_, err := FreeSubnet([]netip.Prefix{p("10.0.0.0/24")}, []netip.Prefix{p("10.0.0.0/8")})
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("no free candidate: %v", err)
	}
	if n := len(DefaultPools()); n != 15+16 {
		t.Fatalf("DefaultPools has %d entries, want 31", n)
	}
}

package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/wharf/wharf/internal/errdefs"
)

const testBridge = "wtbr0"

var (
	gwPrefix = netip.MustParsePrefix("10.77.0.1/24")
	gw       = gwPrefix.Addr()
)

func TestEnsureBridgeIdempotent(t *testing.T) {
	inScratchNetns(t)
	for i := 0; i < 2; i++ {
		if err := EnsureBridge(testBridge, gwPrefix, 1400); err != nil {
			t.Fatalf("EnsureBridge #%d: %v", i+1, err)
		}
	}
	link, err := netlink.LinkByName(testBridge)
	if err != nil {
		t.Fatal(err)
	}
	if link.Type() != "bridge" || link.Attrs().MTU != 1400 || link.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("bridge: type %s mtu %d flags %v", link.Type(), link.Attrs().MTU, link.Attrs().Flags)
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != "10.77.0.1/24" {
		t.Fatalf("bridge addresses = %v, %v; want only 10.77.0.1/24", addrs, err)
	}
	prefixes, err := HostPrefixes()
	if err != nil || !slices.Contains(prefixes, netip.MustParsePrefix("10.77.0.0/24")) {
		t.Fatalf("HostPrefixes = %v, %v; want 10.77.0.0/24 in it", prefixes, err)
	}
	if prefixes, _ := HostPrefixes(testBridge); slices.Contains(prefixes, netip.MustParsePrefix("10.77.0.0/24")) {
		t.Fatalf("HostPrefixes(skip %s) = %v; want the bridge left out", testBridge, prefixes)
	}

	// Something that is not a bridge is not adopted.
	other := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "wtother0"}, PeerName: "wtother1"}
	if err := netlink.LinkAdd(other); err != nil {
		t.Fatal(err)
	}
	if err := EnsureBridge("wtother0", gwPrefix, 0); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("EnsureBridge on a veth: %v, want conflict", err)
	}
	if err := DeleteBridge("wtother0"); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("DeleteBridge on a veth: %v, want conflict", err)
	}

	if err := DeleteBridge(testBridge); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(testBridge); !isNotFound(err) {
		t.Fatalf("bridge still there after DeleteBridge: %v", err)
	}
	if err := DeleteBridge(testBridge); err != nil {
		t.Fatalf("DeleteBridge twice: %v", err)
	}
}

func TestAttachTwoContainersPing(t *testing.T) {
	inScratchNetns(t)
	if err := EnsureBridge(testBridge, gwPrefix, 1400); err != nil {
		t.Fatal(err)
	}
	ns1, path1 := containerNetns(t)
	ns2, path2 := containerNetns(t)
	addr1 := netip.MustParsePrefix("10.77.0.2/24")
	addr2 := netip.MustParsePrefix("10.77.0.3/24")
	mac2, _ := net.ParseMAC("02:aa:bb:cc:dd:ee")

	veth1, err := Attach(testBridge, "c1id", path1, "eth0", addr1, gw, nil, 1400)
	if err != nil {
		t.Fatalf("Attach c1: %v", err)
	}
	veth2, err := Attach(testBridge, "c2id", path2, "eth0", addr2, gw, mac2, 1400)
	if err != nil {
		t.Fatalf("Attach c2: %v", err)
	}
	if veth1 != VethName("c1id", testBridge) || len(veth1) != 11 || !strings.HasPrefix(veth1, "veth") || veth1 == veth2 {
		t.Fatalf("host veths %q, %q", veth1, veth2)
	}

	checkPeer(t, path1, addr1, DefaultMAC(addr1.Addr()), 1400)
	checkPeer(t, path2, addr2, mac2, 1400)
	if mac := DefaultMAC(addr1.Addr()).String(); mac != "02:42:0a:4d:00:02" {
		t.Fatalf("DefaultMAC = %s", mac)
	}
	host, err := netlink.LinkByName(veth1)
	if err != nil {
		t.Fatal(err)
	}
	br, _ := netlink.LinkByName(testBridge)
	if host.Attrs().MasterIndex != br.Attrs().Index || host.Attrs().MTU != 1400 {
		t.Fatalf("host veth master %d (bridge %d), mtu %d", host.Attrs().MasterIndex, br.Attrs().Index, host.Attrs().MTU)
	}
	if pi, err := netlink.LinkGetProtinfo(host); err != nil || !pi.Hairpin {
		t.Fatalf("host veth bridge port: hairpin %v, %v; want on", pi.Hairpin, err)
	}
	if id, err := ContainerOf(veth2); err != nil || id != "c2id" {
		t.Fatalf("ContainerOf(%s) = %q, %v", veth2, id, err)
	}

	for _, p := range [][2]string{{ns1, "10.77.0.3"}, {ns2, "10.77.0.2"}, {ns1, "10.77.0.1"}, {ns2, "10.77.0.1"}, {ns1, "127.0.0.1"}} {
		if err := ping(p[0], p[1]); err != nil {
			t.Error(err)
		}
	}

	left, err := Leftovers(AliasPrefix)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{veth1, veth2, testBridge}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("Leftovers = %v, want %v", left, want)
	}
	// Members sees only the named bridges' veths.
	if m, err := Members(testBridge); err != nil || len(m) != 2 || m[veth1] != "c1id" || m[veth2] != "c2id" {
		t.Fatalf("Members(%s) = %v, %v", testBridge, m, err)
	}
	if m, err := Members("nosuchbridge0"); err != nil || len(m) != 0 {
		t.Fatalf("Members(nosuchbridge0) = %v, %v", m, err)
	}

	// Attaching the same container again replaces its stale veth.
	if v, err := Attach(testBridge, "c1id", path1, "eth1", netip.MustParsePrefix("10.77.0.4/24"), netip.Addr{}, nil, 0); err != nil || v != veth1 {
		t.Fatalf("re-Attach c1: %q, %v", v, err)
	}
	if err := ping(ns2, "10.77.0.2"); err == nil {
		t.Fatal("the replaced eth0 of c1 still answers")
	}
	if err := ping(ns2, "10.77.0.4"); err != nil {
		t.Error(err)
	}

	if err := Detach(veth1); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(veth1); !isNotFound(err) {
		t.Fatalf("host veth still there after Detach: %v", err)
	}
	if links := peerLinks(t, path1); len(links) != 1 || links[0] != "lo" {
		t.Fatalf("container 1 links after Detach = %v, want only lo", links)
	}
	if err := ping(ns2, "10.77.0.4"); err == nil {
		t.Fatal("detached container still answers")
	}
	if err := Detach(veth1); err != nil {
		t.Fatalf("Detach twice: %v", err)
	}
}

func TestAttachFailureLeavesNothing(t *testing.T) {
	inScratchNetns(t)
	_, path := containerNetns(t)
	if _, err := Attach("wtnone0", "c1id", path, "eth0", netip.MustParsePrefix("10.77.0.2/24"), gw, nil, 0); err == nil {
		t.Fatal("Attach to a missing bridge succeeded")
	}
	if err := EnsureBridge(testBridge, gwPrefix, 0); err != nil {
		t.Fatal(err)
	}
	// An interface name the kernel refuses fails after the veth exists.
	_, err := Attach(testBridge, "c1id", path, "this-name-is-far-too-long", netip.MustParsePrefix("10.77.0.2/24"), gw, nil, 0)
	if err == nil {
		t.Fatal("Attach with a too long interface name succeeded")
	}
	if left, _ := Leftovers("veth"); len(left) != 0 {
		t.Fatalf("veths left after failed Attach (long name): %v", left)
	}
	// The gateway outside the address's subnet makes the route fail after
	// the veth was made: it must be removed again.
	_, err = Attach(testBridge, "c1id", path, "eth0", netip.MustParsePrefix("10.77.0.2/24"), netip.MustParseAddr("10.99.0.1"), nil, 0)
	if err == nil {
		t.Fatal("Attach with an unreachable gateway succeeded")
	}
	if left, _ := Leftovers("veth"); len(left) != 0 {
		t.Fatalf("veths left after failed Attach: %v", left)
	}
	if links := peerLinks(t, path); len(links) != 1 {
		t.Fatalf("container links after failed Attach = %v, want only lo", links)
	}
}

func TestEnableForwarding(t *testing.T) {
	inScratchNetns(t)
	// A new netns starts with forwarding off; this thread is in one.
	if err := EnableForwarding(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil || strings.TrimSpace(string(b)) != "1" {
		t.Fatalf("ip_forward = %q, %v", b, err)
	}
}

// checkPeer looks into a container netns: eth0's address, MAC, MTU, state,
// the default route via gw, and lo up.
func checkPeer(t *testing.T, path string, addr netip.Prefix, mac net.HardwareAddr, mtu int) {
	t.Helper()
	h := handleAt(t, path)
	eth, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	a := eth.Attrs()
	if a.HardwareAddr.String() != mac.String() || a.MTU != mtu || a.Flags&net.FlagUp == 0 {
		t.Fatalf("eth0: mac %s mtu %d flags %v; want %s, %d, up", a.HardwareAddr, a.MTU, a.Flags, mac, mtu)
	}
	addrs, err := h.AddrList(eth, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != addr.String() {
		t.Fatalf("eth0 addresses = %v, %v; want %s", addrs, err, addr)
	}
	routes, err := h.RouteList(eth, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(routes, func(r netlink.Route) bool {
		return (r.Dst == nil || r.Dst.String() == "0.0.0.0/0") && r.Gw.String() == gw.String()
	}) {
		t.Fatalf("no default route via %s in %v", gw, routes)
	}
	lo, err := h.LinkByName("lo")
	if err != nil || lo.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("lo not up: %v", err)
	}
}

func peerLinks(t *testing.T, path string) []string {
	t.Helper()
	links, err := handleAt(t, path).LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	return names
}

func handleAt(t *testing.T, path string) *netlink.Handle {
	t.Helper()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func TestIsNotFound(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{netlink.LinkNotFoundError{}, true},
		{fmt.Errorf("delete: %w", syscall.ENODEV), true}, // the veth died with its peer's namespace
		{syscall.EPERM, false},
		{nil, false},
	} {
		if got := isNotFound(tc.err); got != tc.want {
			t.Errorf("isNotFound(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

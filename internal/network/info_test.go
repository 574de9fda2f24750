package network

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestInfoWarnsWhenDefaultRangeTaken(t *testing.T) {
	inScratchHost(t)
	s, err := New(Config{Root: t.TempDir(), DNSUpstreams: []string{}})
	must(t, err)
	in := s.Info()
	s.Close()
	if in.DefaultSubnet.String() != "172.17.0.0/16" || len(in.Warnings) != 0 || in.FirewallBackend != "nftables" {
		t.Fatalf("free host: %+v", in)
	}
	must(t, netlink.LinkDel(mustLink(t, "wharf0")))

	// A host address inside 172.17.0.0/16: the default bridge moves, and says why.
	a, _ := netlink.ParseAddr("172.17.5.1/24")
	must(t, netlink.AddrAdd(mustLink(t, "outside0"), a))
	root := t.TempDir()
	s, err = New(Config{Root: root, DNSUpstreams: []string{}})
	must(t, err)
	in = s.Info()
	s.Close()
	if in.DefaultSubnet.Overlaps(dockerDefault) || len(in.Warnings) != 1 ||
		!strings.Contains(in.Warnings[0], "172.17.0.0/16 is in use on this host (172.17.5.0/24)") ||
		!strings.Contains(in.Warnings[0], in.DefaultSubnet.String()) {
		t.Fatalf("taken range: %+v", in)
	}
	// Still said after a restart, when the record already exists.
	s, err = New(Config{Root: root, DNSUpstreams: []string{}})
	must(t, err)
	defer s.Close()
	if w := s.Info().Warnings; len(w) != 1 {
		t.Fatalf("after restart: %v", w)
	}
	// Asked for explicitly (--bip): nothing to warn about.
	s2, err := New(Config{Root: t.TempDir(), DefaultBridge: "wharfbip0", DefaultSubnet: "10.55.0.0/24", DNSUpstreams: []string{}})
	must(t, err)
	defer s2.Close()
	if w := s2.Info().Warnings; len(w) != 0 {
		t.Fatalf("with a chosen subnet: %v", w)
	}
}

func mustLink(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := netlink.LinkByName(name)
	must(t, err)
	return l
}

// Another program's forward chain with policy drop (Docker's FORWARD
// under iptables-nft) drops our bridges' traffic: info says so, naming the
// chain, until a rule of that table accepts our bridge.
func TestInfoWarnsForeignForwardDrop(t *testing.T) {
	inScratchHost(t)
	s := openService(t, t.TempDir())
	if w := s.Info().Warnings; len(w) != 0 {
		t.Fatalf("no foreign rules: %v", w)
	}
	nft := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("nft", args...).CombinedOutput(); err != nil {
			t.Fatalf("nft %v: %v %s", args, err, out)
		}
	}
	nft("add", "table", "ip", "filter")
	nft("add", "chain", "ip", "filter", "FORWARD", "{ type filter hook forward priority 0; policy drop; }")
	nft("add", "chain", "ip", "filter", "DOCKER-USER")
	nft("add", "rule", "ip", "filter", "FORWARD", "jump", "DOCKER-USER")
	w := s.Info().Warnings
	if len(w) != 1 || !strings.Contains(w[0], "forwarded packets are dropped by ip filter FORWARD") ||
		!strings.Contains(w[0], "iptables -I DOCKER-USER -i wharf0 -j ACCEPT") {
		t.Fatalf("with a dropping FORWARD chain: %v", w)
	}
	nft("add", "rule", "ip", "filter", "DOCKER-USER", "iifname", "wharf0", "accept")
	if w := s.Info().Warnings; len(w) != 0 {
		t.Fatalf("after accepting wharf0 there: %v", w)
	}
}

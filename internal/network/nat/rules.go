package nat

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/wharf/wharf/internal/errdefs"
)

// Port is one published port: HostIP:HostPort on the host forwards to
// ContainerIP:ContainerPort behind Bridge. ID owns the rules (for Reconcile).
type Port struct {
	Proto         string     // "tcp" or "udp"
	HostIP        netip.Addr // zero value: every local address, 127.0.0.1 included
	HostPort      uint16
	ContainerIP   netip.Addr
	ContainerPort uint16
	Bridge        string // host-side interface the container sits behind
	ID            string // owner tag, e.g. the container ID; no spaces
}

// hostKey names the host side of a port: "tcp/0.0.0.0:8080".
func (p Port) hostKey() string {
	ip := "0.0.0.0"
	if p.HostIP.IsValid() && !p.HostIP.IsUnspecified() {
		ip = p.HostIP.String()
	}
	return fmt.Sprintf("%s/%s:%d", p.Proto, ip, p.HostPort)
}

func (p Port) key() string {
	return fmt.Sprintf("%s->%s:%d", p.hostKey(), p.ContainerIP, p.ContainerPort)
}

func (p Port) validate() error {
	if p.Proto != "tcp" && p.Proto != "udp" {
		return errdefs.Invalid("invalid protocol %q: must be tcp or udp", p.Proto)
	}
	if !p.ContainerIP.Is4() || p.HostPort == 0 || p.ContainerPort == 0 {
		return errdefs.Invalid("invalid port mapping %s", p.key())
	}
	if p.HostIP.IsValid() && !p.HostIP.Is4() {
		return errdefs.Invalid("host IP %s: only IPv4 is supported", p.HostIP)
	}
	if p.ID == "" || strings.ContainsAny(p.ID, " \t\n") || p.Bridge == "" {
		return errdefs.Invalid("port %s: missing owner ID or bridge", p.key())
	}
	return nil
}

// overlaps reports whether a rule key's host side collides with p's:
// same proto and port, and same address or either one is 0.0.0.0.
func (p Port) overlaps(key string) bool {
	host, _, ok := strings.Cut(key, "->")
	if !ok {
		return false
	}
	proto, addr, ok := strings.Cut(host, "/")
	if !ok || proto != p.Proto {
		return false
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Port() != p.HostPort {
		return false
	}
	mine := p.HostIP
	return !mine.IsValid() || mine.IsUnspecified() || ap.Addr().IsUnspecified() || ap.Addr() == mine
}

// PortAllocatedError is Docker's "port is already allocated": another
// owner (Owner, a port ID) publishes the host address Addr. It is a Conflict.
type PortAllocatedError struct {
	Addr  string // "0.0.0.0:8080"
	Owner string
}

func (e *PortAllocatedError) Error() string {
	return "Bind for " + e.Addr + " failed: port is already allocated"
}

func (e *PortAllocatedError) Unwrap() error { return errdefs.ErrConflict }

// Publish adds, in one atomic batch, the rules of one published port:
//   - prerouting: "fib daddr type local [ip daddr H] proto dport HP dnat to C:CP"
//     for packets from other hosts and from containers (hairpin);
//   - output: the same rule for connections made on the host itself,
//     127.0.0.1 included;
//   - postrouting: "ip saddr C ip daddr C dport CP masquerade" (hairpin: a
//     container reaching its own published port must see the reply come back
//     through the host) and "ip saddr 127.0.0.0/8 ip daddr C dport CP masquerade"
//     (a 127.0.0.1 source cannot leave the host).
//
// 127.0.0.1 also needs route_localnet=1 on the Bridge, which Publish sets
// (as Docker does with userland-proxy=false). A port already published by
// another owner is a Conflict; publishing the same port again is a no-op.
func (t *Table) Publish(p Port) error {
	if err := p.validate(); err != nil {
		return err
	}
	rs, err := t.Rules()
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Chain != chainPrerouting || !p.overlaps(r.Key) {
			continue
		}
		if r.Owner == p.ID && r.Key == p.key() {
			return nil
		}
		return &PortAllocatedError{Addr: strings.TrimPrefix(p.hostKey(), p.Proto+"/"), Owner: r.Owner}
	}
	if !p.HostIP.IsValid() || p.HostIP.IsLoopback() || p.HostIP.IsUnspecified() {
		if err := RouteLocalnet(p.Bridge); err != nil {
			return err
		}
	}
	match := fibLocal(false)
	if p.HostIP.IsValid() && !p.HostIP.IsUnspecified() {
		match = append(match, ipAddr(false, p.HostIP)...)
	}
	match = append(match, l4Dport(p.Proto, p.HostPort)...)
	to := dnat(p.ContainerIP, p.ContainerPort)
	toCtr := append(ipAddr(false, p.ContainerIP), l4Dport(p.Proto, p.ContainerPort)...)
	loop := netip.MustParsePrefix("127.0.0.0/8")

	t.add(chainPrerouting, p.ID, p.key(), match, to)
	t.add(chainOutput, p.ID, p.key(), match, to)
	t.add(chainPostrouting, p.ID, p.key()+" hairpin", ipAddr(true, p.ContainerIP), toCtr, masquerade())
	t.add(chainPostrouting, p.ID, p.key()+" localnet", ipPrefix(true, loop), toCtr, masquerade())
	if err := t.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: publish %s: %w", p.key(), err)
	}
	return nil
}

// Unpublish removes the rules of one published port (other ports of the
// same owner stay). Removing a port that is not there is not an error.
func (t *Table) Unpublish(p Port) error {
	k := p.key()
	return t.remove(func(r Rule) bool {
		return r.Owner == p.ID && (r.Key == k || strings.HasPrefix(r.Key, k+" "))
	})
}

// Masquerade adds outbound NAT for a network: "ip saddr S oifname != B masquerade".
func (t *Table) Masquerade(subnet netip.Prefix, bridge string) error {
	if !subnet.Addr().Is4() {
		return errdefs.Invalid("subnet %s: only IPv4 is supported", subnet)
	}
	key := "masquerade " + subnet.Masked().String()
	if ok, err := t.has(NetOwner(bridge), key); ok || err != nil {
		return err
	}
	t.add(chainPostrouting, NetOwner(bridge), key,
		ipPrefix(true, subnet), ifname(false, expr.CmpOpNeq, bridge), masquerade())
	if err := t.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: masquerade %s: %w", subnet, err)
	}
	return nil
}

// RemoveMasquerade removes what Masquerade added.
func (t *Table) RemoveMasquerade(subnet netip.Prefix, bridge string) error {
	key := "masquerade " + subnet.Masked().String()
	return t.remove(func(r Rule) bool { return r.Owner == NetOwner(bridge) && r.Key == key })
}

// Isolate drops forwarded traffic between two networks, both ways. Each
// direction is owned by its input network, so RemoveOwner(NetOwner(a))
// lifts a's side.
func (t *Table) Isolate(a, b string) error {
	for _, d := range [][2]string{{a, b}, {b, a}} {
		key := "isolate " + d[0] + ">" + d[1]
		if ok, err := t.has(NetOwner(d[0]), key); err != nil {
			return err
		} else if ok {
			continue
		}
		t.add(chainForward, NetOwner(d[0]), key,
			ifname(true, expr.CmpOpEq, d[0]), ifname(false, expr.CmpOpEq, d[1]), drop())
	}
	if err := t.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: isolate %s from %s: %w", a, b, err)
	}
	return nil
}

// Internal drops everything forwarded into or out of the bridge from or to
// another interface: an --internal network has no route out.
func (t *Table) Internal(bridge string) error {
	if ok, err := t.has(NetOwner(bridge), "internal out"); ok || err != nil {
		return err
	}
	t.add(chainForward, NetOwner(bridge), "internal out",
		ifname(true, expr.CmpOpEq, bridge), ifname(false, expr.CmpOpNeq, bridge), drop())
	t.add(chainForward, NetOwner(bridge), "internal in",
		ifname(false, expr.CmpOpEq, bridge), ifname(true, expr.CmpOpNeq, bridge), drop())
	if err := t.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: internal %s: %w", bridge, err)
	}
	return nil
}

func (t *Table) has(owner, key string) (bool, error) {
	rs, err := t.Rules()
	if err != nil {
		return false, err
	}
	for _, r := range rs {
		if r.Owner == owner && r.Key == key {
			return true, nil
		}
	}
	return false, nil
}

// RouteLocalnet sets net.ipv4.conf.<iface>.route_localnet=1 in the calling
// thread's network namespace, so packets DNATed from 127.0.0.1 may be routed
// out of that interface (and their replies back in).
func RouteLocalnet(iface string) error {
	if iface == "" || iface == "." || iface == ".." || strings.Contains(iface, "/") {
		return errdefs.Invalid("invalid interface name %q", iface)
	}
	path := "/proc/sys/net/ipv4/conf/" + iface + "/route_localnet"
	if err := os.WriteFile(path, []byte("1"), 0o644); err != nil {
		return fmt.Errorf("route_localnet on %s: %w", iface, err)
	}
	return nil
}

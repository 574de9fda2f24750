package bridge

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
)

// EnableForwarding sets net.ipv4.ip_forward=1 in the calling thread's
// network namespace, writing only when it is not set already.
func EnableForwarding() error {
	const path = "/proc/sys/net/ipv4/ip_forward"
	b, err := os.ReadFile(path)
	if err == nil && string(bytes.TrimSpace(b)) == "1" {
		return nil
	}
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enable ip_forward: %w", err)
	}
	return nil
}

// Leftovers lists bridges and veths whose name or alias starts with prefix
// (AliasPrefix finds every link Wharf made), sorted, for reconcile at start.
func Leftovers(prefix string) ([]string, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []string
	for _, l := range links {
		a := l.Attrs()
		if t := l.Type(); t != "bridge" && t != "veth" {
			continue
		}
		if strings.HasPrefix(a.Name, prefix) || strings.HasPrefix(a.Alias, prefix) {
			out = append(out, a.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Members maps the host veths enslaved to the named bridges that carry a
// container alias (from Attach) to that container's ID. Reconcile looks
// only there: veths on other daemons' bridges are theirs.
func Members(bridges ...string) (map[string]string, error) {
	idx := map[int]bool{}
	for _, name := range bridges {
		if l, err := netlink.LinkByName(name); err == nil {
			idx[l.Attrs().Index] = true
		}
	}
	out := map[string]string{}
	if len(idx) == 0 {
		return out, nil
	}
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	for _, l := range links {
		a := l.Attrs()
		if l.Type() == "veth" && idx[a.MasterIndex] && strings.HasPrefix(a.Alias, AliasPrefix) {
			out[a.Name] = strings.TrimPrefix(a.Alias, AliasPrefix)
		}
	}
	return out, nil
}

// ContainerOf returns the container ID recorded in a host veth's alias by
// Attach ("" if it carries none).
func ContainerOf(hostVeth string) (string, error) {
	link, err := netlink.LinkByName(hostVeth)
	if err != nil {
		return "", fmt.Errorf("%s: %w", hostVeth, err)
	}
	alias := link.Attrs().Alias
	if link.Type() != "veth" || !strings.HasPrefix(alias, AliasPrefix) {
		return "", nil
	}
	return strings.TrimPrefix(alias, AliasPrefix), nil
}

// HostPrefixes lists the IPv4 routes and addresses of the calling thread's
// namespace, for ipam.FreeSubnet, leaving out links named in skip (our own
// bridges, whose subnets ipam already knows) and default routes.
func HostPrefixes(skip ...string) ([]netip.Prefix, error) {
	skipIdx := map[int]bool{}
	for _, name := range skip {
		if l, err := netlink.LinkByName(name); err == nil {
			skipIdx[l.Attrs().Index] = true
		}
	}
	var out []netip.Prefix
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || skipIdx[r.LinkIndex] {
			continue
		}
		if p, ok := prefixOf(r.Dst.IP, r.Dst.Mask); ok && p.Bits() > 0 {
			out = append(out, p)
		}
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range addrs {
		if skipIdx[a.LinkIndex] {
			continue
		}
		if p, ok := prefixOf(a.IP, a.Mask); ok {
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

func prefixOf(ip []byte, mask []byte) (netip.Prefix, bool) {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, bits := net.IPMask(mask).Size()
	if bits == 128 && addr.Is4In6() {
		ones -= 96
	}
	return netip.PrefixFrom(addr.Unmap(), ones), true
}

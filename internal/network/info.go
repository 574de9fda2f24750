package network

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Info is what `docker info` reports about networking (CONTRACT).
type Info struct {
	FirewallBackend string       // "nftables" (our own table; no iptables program)
	DefaultBridge   string       // interface of the "bridge" network, e.g. wharf0
	DefaultSubnet   netip.Prefix // the default bridge's subnet
	// Warnings for `info`, e.g. that 172.17.0.0/16 was in use on the host and
	// the default bridge took another range.
	Warnings []string
}

// dockerDefault is Docker's usual range for the default bridge.
var dockerDefault = netip.MustParsePrefix("172.17.0.0/16")

// Info describes the firewall backend and the default bridge.
func (s *Service) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := Info{FirewallBackend: "nftables", DefaultBridge: s.cfg.DefaultBridge, Warnings: slices.Clone(s.warnings)}
	var bridges []string
	for _, r := range s.nets {
		if r.Default {
			in.DefaultSubnet = r.Subnet
		}
		if r.Bridge != "" {
			bridges = append(bridges, r.Bridge)
		}
	}
	if w := s.forwardWarning(bridges); w != "" {
		in.Warnings = append(in.Warnings, w)
	}
	return in
}

// forwardWarning says which other software's forward chain drops our
// bridges' traffic (found when `info` is asked: Docker may start after us).
func (s *Service) forwardWarning(bridges []string) string {
	if len(bridges) == 0 {
		return ""
	}
	drops, err := s.nat.ForeignForwardDrops(bridges)
	if err != nil {
		return "WARNING: cannot read the host's nftables rules: " + err.Error()
	}
	if len(drops) == 0 {
		return ""
	}
	b := bridges[0]
	if s.cfg.DefaultBridge != "" {
		b = s.cfg.DefaultBridge
	}
	return fmt.Sprintf("WARNING: forwarded packets are dropped by %s (policy drop, as Docker sets it, and no rule for %s): "+
		"containers cannot reach other hosts and other hosts cannot reach published ports. Accept them there, "+
		"e.g. iptables -I DOCKER-USER -i %s -j ACCEPT; iptables -I DOCKER-USER -o %s -j ACCEPT",
		strings.Join(drops, ", "), strings.Join(bridges, ", "), b, b)
}

// subnetWarning says why the default bridge, given no subnet, is not on
// 172.17.0.0/16: what on the host overlaps it (host lists the host's
// prefixes), or that another of our networks holds it. "" when it is.
func subnetWarning(bridge string, got netip.Prefix, host []netip.Prefix, ours bool) string {
	if got == dockerDefault {
		return ""
	}
	why := "is in use on this host"
	for _, p := range host {
		if p.Overlaps(dockerDefault) {
			why = fmt.Sprintf("is in use on this host (%s)", p)
			break
		}
	}
	if ours {
		why = "is used by another network"
	}
	return fmt.Sprintf("WARNING: %s %s: the default bridge network (%s) uses %s instead", dockerDefault, why, bridge, got)
}

package network

import "net/netip"

// Info is what `docker info` reports about networking (CONTRACT).
type Info struct {
	FirewallBackend string       // "nftables" (our own table; no iptables program)
	DefaultBridge   string       // interface of the "bridge" network, e.g. wharf0
	DefaultSubnet   netip.Prefix // the default bridge's subnet
	// Warnings for `info`, e.g. that 172.17.0.0/16 was in use on the host and
	// the default bridge took another range.
	Warnings []string
}

// Info describes the firewall backend and the default bridge.
func (s *Service) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := Info{FirewallBackend: "nftables", DefaultBridge: s.cfg.DefaultBridge}
	for _, r := range s.nets {
		if r.Default {
			in.DefaultSubnet = r.Subnet
		}
	}
	return in
}

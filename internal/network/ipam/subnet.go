package ipam

import (
	"net/netip"

	"github.com/wharf/wharf/internal/errdefs"
)

// DefaultPools are Docker's default local address pools, in the order Docker
// tries them: 172.17-31.0.0/16, then 192.168.0.0/16 cut into /20s.
func DefaultPools() []netip.Prefix {
	var out []netip.Prefix
	for b := 17; b <= 31; b++ {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(b), 0, 0}), 16))
	}
	for c := 0; c < 256; c += 16 {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(c), 0}), 20))
	}
	return out
}

// FreeSubnet returns the first candidate (DefaultPools when candidates is
// empty) that overlaps none of inUse: the host's routes and addresses and
// the other networks' subnets. Default routes (/0) are ignored: they
// overlap everything.
func FreeSubnet(candidates, inUse []netip.Prefix) (netip.Prefix, error) {
	if len(candidates) == 0 {
		candidates = DefaultPools()
	}
next:
	for _, c := range candidates {
		for _, u := range inUse {
			if u.Bits() > 0 && c.Overlaps(u) {
				continue next
			}
		}
		return c.Masked(), nil
	}
	return netip.Prefix{}, errdefs.Unavailable("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
}

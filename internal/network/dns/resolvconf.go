package dns

import (
	"net"
	"net/netip"
	"os"

	"github.com/miekg/dns"

	"github.com/wharf/wharf/internal/errdefs"
)

// defaultUpstreams are used when the host names only loopback resolvers,
// which a container's namespace cannot reach; Docker falls back the same way.
var defaultUpstreams = []string{"8.8.8.8:53", "8.8.4.4:53"}

// HostConfig reads a resolv.conf and returns its usable nameservers as
// "host:port" and its search domains. Loopback nameservers (127.0.0.53 of
// systemd-resolved, ::1) are skipped: they mean the host, not the
// container's namespace.
func HostConfig(path string) (upstreams, search []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errdefs.Unavailable("reading resolvers: %v", err)
	}
	defer f.Close()
	cc, err := dns.ClientConfigFromReader(f)
	if err != nil {
		return nil, nil, errdefs.Invalid("parsing %s: %v", path, err)
	}
	for _, s := range cc.Servers {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.IsLoopback() {
			continue
		}
		upstreams = append(upstreams, net.JoinHostPort(ip.String(), cc.Port))
	}
	if len(upstreams) == 0 {
		upstreams = append(upstreams, defaultUpstreams...)
	}
	return upstreams, cc.Search, nil
}

package cli

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// portBinding is one container port and how it is published.
type portBinding struct {
	port network.Port
	bind network.PortBinding
}

// parsePublish parses one -p value as docker does:
// [ip:][hostPort[-end]:]containerPort[-end][/proto], the IP possibly in
// brackets. Ranges map one to one; a host range for one container port
// lets the daemon pick a free port in it.
func parsePublish(spec string) ([]portBinding, error) {
	rest, proto, _ := strings.Cut(spec, "/")
	var ip, host, ctr string
	if i := strings.LastIndex(rest, "]:"); strings.HasPrefix(rest, "[") && i > 0 {
		ip, rest = rest[1:i], rest[i+2:]
		host, ctr, _ = strings.Cut(rest, ":")
		if ctr == "" {
			host, ctr = "", host
		}
	} else {
		parts := strings.Split(rest, ":")
		switch len(parts) {
		case 1:
			ctr = parts[0]
		case 2:
			host, ctr = parts[0], parts[1]
		case 3:
			ip, host, ctr = parts[0], parts[1], parts[2]
		default:
			// An unbracketed IPv6 address: the last two parts are ports.
			n := len(parts)
			ip, host, ctr = strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1]
		}
	}
	if ctr == "" {
		return nil, fmt.Errorf("no port specified: %s<empty>", spec)
	}
	if proto == "" {
		proto = "tcp"
	}
	if p := strings.ToLower(proto); p != "tcp" && p != "udp" && p != "sctp" {
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	var hostIP netip.Addr
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, fmt.Errorf("invalid IP address: %s", ip)
		}
		hostIP = a
	}
	cr, err := network.ParsePortRange(ctr + "/" + proto)
	if err != nil {
		return nil, fmt.Errorf("invalid containerPort: %s", ctr)
	}
	var hr network.PortRange
	if host != "" {
		if hr, err = network.ParsePortRange(host); err != nil {
			return nil, fmt.Errorf("invalid hostPort: %s", host)
		}
	}
	ctrN, hostN := cr.End()-cr.Start(), hr.End()-hr.Start()
	if host != "" && ctrN != hostN && ctrN != 0 {
		return nil, fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", ctr, host)
	}
	var out []portBinding
	i := uint16(0)
	for p := range cr.All() {
		b := network.PortBinding{HostIP: hostIP}
		switch {
		case host == "":
		case ctrN == 0 && hostN != 0:
			b.HostPort = host // the daemon picks one in the range
		default:
			b.HostPort = strconv.Itoa(int(hr.Start() + i))
		}
		out = append(out, portBinding{port: p, bind: b})
		i++
	}
	return out, nil
}

// parseExpose parses one --expose value: a port or a range, with a protocol.
func parseExpose(spec string) ([]network.Port, error) {
	if strings.Contains(spec, ":") {
		return nil, fmt.Errorf("invalid port format for --expose: %s", spec)
	}
	if !strings.Contains(spec, "/") {
		spec += "/tcp"
	}
	pr, err := network.ParsePortRange(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid range format for --expose: %s, error: %w", spec, err)
	}
	return slices.Collect(pr.All()), nil
}

// displayPorts renders a container's ports as docker ps does: ports
// published on the same number group into ranges ("0.0.0.0:80-81->80-81/tcp"),
// unpublished ones too ("443/tcp"); other mappings follow, one by one.
func displayPorts(ports []container.PortSummary) string {
	type group struct{ first, last uint16 }
	sorted := slices.Clone(ports)
	slices.SortFunc(sorted, func(a, b container.PortSummary) int {
		return cmp.Or(cmp.Compare(a.PrivatePort, b.PrivatePort), cmp.Compare(ipText(a.IP), ipText(b.IP)),
			cmp.Compare(a.PublicPort, b.PublicPort), cmp.Compare(a.Type, b.Type))
	})
	groups := map[string]*group{}
	var keys, out, mappings []string
	form := func(key string, g *group) string {
		ip, proto, hasIP := strings.Cut(key, "/")
		if !hasIP {
			ip, proto = "", key
		}
		s := strconv.Itoa(int(g.first))
		if g.last != g.first {
			s += "-" + strconv.Itoa(int(g.last))
		}
		if ip != "" {
			s = net.JoinHostPort(ip, s) + "->" + s
		}
		return s + "/" + proto
	}
	for _, p := range sorted {
		key := p.Type
		if p.IP.IsValid() {
			if p.PublicPort != p.PrivatePort {
				mappings = append(mappings, fmt.Sprintf("%s->%d/%s",
					net.JoinHostPort(p.IP.String(), strconv.Itoa(int(p.PublicPort))), p.PrivatePort, p.Type))
				continue
			}
			key = p.IP.String() + "/" + p.Type
		}
		g := groups[key]
		switch {
		case g == nil:
			groups[key] = &group{p.PrivatePort, p.PrivatePort}
			keys = append(keys, key)
		case p.PrivatePort == g.last+1:
			g.last = p.PrivatePort
		default:
			out = append(out, form(key, g))
			groups[key] = &group{p.PrivatePort, p.PrivatePort}
		}
	}
	for _, k := range keys {
		out = append(out, form(k, groups[k]))
	}
	return strings.Join(append(out, mappings...), ", ")
}

func ipText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

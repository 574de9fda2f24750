package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
)

// netSpec is one --network value: a plain name, or docker's long form
// "name=front,alias=web,ip=10.9.0.5,mac-address=...,driver-opt=k=v,...".
type netSpec struct {
	name string
	ep   *network.EndpointSettings
}

func parseNetworks(values []string) ([]netSpec, error) {
	var out []netSpec
	for _, v := range values {
		if !strings.Contains(v, "=") {
			out = append(out, netSpec{name: v, ep: &network.EndpointSettings{}})
			continue
		}
		n, err := parseNetSpec(v)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--network\" flag: %w", v, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseNetSpec(v string) (netSpec, error) {
	n := netSpec{ep: &network.EndpointSettings{}}
	for _, field := range strings.Split(v, ",") {
		key, val, ok := strings.Cut(field, "=")
		if !ok || val == "" {
			return n, fmt.Errorf("invalid field %q: must be a key=value pair", field)
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "name":
			n.name = val
		case "alias":
			n.ep.Aliases = append(n.ep.Aliases, val)
		case "ip":
			a, err := netip.ParseAddr(val)
			if err != nil || !a.Is4() {
				return n, fmt.Errorf("invalid IPv4 address %q", val)
			}
			ipam(n.ep).IPv4Address = a
		case "ip6":
			a, err := netip.ParseAddr(val)
			if err != nil || !a.Is6() {
				return n, fmt.Errorf("invalid IPv6 address %q", val)
			}
			ipam(n.ep).IPv6Address = a
		case "link-local-ip":
			a, err := netip.ParseAddr(val)
			if err != nil {
				return n, fmt.Errorf("invalid link-local IP address %q", val)
			}
			ipam(n.ep).LinkLocalIPs = append(ipam(n.ep).LinkLocalIPs, a)
		case "mac-address":
			if err := n.ep.MacAddress.UnmarshalText([]byte(val)); err != nil {
				return n, fmt.Errorf("%s is not a valid mac address", val)
			}
		case "driver-opt":
			k, dv, ok := strings.Cut(val, "=")
			if !ok || k == "" {
				return n, fmt.Errorf("invalid driver-opt %q: must be key=value", val)
			}
			if n.ep.DriverOpts == nil {
				n.ep.DriverOpts = map[string]string{}
			}
			n.ep.DriverOpts[k] = dv
		case "gw-priority":
			p, err := strconv.Atoi(val)
			if err != nil {
				return n, fmt.Errorf("invalid gw-priority %q: %v", val, err)
			}
			n.ep.GwPriority = p
		default:
			return n, fmt.Errorf("invalid field key %q", key)
		}
	}
	if n.name == "" {
		return n, errors.New("network name is required")
	}
	return n, nil
}

func ipam(ep *network.EndpointSettings) *network.EndpointIPAMConfig {
	if ep.IPAMConfig == nil {
		ep.IPAMConfig = &network.EndpointIPAMConfig{}
	}
	return ep.IPAMConfig
}

// mergeEndpoint adds the container-wide flags (--ip, --mac-address,
// --network-alias, --link) to the first network's settings; given both
// ways, docker refuses with these errors.
func mergeEndpoint(ep, flags *network.EndpointSettings) error {
	if len(flags.Aliases) > 0 {
		if len(ep.Aliases) > 0 {
			return errors.New("conflicting options: cannot specify both --network-alias and per-network alias")
		}
		ep.Aliases = flags.Aliases
	}
	if flags.IPAMConfig != nil {
		if ep.IPAMConfig != nil && ep.IPAMConfig.IPv4Address.IsValid() {
			return errors.New("conflicting options: cannot specify both --ip and per-network IPv4 address")
		}
		ipam(ep).IPv4Address = flags.IPAMConfig.IPv4Address
	}
	if len(flags.MacAddress) > 0 {
		if len(ep.MacAddress) > 0 {
			return errors.New("conflicting options: cannot specify both --mac-address and per-network MAC address")
		}
		ep.MacAddress = flags.MacAddress
	}
	if len(flags.Links) > 0 {
		ep.Links = flags.Links
	}
	return nil
}

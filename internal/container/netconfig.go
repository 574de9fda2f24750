package container

import (
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errdefs"
)

// Docker's words for network options that do not fit the network mode
// (moby's runconfig errors); all are invalid-parameter errors.
const (
	errContainerNetLinks   = "conflicting options: container type network can't be used with links. This would result in undefined behavior"
	errSharedNetwork       = "container sharing network namespace with another container or host cannot be connected to any other network"
	errNoneNetwork         = "container cannot be connected to multiple networks with one of the networks in private (none) mode"
	errNetDNS              = "conflicting options: dns and the network mode"
	errNetHostname         = "conflicting options: hostname and the network mode"
	errHostNetLinks        = "conflicting options: host type networking can't be used with links. This would result in undefined behavior"
	errNetMAC              = "conflicting options: mac-address and the network mode"
	errNetHosts            = "conflicting options: custom host-to-IP mapping and the network mode"
	errNetPublish          = "conflicting options: port publishing and the container type network mode"
	errNetExpose           = "conflicting options: port exposing and the container type network mode"
	errIPDefaultNetwork    = "user specified IP address is supported on user defined networks only"
	errAliasDefaultNetwork = "network-scoped alias is supported only for containers in user defined networks"
)

func invalid(msg string) error { return errdefs.Invalid("%s", msg) }

// validateNetMode checks the user's config (before the image's is merged
// in, as Docker does) against host and container:<id> network modes.
func validateNetMode(cfg *container.Config, hc *container.HostConfig, nc *mnet.NetworkingConfig) error {
	mode := hc.NetworkMode
	if mode.IsContainer() {
		switch {
		case mode.ConnectedContainer() == "":
			return errdefs.Invalid("Invalid network mode: invalid container format container:<name|id>")
		case cfg.Hostname != "":
			return invalid(errNetHostname)
		case len(hc.Links) > 0:
			return invalid(errContainerNetLinks)
		case len(hc.DNS) > 0:
			return invalid(errNetDNS)
		case len(hc.ExtraHosts) > 0:
			return invalid(errNetHosts)
		case len(hc.PortBindings) > 0 || hc.PublishAllPorts:
			return invalid(errNetPublish)
		case len(cfg.ExposedPorts) > 0:
			return invalid(errNetExpose)
		}
	}
	if mode.IsHost() && len(hc.Links) > 0 {
		return invalid(errHostNetLinks)
	}
	if nc != nil && (mode.IsHost() || mode.IsContainer()) {
		for _, es := range nc.EndpointsConfig {
			if es != nil && len(es.MacAddress) > 0 {
				return invalid(errNetMAC)
			}
		}
	}
	for _, h := range hc.ExtraHosts {
		if _, _, err := parseExtraHost(h); err != nil {
			return err
		}
	}
	return nil
}

// parseExtraHost splits --add-host's "name:ip" (or "name=ip"); the IP may
// be Docker's "host-gateway".
func parseExtraHost(s string) (name, ip string, err error) {
	sep := ":"
	if strings.Contains(s, "=") {
		sep = "="
	}
	name, ip, ok := strings.Cut(s, sep)
	if !ok || name == "" {
		return "", "", errdefs.Invalid("bad format for add-host: %q", s)
	}
	ip = strings.Trim(ip, "[]")
	if ip != "host-gateway" {
		if _, perr := netip.ParseAddr(ip); perr != nil {
			return "", "", errdefs.Invalid("invalid IP address in add-host: %q", ip)
		}
	}
	return name, ip, nil
}

// netInfo is what validation needs to know of a network.
type netInfo struct {
	Name, ID string
	Subnets  []netip.Prefix
}

func isPredefined(name string) bool { return name == "bridge" || name == "host" || name == "none" }

// primaryRef is the network named by the mode: "bridge" for the default,
// "" when the container uses another container's stack.
func primaryRef(mode container.NetworkMode) string {
	switch {
	case mode == "" || mode == "default":
		return "bridge"
	case mode.IsContainer():
		return ""
	}
	return string(mode)
}

// resolveNetwork finds a network by name, ID or ID prefix. Without a
// network service names are kept as given.
func (s *Service) resolveNetwork(ref string) (netInfo, error) {
	if s.net == nil || isPredefined(ref) { // predefined ones always exist: spare create a lookup
		return netInfo{Name: ref}, nil
	}
	n, err := s.net.Get(ref)
	if err != nil {
		return netInfo{}, err
	}
	in := netInfo{Name: n.Name, ID: n.ID}
	for _, c := range n.IPAM.Config {
		if c.Subnet.IsValid() {
			in.Subnets = append(in.Subnets, c.Subnet)
		}
	}
	return in, nil
}

// validateEndpoint checks one network's endpoint settings as Docker does
// and normalises them (settings are kept, operational data dropped).
func validateEndpoint(n netInfo, es *mnet.EndpointSettings) (*mnet.EndpointSettings, error) {
	out := &mnet.EndpointSettings{}
	if es != nil {
		out = &mnet.EndpointSettings{IPAMConfig: es.IPAMConfig.Copy(), Links: slices.Clone(es.Links),
			Aliases: slices.Clone(es.Aliases), DriverOpts: maps.Clone(es.DriverOpts),
			MacAddress: slices.Clone(es.MacAddress), GwPriority: es.GwPriority}
	}
	var ip netip.Addr
	if out.IPAMConfig != nil {
		ip = out.IPAMConfig.IPv4Address.Unmap()
		out.IPAMConfig.IPv4Address = ip
	}
	if isPredefined(n.Name) {
		if ip.IsValid() || out.IPAMConfig != nil && out.IPAMConfig.IPv6Address.IsValid() {
			return nil, invalid(errIPDefaultNetwork)
		}
		if len(out.Aliases) > 0 {
			return nil, invalid(errAliasDefaultNetwork)
		}
	}
	if ip.IsValid() {
		if !ip.Is4() || ip.IsUnspecified() {
			return nil, errdefs.Invalid("invalid IPv4 address: %s", ip)
		}
		if len(n.Subnets) > 0 && !slices.ContainsFunc(n.Subnets, func(p netip.Prefix) bool { return p.Contains(ip) }) {
			return nil, errdefs.Invalid("no configured subnet or ip-range contain the IP address %s", ip)
		}
	}
	if n := len(out.MacAddress); n != 0 && n != 6 {
		return nil, errdefs.Invalid("invalid MAC address %s", out.MacAddress)
	}
	out.NetworkID = n.ID
	return out, nil
}

// networksFor builds a new container's networks (by name) from its mode and
// EndpointsConfig: as in Docker, the networks EndpointsConfig lists, or the
// mode's network when it lists none (the mode then only picks eth0).
func (s *Service) networksFor(hc *container.HostConfig, nc *mnet.NetworkingConfig) (map[string]*mnet.EndpointSettings, error) {
	var eps map[string]*mnet.EndpointSettings
	if nc != nil {
		eps = nc.EndpointsConfig
	}
	out := map[string]*mnet.EndpointSettings{}
	primary := primaryRef(hc.NetworkMode)
	if primary == "" {
		if len(eps) > 0 {
			return nil, invalid(errSharedNetwork)
		}
		return out, nil
	}
	refs := slices.Sorted(maps.Keys(eps))
	if len(refs) == 0 {
		refs = []string{primary}
	}
	mode := hc.NetworkMode
	for _, ref := range refs {
		n, err := s.resolveNetwork(ref)
		if isNotFound(err) {
			// Like Docker: a network may be created after the container;
			// start fails with a 404 if it is still missing (a 404 here
			// would make clients pull the image).
			n, err = netInfo{Name: ref}, nil
		}
		if err != nil {
			return nil, err
		}
		es := eps[ref]
		switch {
		case out[n.Name] != nil && es == nil:
			continue // named twice (name and ID); the first had the settings
		case (n.Name == "host") != mode.IsHost():
			return nil, invalid(errSharedNetwork)
		case (n.Name == "none") != mode.IsNone():
			return nil, invalid(errNoneNetwork)
		}
		v, err := validateEndpoint(n, es)
		if err != nil {
			return nil, err
		}
		if isPredefined(n.Name) {
			v.NetworkID = "" // Docker fills it at connect
		}
		out[n.Name] = v
	}
	return out, nil
}

// defaultNetworks is the config of a record written before networks were
// kept: the mode's network with no settings.
func defaultNetworks(hc *container.HostConfig) map[string]*mnet.EndpointSettings {
	out := map[string]*mnet.EndpointSettings{}
	if p := primaryRef(hc.NetworkMode); p != "" {
		out[p] = &mnet.EndpointSettings{}
	}
	return out
}

// joinOrder lists the bridge networks to join at start, the mode's first
// (it becomes eth0), then the others by name. Callers hold s.mu.
func joinOrder(r *record) []string {
	primary := primaryName(r)
	var out []string
	for name := range r.Networks {
		if name != "host" && name != "none" && name != primary {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	if _, ok := r.Networks[primary]; ok && primary != "host" && primary != "none" {
		out = append([]string{primary}, out...)
	}
	return out
}

// primaryName is the name of the network the mode names: the mode itself,
// or the configured network whose ID it is (a prefix of).
func primaryName(r *record) string {
	p := primaryRef(r.HostConfig.NetworkMode)
	if _, ok := r.Networks[p]; ok || p == "" {
		return p
	}
	for name, es := range r.Networks {
		if es != nil && es.NetworkID != "" && strings.HasPrefix(es.NetworkID, p) {
			return name
		}
	}
	return p
}

package api

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// createBody is a create request as any supported API version sends it:
// Config.MacAddress was container-wide until 1.44 (deprecated, then
// dropped in 1.52) and the Go types no longer carry it.
type createBody struct {
	container.CreateRequest
	MacAddress string `json:",omitempty"`
}

// normalizeNetworking does what Docker's API edge does before the backend
// sees a create: "default" becomes "bridge", a container-wide MAC address
// moves into the primary network's endpoint settings, and clients older
// than 1.44 may name only one network. The backend then reads only
// NetworkingConfig.EndpointsConfig. It returns Docker's warnings.
func normalizeNetworking(version string, b *createBody) ([]string, error) {
	hc := b.HostConfig
	if b.NetworkingConfig == nil {
		b.NetworkingConfig = &network.NetworkingConfig{}
	}
	eps := b.NetworkingConfig.EndpointsConfig
	if eps == nil {
		eps = map[string]*network.EndpointSettings{}
		b.NetworkingConfig.EndpointsConfig = eps
	}
	if hc.NetworkMode == "" || hc.NetworkMode.IsDefault() {
		hc.NetworkMode = network.NetworkBridge
		if es, ok := eps[network.NetworkDefault]; ok {
			eps[network.NetworkBridge] = es
			delete(eps, network.NetworkDefault)
		}
	}
	for k, es := range eps {
		if es == nil {
			eps[k] = &network.EndpointSettings{}
		}
	}
	// Docker publishes a port given an empty list of bindings on a random
	// host port (it backfills one empty binding; API 1.52 adds a warning).
	for p, bs := range hc.PortBindings {
		if len(bs) == 0 {
			hc.PortBindings[p] = []network.PortBinding{{}}
		}
	}
	old := compareVersions(version, "1.44") < 0
	if old && len(eps) > 1 {
		names := make([]string, 0, len(eps))
		for k := range eps {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, invalidf("Container cannot be created with multiple network endpoints: %s", strings.Join(names, ", "))
	}
	mac := b.MacAddress
	b.MacAddress = ""
	if mac == "" {
		if old { // the endpoint's MacAddress did not exist yet: ignore it
			for _, es := range eps {
				es.MacAddress = nil
			}
		}
		return nil, nil
	}
	var hw network.HardwareAddr
	if err := hw.UnmarshalText([]byte(mac)); err != nil {
		return nil, invalidf("invalid MAC address: %s", mac)
	}
	mode := hc.NetworkMode
	onNetwork := mode.IsBridge() || mode.IsUserDefined()
	if old {
		if !onNetwork {
			return nil, invalidf("conflicting options: mac-address and the network mode")
		}
		if len(eps) == 0 {
			eps[mode.NetworkName()] = &network.EndpointSettings{}
		}
		for _, es := range eps {
			es.MacAddress = hw
		}
		return nil, nil
	}
	if onNetwork {
		es, ok := eps[mode.NetworkName()]
		switch {
		case len(eps) == 0:
			eps[mode.NetworkName()] = &network.EndpointSettings{MacAddress: hw}
		case !ok:
			return nil, invalidf("if a container-wide MAC address is supplied, HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks")
		case len(es.MacAddress) == 0:
			es.MacAddress = hw
		case es.MacAddress.String() != hw.String():
			return nil, invalidf("the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty")
		}
	}
	return []string{"The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead."}, nil
}

// legacyInspect is a container inspect for API versions before 1.52, which
// still carry NetworkSettings' deprecated top-level fields. NetworkSettings
// here shadows the embedded one.
type legacyInspect struct {
	*container.InspectResponse
	NetworkSettings *legacyNetworkSettings
}

// legacyNetworkSettings has Docker's field order: the base settings, the
// default network's (the "bridge" network's, as in Docker: empty for a
// container on another network), then Networks.
type legacyNetworkSettings struct {
	Bridge                 string
	SandboxID              string
	SandboxKey             string
	Ports                  network.PortMap
	HairpinMode            bool
	LinkLocalIPv6Address   string
	LinkLocalIPv6PrefixLen int
	SecondaryIPAddresses   []struct {
		Addr      string
		PrefixLen int
	}
	SecondaryIPv6Addresses []struct {
		Addr      string
		PrefixLen int
	}
	EndpointID          string
	Gateway             string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	MacAddress          string
	Networks            map[string]*network.EndpointSettings
}

// inspectFor shapes c for the request's API version.
func inspectFor(version string, c *container.InspectResponse) any {
	if compareVersions(version, "1.52") >= 0 || c.NetworkSettings == nil {
		return c
	}
	ns := c.NetworkSettings
	l := &legacyNetworkSettings{SandboxID: ns.SandboxID, SandboxKey: ns.SandboxKey, Ports: ns.Ports, Networks: ns.Networks}
	if es := ns.Networks[network.NetworkBridge]; es != nil {
		l.EndpointID = es.EndpointID
		l.Gateway = addrString(es.Gateway)
		l.GlobalIPv6Address = addrString(es.GlobalIPv6Address)
		l.GlobalIPv6PrefixLen = es.GlobalIPv6PrefixLen
		l.IPAddress = addrString(es.IPAddress)
		l.IPPrefixLen = es.IPPrefixLen
		l.IPv6Gateway = addrString(es.IPv6Gateway)
		l.MacAddress = es.MacAddress.String()
	}
	return legacyInspect{InspectResponse: c, NetworkSettings: l}
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/bridge"
	"github.com/wharf/wharf/internal/network/nat"
)

// EndpointOptions are `network connect`'s (and `run --network`'s) options.
type EndpointOptions struct {
	IPv4    string   // --ip; "" = the next free address
	Aliases []string // --alias, --network-alias
	MAC     string   // --mac-address; "" = Docker's 02:42:<ip>
	Name    string   // the container's name, resolvable by DNS on user networks
	// DNSUpstreams are the container's --dns servers: its embedded resolver
	// forwards other names to them instead of the host's (CONTRACT).
	DNSUpstreams []string
	// Hostname is the container's --hostname: on user networks it resolves
	// to the endpoint too, as it is among Docker's DNSNames.
	Hostname string
	// IfName is the interface's name in the container (Docker's driver
	// option com.docker.network.endpoint.ifname); "" = the next ethN.
	IfName string
	// GwPriority is Docker's gw-priority: of the container's networks that
	// can give it a default route, the highest wins (ties: first by name).
	GwPriority int
}

// OptIfName is the endpoint driver option naming the container's interface.
const OptIfName = "com.docker.network.endpoint.ifname"

// Endpoint is a container's attachment: Docker's EndpointSettings (for
// NetworkSettings.Networks in inspect) plus the interfaces used.
type Endpoint struct {
	network.EndpointSettings
	HostVeth string // host end of the veth pair
	IfName   string // interface inside the container: eth0, eth1...
	// DefaultRoute: the container's default route goes through it (its
	// published ports point to it).
	DefaultRoute bool
}

// Connect attaches the container containerID, whose network namespace is at
// netnsPath, to a bridge network: an address, a veth pair (eth0 for its
// first network, eth1... after; the default route only through the first,
// and none on an --internal network), its names in the network's DNS on
// user networks, and the embedded resolver in its namespace (see DNS).
func (s *Service) Connect(ctx context.Context, networkRef, containerID, netnsPath string, opts EndpointOptions) (Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(networkRef)
	if err != nil {
		return Endpoint{}, err
	}
	if r.Driver != "bridge" {
		return Endpoint{}, errdefs.Invalid("container cannot be connected to network %s: driver %s has no endpoints", r.Name, r.Driver)
	}
	if _, ok := r.Endpoints[containerID]; ok {
		return Endpoint{}, errdefs.Forbidden("endpoint with name %s already exists in network %s", opts.Name, r.Name)
	}
	var want netip.Addr
	if opts.IPv4 != "" {
		if r.Default {
			return Endpoint{}, errdefs.Invalid("user specified IP address is supported on user defined networks only")
		}
		if !r.UserSubnet {
			return Endpoint{}, errdefs.Invalid("user specified IP address is supported only when connecting to networks with user configured subnets")
		}
		if want, err = netip.ParseAddr(opts.IPv4); err != nil || !want.Is4() {
			return Endpoint{}, errdefs.Invalid("invalid IPv4 address: %s", opts.IPv4)
		}
	}
	upstreams, err := upstreamAddrs(opts.DNSUpstreams)
	if err != nil {
		return Endpoint{}, err
	}
	var mac net.HardwareAddr
	if opts.MAC != "" {
		if mac, err = parseMAC(opts.MAC); err != nil {
			return Endpoint{}, err
		}
	}
	if err := s.settle(r, containerID); err != nil { // its old veth must go first: same name
		return Endpoint{}, err
	}
	s.settleDone(r) // addresses whose veth is already gone are free again
	others := s.endpointsOf(containerID)
	ifName, err := s.ifName(containerID, opts.IfName)
	if err != nil {
		return Endpoint{}, err
	}
	addr, err := s.ipam.Allocate(r.ID, containerID, want)
	if err != nil {
		return Endpoint{}, err
	}
	var gw netip.Addr
	if !r.Internal && !slices.ContainsFunc(others, func(o *endpoint) bool { return o.Gateway }) {
		gw = r.Gateway
	}
	if mac == nil {
		mac = bridge.DefaultMAC(addr)
	}
	veth, err := bridge.Attach(r.Bridge, containerID, netnsPath, ifName, netip.PrefixFrom(addr, r.Subnet.Bits()), gw, mac, r.mtu(s.cfg.MTU))
	if err != nil {
		_ = s.ipam.Release(r.ID, addr)
		return Endpoint{}, err
	}
	ep := &endpoint{ID: newID(), Name: opts.Name, Addr: addr, MAC: mac.String(), HostVeth: veth, IfName: ifName,
		Aliases: slices.Clone(opts.Aliases), NetnsPath: netnsPath, DNSUpstreams: upstreams, Hostname: opts.Hostname,
		Gateway: gw.IsValid(), GwPriority: opts.GwPriority}
	r.Endpoints[containerID] = ep
	if err := s.save(r, false); err != nil {
		delete(r.Endpoints, containerID)
		_ = bridge.Detach(veth)
		_ = s.ipam.Release(r.ID, addr)
		return Endpoint{}, err
	}
	if r.dnsEnabled() {
		s.reg.Add(r.Name, containerID, opts.Name, ep.dnsAliases(), addr)
		if err := s.startDNS(containerID, netnsPath); err != nil {
			_ = s.detach(r, containerID) // all or nothing
			return Endpoint{}, fmt.Errorf("embedded DNS for %s: %w", containerID, err)
		}
	}
	if err := s.electGateway(containerID); err != nil {
		_ = s.detach(r, containerID)
		return Endpoint{}, err
	}
	return s.endpointView(r, ep), nil
}

// Disconnect detaches the container from the network: its veth, address,
// DNS names, and the resolver when no user network is left.
func (s *Service) Disconnect(ctx context.Context, networkRef, containerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(networkRef)
	if err != nil {
		return err
	}
	ep, ok := r.Endpoints[containerID]
	if !ok {
		return errdefs.NotFound("container %s is not connected to network %s", containerID, r.Name)
	}
	if err := s.detach(r, containerID); err != nil {
		return err
	}
	if !ep.Gateway {
		return nil
	}
	if err := s.electGateway(containerID); err != nil {
		return err
	}
	if !slices.ContainsFunc(s.endpointsOf(containerID), func(o *endpoint) bool { return o.Gateway }) {
		// No network took the route: drop it now rather than when the veth
		// is gone (in the background), so that a connect right after can
		// add its own.
		return bridge.ClearGateway(ep.NetnsPath, ep.IfName, r.Gateway)
	}
	return nil
}

// Release detaches a container that is gone (exited, or its start
// failed) from every network: addresses, veths, DNS names. Unlike
// Disconnect it moves no route inside its namespace, which dies with it.
func (s *Service) Release(containerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, r := range s.nets {
		if _, ok := r.Endpoints[containerID]; ok {
			if err := s.detach(r, containerID); err != nil {
				errs = append(errs, fmt.Errorf("network %s: %w", r.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Endpoints returns the container's endpoints by network name, for
// NetworkSettings.Networks.
func (s *Service) Endpoints(containerID string) map[string]Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Endpoint{}
	for _, r := range s.nets {
		if ep, ok := r.Endpoints[containerID]; ok {
			out[r.Name] = s.endpointView(r, ep)
		}
	}
	return out
}

// Reconcile makes the kernel and the records agree with live, the running
// containers (ID -> netns path), e.g. at daemon start: endpoints, veths,
// addresses, DNS names and rules of every other container go; the
// embedded resolvers of live containers on user networks are reopened.
func (s *Service) Reconcile(ctx context.Context, live map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	keep := map[string]bool{}
	for _, r := range s.nets {
		if r.Bridge != "" {
			keep[nat.NetOwner(r.Bridge)] = true
		}
		for cid := range r.Endpoints {
			if _, ok := live[cid]; !ok {
				if err := s.detach(r, cid); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if err := s.settleAll(r); err != nil { // this start's and a crashed daemon's
			errs = append(errs, err)
		}
		// Addresses no endpoint holds (a crash between allocation and save).
		for addr, owner := range s.ipam.List(r.ID) {
			if r.Endpoints[owner] == nil && r.Leaving[owner] == nil {
				if err := s.ipam.Release(r.ID, addr); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	for cid, path := range live {
		keep[cid] = true
		if s.onUserNetwork(cid) {
			if err := s.startDNS(cid, path); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for id := range s.dns {
		if _, ok := live[id]; !ok {
			s.stopDNS(id)
		}
	}
	// Veths of containers we have no record of (a crash between Attach and
	// save), on our own bridges only: other daemons' veths are not ours.
	var bridges []string
	for _, r := range s.nets {
		if r.Bridge != "" {
			bridges = append(bridges, r.Bridge)
		}
	}
	members, err := bridge.Members(bridges...)
	if err != nil {
		errs = append(errs, err)
	}
	for veth, cid := range members {
		if cid != "" && !keep[cid] {
			if err := bridge.Detach(veth); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := s.nat.Reconcile(keep); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("network reconcile: %w", errors.Join(errs...))
	}
	return nil
}

// endpointsOf lists the container's endpoints on every network.
func (s *Service) endpointsOf(containerID string) []*endpoint {
	var out []*endpoint
	for _, r := range s.nets {
		if ep, ok := r.Endpoints[containerID]; ok {
			out = append(out, ep)
		}
	}
	return out
}

// ifName is the asked name, checked, or the next ethN no active endpoint
// of the container uses.
func (s *Service) ifName(containerID, asked string) (string, error) {
	if asked == "" {
		name := s.nextIfName(containerID)
		// A leaving endpoint may still hold the name (its veth goes in the
		// background): wait for it, as Docker hands a freed eth0 out again.
		for _, r := range s.nets {
			if ep, ok := r.Leaving[containerID]; ok && ep.IfName == name {
				if err := s.settle(r, containerID); err != nil {
					return "", err
				}
			}
		}
		return name, nil
	}
	if len(asked) > 15 || strings.ContainsAny(asked, "/: \t\n") || asked == "." || asked == ".." {
		return "", errdefs.Invalid("invalid interface name %q", asked)
	}
	for _, r := range s.nets {
		for _, m := range []map[string]*endpoint{r.Endpoints, r.Leaving} {
			if ep, ok := m[containerID]; ok && ep.IfName == asked {
				return "", errdefs.Conflict("interface name %s is already used by the container on network %s", asked, r.Name)
			}
		}
	}
	return asked, nil
}

func (s *Service) nextIfName(containerID string) string {
	used := map[string]bool{}
	for _, r := range s.nets {
		if ep, ok := r.Endpoints[containerID]; ok {
			used[ep.IfName] = true
		}
	}
	for i := 0; ; i++ {
		if name := fmt.Sprintf("eth%d", i); !used[name] {
			return name
		}
	}
}

func (s *Service) endpointView(r *record, ep *endpoint) Endpoint {
	mac, _ := parseMAC(ep.MAC)
	e := Endpoint{HostVeth: ep.HostVeth, IfName: ep.IfName, DefaultRoute: ep.Gateway, EndpointSettings: network.EndpointSettings{
		NetworkID: r.ID, EndpointID: ep.ID, IPAddress: ep.Addr, IPPrefixLen: r.Subnet.Bits(),
		MacAddress: network.HardwareAddr(mac), Aliases: slices.Clone(ep.Aliases), GwPriority: ep.GwPriority}}
	if !r.Internal {
		e.Gateway = r.Gateway
	}
	if r.dnsEnabled() {
		if ep.Name != "" {
			e.DNSNames = append(e.DNSNames, ep.Name)
		}
		e.DNSNames = append(e.DNSNames, ep.Aliases...)
	}
	return e
}

func parseMAC(s string) (net.HardwareAddr, error) {
	mac, err := net.ParseMAC(s)
	if err != nil || len(mac) != 6 {
		return nil, errdefs.Invalid("invalid MAC address: %s", s)
	}
	return mac, nil
}

package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network"
	"github.com/wharf/wharf/internal/network/nat"
)

// networker is what the service needs of network.Service.
type networker interface {
	Connect(ctx context.Context, networkRef, containerID, netnsPath string, opts network.EndpointOptions) (network.Endpoint, error)
	Disconnect(ctx context.Context, networkRef, containerID string) error
	// Release detaches a container that is gone from every network.
	Release(containerID string) error
	Endpoints(containerID string) map[string]network.Endpoint
	// Publish writes back each port as published: the host port it
	// picked for a 0, the container address and bridge it chose.
	Publish(containerID string, ports []nat.Port) error
	Unpublish(containerID string) error
	DNS(containerID string) ([]string, bool)
	Get(ref string) (mnet.Inspect, error)
}

// bridgeNetwork names the network a container joins first at start, or ""
// when it has its own (none), the host's or another container's stack.
func bridgeNetwork(hc *container.HostConfig) string {
	switch m := hc.NetworkMode; {
	case m.IsNone() || m.IsHost() || m.IsContainer():
		return ""
	}
	return primaryRef(hc.NetworkMode)
}

// endpointOptions turns a network's configured settings into Connect's.
func endpointOptions(r *record, es *mnet.EndpointSettings) network.EndpointOptions {
	opts := network.EndpointOptions{Name: r.Name, Hostname: r.Config.Hostname}
	for _, a := range r.HostConfig.DNS {
		opts.DNSUpstreams = append(opts.DNSUpstreams, a.String())
	}
	if es != nil {
		if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
			opts.IPv4 = es.IPAMConfig.IPv4Address.String()
		}
		opts.Aliases = es.Aliases
		if len(es.MacAddress) > 0 {
			opts.MAC = es.MacAddress.String()
		}
		opts.IfName = es.DriverOpts[network.OptIfName]
		opts.GwPriority = es.GwPriority
	}
	return opts
}

// connectNetwork attaches the container whose network namespace is netns
// (prepared by newNetns, joined by the init at create) to its networks
// (the mode's first: eth0), publishes its ports and rewrites its hosts and
// resolv.conf to match. On error everything done is undone.
func (s *Service) connectNetwork(ctx context.Context, r *record, netns string) error {
	if s.net == nil || netns == "" {
		return nil
	}
	s.mu.Lock()
	order := joinOrder(r)
	opts := make([]network.EndpointOptions, len(order))
	for i, name := range order {
		opts[i] = endpointOptions(r, r.Networks[name])
	}
	s.mu.Unlock()
	if len(order) == 0 {
		return nil
	}
	for i, name := range order {
		if _, err := s.net.Connect(ctx, name, r.ID, netns, opts[i]); err != nil {
			s.releaseNetwork(r)
			return err
		}
	}
	ports, err := publishedPorts(r.Config, r.HostConfig)
	if err == nil && len(ports) > 0 {
		err = s.net.Publish(r.ID, ports)
	}
	if err == nil {
		s.mu.Lock()
		r.Ports = ports // the host ports picked, for inspect
		s.mu.Unlock()
		err = s.rewriteNetworkFiles(r, true)
	}
	if err != nil {
		s.releaseNetwork(r)
		return err
	}
	return nil
}

// releaseNetwork unpublishes the container's ports and detaches it from
// every network (its veths die with its netns; this frees the addresses).
func (s *Service) releaseNetwork(r *record) {
	if s.net == nil {
		return
	}
	id := r.ID
	s.mu.Lock()
	published := len(r.Ports) > 0
	r.Ports = nil
	s.mu.Unlock()
	if published { // spares the unpublished an nftables dump per exit
		if err := s.net.Unpublish(id); err != nil {
			log.Printf("container %s: unpublish: %v", id[:12], err)
		}
	}
	if err := s.net.Release(id); err != nil {
		log.Printf("container %s: %v", id[:12], err)
	}
	if p := s.netnsFile(id); p != "" {
		removeNetns(p)
	}
}

// rewriteNetworkFiles gives /etc/hosts the container's addresses, its
// --add-host and --link entries, and resolv.conf the embedded resolver on
// user networks (or the default one back when it left them). The files
// are rewritten in place: they are already bind-mounted. starting says
// the files still hold what create wrote.
func (s *Service) rewriteNetworkFiles(r *record, starting bool) error {
	eps := s.net.Endpoints(r.ID)
	s.mu.Lock()
	order := joinOrder(r)
	hc, names := r.HostConfig, hostNames(r.Config)
	s.mu.Unlock()
	var own []hostLine
	for _, name := range order {
		if ep, ok := eps[name]; ok && ep.IPAddress.IsValid() {
			own = append(own, hostLine{ep.IPAddress.String(), names})
		}
	}
	if len(own) == 0 && !starting { // left its last network
		own = []hostLine{{"127.0.1.1", names}}
	}
	if len(own) > 0 {
		extra, err := s.extraHosts(r, eps)
		if err != nil {
			return err
		}
		if err := os.WriteFile(r.HostsPath, []byte(renderHosts(extra, own...)), 0o644); err != nil {
			return err
		}
	}
	_, embedded := s.net.DNS(r.ID)
	if !embedded && starting {
		// Unless a previous run left the embedded resolver in it, create's
		// file is right: spare the start a rewrite.
		cur, _ := os.ReadFile(r.ResolvConfPath)
		if !bytes.Contains(cur, []byte("nameserver "+embeddedDNS+"\n")) {
			return nil
		}
	}
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(r.ResolvConfPath, renderResolvConf(host, withDaemonDNS(hc, s.cfg.DNS), embedded), 0o644)
}

// extraHosts are the --add-host entries ("host-gateway" is the default
// bridge's gateway) and the --link ones: the linked container's address
// on the network they share, then its alias, hostname and name.
func (s *Service) extraHosts(r *record, eps map[string]network.Endpoint) ([]hostLine, error) {
	var out []hostLine
	for _, h := range r.HostConfig.ExtraHosts {
		name, ip, err := parseExtraHost(h)
		if err != nil {
			return nil, err
		}
		if ip == "host-gateway" {
			n, err := s.net.Get("bridge")
			if err != nil || len(n.IPAM.Config) == 0 || !n.IPAM.Config[0].Gateway.IsValid() {
				return nil, errors.New("unable to derive the IP value for host-gateway")
			}
			ip = n.IPAM.Config[0].Gateway.String()
		}
		out = append(out, hostLine{ip, name})
	}
	byNet := map[string][]string{}
	s.mu.Lock()
	if _, ok := eps["bridge"]; ok && !r.HostConfig.NetworkMode.IsUserDefined() {
		byNet["bridge"] = r.HostConfig.Links // legacy links, as Docker: not with a user network mode
	}
	for name, es := range r.Networks {
		if _, ok := eps[name]; ok && es != nil && name != "bridge" {
			byNet[name] = es.Links
		}
	}
	s.mu.Unlock()
	for netName, links := range byNet {
		ls, err := parseLinks(links)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			child, err := s.lookup(l.name)
			if err != nil {
				return nil, errdefs.Invalid("could not get container for %s: %v", l.name, err)
			}
			ep, ok := s.net.Endpoints(child.ID)[netName]
			if (!ok || !ep.IPAddress.IsValid()) && netName != "bridge" {
				continue // a link on a user network names only containers on it
			}
			if !ok || !ep.IPAddress.IsValid() {
				return nil, errdefs.Invalid("Cannot link to a non running container: /%s AS /%s/%s", child.Name, r.Name, l.alias)
			}
			s.mu.Lock()
			names := []string{l.alias, child.Config.Hostname, child.Name}
			s.mu.Unlock()
			out = append(out, hostLine{ep.IPAddress.String(), strings.Join(slices.Compact(names), " ")})
		}
	}
	return out, nil
}

// publishedPorts turns -p (PortBindings) and -P (PublishAllPorts with
// ExposedPorts) into kernel port forwards; an empty host port stays 0 and
// Publish picks a free one.
func publishedPorts(cfg *container.Config, hc *container.HostConfig) ([]nat.Port, error) {
	bindings := mnet.PortMap{}
	for p, bs := range hc.PortBindings {
		bindings[p] = bs
	}
	if hc.PublishAllPorts {
		for p := range cfg.ExposedPorts {
			if _, ok := bindings[p]; !ok {
				bindings[p] = []mnet.PortBinding{{}}
			}
		}
	}
	var out []nat.Port
	keys := make([]mnet.Port, 0, len(bindings))
	for p := range bindings {
		keys = append(keys, p)
	}
	slices.SortFunc(keys, func(a, b mnet.Port) int { return strings.Compare(a.String(), b.String()) })
	for _, p := range keys {
		proto := string(p.Proto())
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			return nil, errdefs.Invalid("unsupported protocol %s in port %s", proto, p)
		}
		for _, b := range bindings[p] {
			hp, err := hostPort(b.HostPort)
			if err != nil {
				return nil, err
			}
			out = append(out, nat.Port{Proto: proto, HostIP: b.HostIP, HostPort: hp, ContainerPort: p.Num()})
		}
	}
	return out, nil
}

// hostPort parses a host port ("8080", or "8080-8090" whose first is
// taken); empty is 0, which the network service turns into a free port.
func hostPort(s string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	s, _, _ = strings.Cut(s, "-")
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, errdefs.Invalid("invalid host port %q", s)
	}
	return uint16(n), nil
}

// networkSettings fills NetworkSettings.Networks from the configured
// networks (empty addresses while not running, as Docker shows them) and,
// when running, the live endpoints, and Ports from the published ports.
// Callers hold s.mu.
func (s *Service) networkSettings(r *record, ns *container.NetworkSettings, running bool) {
	for name, es := range r.Networks {
		if es == nil {
			es = &mnet.EndpointSettings{}
		}
		ns.Networks[name] = es.Copy()
	}
	if s.net == nil || !running {
		return
	}
	live := s.net.Endpoints(r.ID)
	for name, ep := range live {
		es := ep.EndpointSettings
		if conf, ok := r.Networks[name]; ok && conf != nil {
			es.IPAMConfig, es.Links, es.DriverOpts = conf.IPAMConfig.Copy(), slices.Clone(conf.Links), maps.Clone(conf.DriverOpts)
			es.Aliases, es.GwPriority = slices.Clone(conf.Aliases), conf.GwPriority
		}
		if !isPredefined(name) {
			// Docker's DNS names: name, aliases, short ID, hostname.
			names := append([]string{r.Name}, es.Aliases...)
			names = append(names, r.ID[:12], r.Config.Hostname)
			es.DNSNames = dedup(names)
		}
		ns.Networks[name] = &es
	}
	if len(live) == 0 {
		return
	}
	ns.Ports = mnet.PortMap{}
	for _, p := range r.Ports {
		k, _ := mnet.PortFrom(p.ContainerPort, mnet.IPProtocol(p.Proto))
		hip := p.HostIP
		if !hip.IsValid() {
			hip = netip.IPv4Unspecified()
		}
		ns.Ports[k] = append(ns.Ports[k], mnet.PortBinding{HostIP: hip, HostPort: strconv.Itoa(int(p.HostPort))})
	}
	for p := range r.Config.ExposedPorts {
		if _, ok := ns.Ports[p]; !ok {
			ns.Ports[p] = nil
		}
	}
}

// dedup drops repeated and empty names, keeping the first of each.
func dedup(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// NetNamespaces maps each running container's ID to its netns path, for
// network.Service.Reconcile at daemon start.
func (s *Service) NetNamespaces() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for id, r := range s.byID {
		if r.State.Status == stateRunning && r.State.Pid > 0 {
			out[id] = fmt.Sprintf("/proc/%d/ns/net", r.State.Pid)
		}
	}
	return out
}

package container

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
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
	Endpoints(containerID string) map[string]network.Endpoint
	Publish(containerID string, ports []nat.Port) error
	Unpublish(containerID string) error
	DNS(containerID string) ([]string, bool)
}

// bridgeNetwork names the network a container joins at start, or "" when
// it has its own (none), the host's or another container's stack.
func bridgeNetwork(hc *container.HostConfig) string {
	switch m := hc.NetworkMode; {
	case m == "" || m == "default" || m == "bridge":
		return "bridge"
	case m.IsNone() || m.IsHost() || m.IsContainer():
		return ""
	default:
		return string(m)
	}
}

// connectNetwork attaches the created (not yet started) container whose
// init is pid to its network, publishes its ports and rewrites its hosts
// and resolv.conf to match. On error everything done is undone.
func (s *Service) connectNetwork(ctx context.Context, r *record, pid int) error {
	name := bridgeNetwork(r.HostConfig)
	if s.net == nil || name == "" || pid <= 0 {
		return nil
	}
	opts := network.EndpointOptions{Name: r.Name}
	ep, err := s.net.Connect(ctx, name, r.ID, fmt.Sprintf("/proc/%d/ns/net", pid), opts)
	if err != nil {
		return err
	}
	ports, err := publishedPorts(r.Config, r.HostConfig)
	if err == nil {
		err = s.net.Publish(r.ID, ports)
	}
	if err == nil {
		s.mu.Lock()
		r.Ports = ports // the host ports picked, for inspect
		s.mu.Unlock()
	}
	if err == nil {
		err = s.rewriteNetworkFiles(r, ep.IPAddress)
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
	ctx := context.Background()
	if published { // spares the unpublished an nftables dump per exit
		if err := s.net.Unpublish(id); err != nil {
			log.Printf("container %s: unpublish: %v", id[:12], err)
		}
	}
	for name := range s.net.Endpoints(id) {
		if err := s.net.Disconnect(ctx, name, id); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			log.Printf("container %s: disconnect %s: %v", id[:12], name, err)
		}
	}
}

// rewriteNetworkFiles gives /etc/hosts the container's address and
// resolv.conf the embedded resolver on user networks. The files are
// rewritten in place: they are already bind-mounted.
func (s *Service) rewriteNetworkFiles(r *record, ip netip.Addr) error {
	if ip.IsValid() {
		hostname := r.Config.Hostname
		if r.Config.Domainname != "" {
			hostname += "." + r.Config.Domainname
		}
		hosts := strings.Replace(hostsFile(hostname, r.Config.Hostname), "127.0.1.1\t", ip.String()+"\t", 1)
		if err := os.WriteFile(r.HostsPath, []byte(hosts), 0o644); err != nil {
			return err
		}
	}
	servers, ok := s.net.DNS(r.ID)
	if !ok {
		return nil
	}
	var b strings.Builder
	for _, ns := range servers {
		b.WriteString("nameserver " + ns + "\n")
	}
	b.WriteString("options ndots:0\n")
	return os.WriteFile(r.ResolvConfPath, []byte(b.String()), 0o644)
}

// publishedPorts turns -p (PortBindings) and -P (PublishAllPorts with
// ExposedPorts) into kernel port forwards; an empty host port is a free
// one picked now.
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
			hp, err := hostPort(b.HostPort, proto, b.HostIP)
			if err != nil {
				return nil, err
			}
			out = append(out, nat.Port{Proto: proto, HostIP: b.HostIP, HostPort: hp, ContainerPort: p.Num()})
		}
	}
	return out, nil
}

// hostPort parses a host port ("8080", or "8080-8090" whose first is
// taken) or, when empty, asks the kernel for a free ephemeral one.
func hostPort(s, proto string, ip netip.Addr) (uint16, error) {
	if s != "" {
		s, _, _ = strings.Cut(s, "-")
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil || n == 0 {
			return 0, errdefs.Invalid("invalid host port %q", s)
		}
		return uint16(n), nil
	}
	host := "0.0.0.0"
	if ip.IsValid() {
		host = ip.String()
	}
	addr := net.JoinHostPort(host, "0")
	if proto == "udp" {
		c, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}

// networkSettings fills inspect's NetworkSettings from the endpoints.
func (s *Service) networkSettings(r *record, ns *container.NetworkSettings) {
	if s.net == nil {
		return
	}
	for name, ep := range s.net.Endpoints(r.ID) {
		es := ep.EndpointSettings
		ns.Networks[name] = &es
	}
	if len(ns.Networks) == 0 {
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

package network

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"

	"github.com/vishvananda/netns"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/dns"
)

// ResolverIP is the embedded DNS server's address inside containers on
// user-defined networks, as Docker's.
const ResolverIP = "127.0.0.11"

// How a container gets a resolver (Docker's scheme, without iptables):
//
// When a container joins its first user-defined network, the daemon opens a
// UDP and a TCP socket bound to 127.0.0.11:53 inside the container's network
// namespace (a goroutine locks its thread, setns()es into the namespace,
// binds, and its thread is then discarded, never reused by Go) and serves
// them with a dns.Server from the daemon: sockets keep the namespace they
// were made in. Names of the container's user networks are answered from
// the registry; the rest is forwarded to the host's resolvers from the
// daemon's own namespace (so it works even on --internal networks and with
// a loopback-only host resolver).
//
// The engine writes the container's /etc/resolv.conf from DNS(containerID):
// "nameserver 127.0.0.11" (plus search/options) when ok, the host's
// resolv.conf otherwise (default bridge, host, none). After a daemon
// restart the sockets are gone with the old process: Reconcile reopens
// them for every live container on a user network. 127.0.0.11 is on lo,
// which Attach brings up.
type resolver struct {
	srv  *dns.Server
	path string
}

// DNS says which nameservers the container's resolv.conf should name:
// [127.0.0.11] on user networks; ok is false when the host's apply.
func (s *Service) DNS(containerID string) (nameservers []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, running := s.dns[containerID]; !running {
		return nil, false
	}
	return []string{ResolverIP}, true
}

// userNetworks lists the user networks the container is on.
func (s *Service) userNetworks(containerID string) []string {
	var out []string
	for _, r := range s.nets {
		if _, ok := r.Endpoints[containerID]; ok && r.dnsEnabled() {
			out = append(out, r.Name)
		}
	}
	return out
}

func (s *Service) onUserNetwork(containerID string) bool {
	return len(s.userNetworks(containerID)) > 0
}

// startDNS serves 127.0.0.11:53 in the container's namespace, or updates
// the networks of the server already there.
func (s *Service) startDNS(containerID, netnsPath string) error {
	nets := s.userNetworks(containerID)
	if r, ok := s.dns[containerID]; ok && r.path == netnsPath {
		r.srv.SetNetworks(nets...)
		return nil
	}
	s.stopDNS(containerID)
	upstreams := s.cfg.DNSUpstreams
	for _, r := range s.nets { // the container's own --dns servers, if it has any
		if ep, ok := r.Endpoints[containerID]; ok && len(ep.DNSUpstreams) > 0 {
			upstreams = ep.DNSUpstreams
		}
	}
	srv, err := dns.NewServer(s.reg, dns.Config{Networks: nets, Upstreams: upstreams})
	if err != nil {
		return err
	}
	var pc net.PacketConn
	var ln net.Listener
	err = inNetns(netnsPath, func() (err error) {
		if pc, err = net.ListenPacket("udp4", ResolverIP+":53"); err != nil {
			return err
		}
		if ln, err = net.Listen("tcp4", ResolverIP+":53"); err != nil {
			pc.Close()
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("listen on %s:53 in %s: %w", ResolverIP, netnsPath, err)
	}
	srv.Start(pc, ln) // until Shutdown
	s.dns[containerID] = &resolver{srv: srv, path: netnsPath}
	return nil
}

// upstreamAddrs turns --dns values ("8.8.8.8", "[2001:db8::1]:5353") into
// "host:port" forms, port 53 unless given.
func upstreamAddrs(servers []string) ([]string, error) {
	var out []string
	for _, v := range servers {
		if ap, err := netip.ParseAddrPort(v); err == nil {
			out = append(out, ap.String())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, errdefs.Invalid("%s is not an ip address", v)
		}
		out = append(out, netip.AddrPortFrom(a.Unmap(), 53).String())
	}
	return out, nil
}

// refreshDNS updates or stops a container's resolver after a disconnect.
func (s *Service) refreshDNS(containerID string) {
	r, ok := s.dns[containerID]
	if !ok {
		return
	}
	if nets := s.userNetworks(containerID); len(nets) > 0 {
		r.srv.SetNetworks(nets...)
		return
	}
	s.stopDNS(containerID)
}

func (s *Service) stopDNS(containerID string) {
	if r, ok := s.dns[containerID]; ok {
		r.srv.Shutdown()
		delete(s.dns, containerID)
	}
}

// Close stops every embedded resolver (daemon shutdown). Kernel state
// stays: containers keep running.
// Pending veth deletions are waited for.
func (s *Service) Close() {
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.dns {
		s.stopDNS(id)
	}
}

// inNetns runs fn on a fresh thread moved into the namespace at path.
// The thread stays locked and is discarded when fn returns, so no other
// goroutine ever runs in that namespace.
func inNetns(path string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: Go ends the thread with the goroutine
		ns, err := netns.GetFromPath(path)
		if err != nil {
			done <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	return <-done
}

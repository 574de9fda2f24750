package network

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/nat"
)

// Publish forwards host ports to the container in the kernel (no proxy
// process). Each port's ID becomes containerID; a port without
// ContainerIP/Bridge gets those of the endpoint with its default route. A port
// already published is a Conflict naming its container; a port a host
// program listens on is a Conflict too (our DNAT would hide that program).
// A host port of 0 gets a free one; ports gets what was published. All or
// nothing: on error the ports added by this call are removed.
func (s *Service) Publish(containerID string, ports []nat.Port) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var done []nat.Port
	for i, p := range ports {
		p.ID = containerID
		if !p.ContainerIP.IsValid() || p.Bridge == "" {
			r, ep := s.primary(containerID)
			if ep == nil {
				return s.undo(done, errdefs.Invalid("container %s has no bridge network to publish ports on", containerID))
			}
			p.ContainerIP, p.Bridge = ep.Addr, r.Bridge
		}
		var err error
		if p.HostPort == 0 {
			p.HostPort, err = s.publishFree(p)
		} else if err = probe(p); err == nil {
			err = s.nat.Publish(p)
		}
		if err != nil {
			return s.undo(done, s.nameHolder(err))
		}
		ports[i] = p // the host port picked, the address and bridge it forwards to
		done = append(done, p)
	}
	return nil
}

// publishFree publishes p on a free ephemeral host port. The kernel's
// pick knows only sockets, not ports we forward without one (it handed a
// second container the port the first one was published on), so a port
// our table already holds is skipped and another asked for.
func (s *Service) publishFree(p nat.Port) (uint16, error) {
	var err error
	for range 64 {
		if p.HostPort, err = freePort(p); err != nil {
			return 0, err
		}
		err = s.nat.Publish(p)
		var pa *nat.PortAllocatedError
		if !errors.As(err, &pa) {
			return p.HostPort, err
		}
	}
	return 0, fmt.Errorf("no free host port for %s/%d: %w", p.Proto, p.ContainerPort, err)
}

// freePort is ephemeral; a test makes it answer a port already forwarded.
var freePort = ephemeral

// ephemeral asks the kernel for a port no socket holds on p's host address.
func ephemeral(p nat.Port) (uint16, error) {
	host := "0.0.0.0"
	if p.HostIP.IsValid() {
		host = p.HostIP.String()
	}
	addr := net.JoinHostPort(host, "0")
	if p.Proto == "udp" {
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

// Unpublish removes every published port of the container.
func (s *Service) Unpublish(containerID string) error {
	return s.nat.RemoveOwner(containerID)
}

// undo removes the ports published so far; err is said in Docker's words
// ("failed to set up container networking: ..."), which clients match.
func (s *Service) undo(done []nat.Port, err error) error {
	for _, p := range done {
		_ = s.nat.Unpublish(p)
	}
	return fmt.Errorf("failed to set up container networking: %w", err)
}

// nameHolder adds the name of the container holding a port to nat's
// "port is already allocated".
func (s *Service) nameHolder(err error) error {
	var pa *nat.PortAllocatedError
	if !errors.As(err, &pa) {
		return err
	}
	who := pa.Owner
	if len(who) > 12 {
		who = who[:12]
	}
	for _, r := range s.nets {
		if ep, ok := r.Endpoints[pa.Owner]; ok && ep.Name != "" {
			who = ep.Name + " (" + who + ")"
			break
		}
	}
	return errdefs.Conflict("%s: held by container %s", pa.Error(), who)
}

// primary is the endpoint ports go to: the one holding the container's
// default route, else eth0, else the first network by name.
func (s *Service) primary(containerID string) (*record, *endpoint) {
	var r0 *record
	var e0 *endpoint
	rank := func(ep *endpoint) int {
		switch {
		case ep.Gateway:
			return 0
		case ep.IfName == "eth0":
			return 1
		}
		return 2
	}
	for _, r := range s.nets {
		ep, ok := r.Endpoints[containerID]
		if !ok || r.Bridge == "" {
			continue
		}
		if e0 == nil || rank(ep) < rank(e0) || rank(ep) == rank(e0) && r.Name < r0.Name {
			r0, e0 = r, ep
		}
	}
	return r0, e0
}

// probe binds the host side of p for a moment, in the calling thread's
// namespace: if a host program already holds it, say so.
func probe(p nat.Port) error {
	host := "0.0.0.0"
	if p.HostIP.IsValid() {
		host = p.HostIP.String()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(p.HostPort)))
	var err error
	if p.Proto == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket("udp4", addr); err == nil {
			c.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp4", addr); err == nil {
			l.Close()
		}
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		who := portHolder(p.Proto, p.HostPort)
		if who == "" {
			who = "a program on this host"
		}
		return errdefs.Conflict("Bind for %s failed: address already in use by %s", addr, who)
	}
	if err != nil && p.HostIP.IsValid() && !p.HostIP.IsUnspecified() && errors.Is(err, syscall.EADDRNOTAVAIL) {
		return errdefs.Invalid("Bind for %s failed: %s is not an address of this host", addr, p.HostIP)
	}
	if err != nil {
		return fmt.Errorf("probe %s: %w", addr, err)
	}
	return nil
}

package container

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"slices"

	mnet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/nat"
)

var _ api.ContainerNetworks = (*Service)(nil)

// ContainerNetworkConnect joins the container to a network: remembered in
// its config (joined at every start) and, when it runs, attached at once
// with its hosts and resolv.conf updated.
func (s *Service) ContainerNetworkConnect(ctx context.Context, ref, netRef string, es *mnet.EndpointSettings) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	r.op.Lock()
	defer r.op.Unlock()
	n, err := s.resolveNetwork(netRef)
	if err != nil {
		return err
	}
	s.mu.Lock()
	mode, gone := r.HostConfig.NetworkMode, r.gone
	_, have := r.Networks[n.Name]
	running := r.State.Status == stateRunning
	pid := r.State.Pid
	s.mu.Unlock()
	switch {
	case gone:
		return errdefs.NotFound("No such container: %s", ref)
	case mode.IsContainer() || mode.IsHost() && n.Name != "host":
		return invalid(errSharedNetwork)
	case n.Name == "host":
		return errdefs.Invalid("cannot connect container to host network - container must be created in host network mode")
	case mode.IsNone() || n.Name == "none":
		return invalid(errNoneNetwork)
	}
	conf, err := validateEndpoint(n, es)
	if err != nil {
		return err
	}
	if have && running {
		return errdefs.Forbidden("endpoint with name %s already exists in network %s", r.Name, n.Name)
	} else if have {
		return nil // Docker keeps the config it has
	}
	if err := s.validateLinks(conf.Links); err != nil {
		return err
	}
	if isPredefined(n.Name) {
		conf.NetworkID = ""
	}
	if running && s.net != nil {
		netns := fmt.Sprintf("/proc/%d/ns/net", pid)
		if _, err := s.net.Connect(ctx, n.Name, r.ID, netns, endpointOptions(r, conf)); err != nil {
			return err
		}
		s.followPorts(r) // the default route may have moved to it
	}
	s.mu.Lock()
	if r.Networks == nil {
		r.Networks = map[string]*mnet.EndpointSettings{}
	}
	r.Networks[n.Name] = conf
	err = s.save(r)
	s.mu.Unlock()
	if err == nil && running && s.net != nil {
		err = s.rewriteNetworkFiles(r, false)
	}
	return err
}

// ContainerNetworkDisconnect leaves a network: forgotten by the config
// and, when running, detached at once. force drops a network that no
// longer exists from the config.
func (s *Service) ContainerNetworkDisconnect(ctx context.Context, ref, netRef string, force bool) error {
	r, err := s.lookup(ref)
	if err != nil {
		return err
	}
	r.op.Lock()
	defer r.op.Unlock()
	name := netRef
	n, nerr := s.resolveNetwork(netRef)
	if nerr == nil {
		name = n.Name
	} else if !force || !isNotFound(nerr) {
		return nerr
	}
	s.mu.Lock()
	mode, gone := r.HostConfig.NetworkMode, r.gone
	_, have := r.Networks[name]
	running := r.State.Status == stateRunning
	s.mu.Unlock()
	switch {
	case gone:
		return errdefs.NotFound("No such container: %s", ref)
	case mode.IsHost() && name == "host":
		return errdefs.Invalid("cannot disconnect container from host network - container was created in host network mode")
	}
	live := false
	if running && s.net != nil {
		_, live = s.net.Endpoints(r.ID)[name]
	}
	if !have && !live {
		return errdefs.NotFound("container %s is not connected to network %s", r.ID, name)
	}
	if live {
		if err := s.net.Disconnect(ctx, name, r.ID); err != nil && !isNotFound(err) {
			return err
		}
		s.followPorts(r)
	}
	s.mu.Lock()
	delete(r.Networks, name)
	err = s.save(r)
	s.mu.Unlock()
	if err == nil && live {
		err = s.rewriteNetworkFiles(r, false)
	}
	return err
}

// followPorts keeps the published ports on the endpoint holding the
// container's default route (Docker moves them with it), after a connect
// or disconnect moved the route; with no bridge network left they go. A
// rule left on an address the container lost would forward to whichever
// container gets it next. The caller saves r.
func (s *Service) followPorts(r *record) {
	s.mu.Lock()
	ports := slices.Clone(r.Ports)
	s.mu.Unlock()
	if len(ports) == 0 {
		return
	}
	eps := s.net.Endpoints(r.ID)
	stale := func(p nat.Port) bool { // not where it should point
		for _, ep := range eps {
			if ep.DefaultRoute {
				return p.ContainerIP != ep.IPAddress
			}
		}
		for _, ep := range eps {
			if p.ContainerIP == ep.IPAddress {
				return false
			}
		}
		return true
	}
	if !slices.ContainsFunc(ports, stale) {
		return
	}
	if err := s.net.Unpublish(r.ID); err != nil {
		log.Printf("container %.12s: unpublish: %v", r.ID, err)
	}
	for i := range ports {
		ports[i].ContainerIP, ports[i].Bridge = netip.Addr{}, ""
	}
	if len(eps) == 0 {
		ports = nil
	} else if err := s.net.Publish(r.ID, ports); err != nil {
		log.Printf("container %.12s: ports not moved to its next network: %v", r.ID, err)
		ports = nil
	}
	s.mu.Lock()
	r.Ports = ports
	s.mu.Unlock()
}

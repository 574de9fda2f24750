package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errdefs"
)

// NetworkCreateOptions mirror internal/network's CreateOptions so that api
// need not import the network service (the engine adapts one to the other).
type NetworkCreateOptions struct {
	Driver, Subnet, Gateway, IPRange string
	Internal                         bool
	Labels, Options                  map[string]string
}

// NetworkBackend is what the /networks routes call; Config.Networks must
// implement it (else the routes answer 501). CONTRACT.
type NetworkBackend interface {
	NetworkCreate(ctx context.Context, name string, opts NetworkCreateOptions) (network.Inspect, error)
	NetworkGet(ref string) (network.Inspect, error)
	NetworkList() []network.Inspect
	NetworkRemove(ref string) error
	NetworkPrune() ([]string, error)
}

// ContainerNetworks is an ability of the container backend: joining and
// leaving networks. The container remembers them (they are part of its
// config, rejoined at every start); a running one is attached or detached
// at once. CONTRACT.
type ContainerNetworks interface {
	// es may be nil; es.IPAMConfig.IPv4Address, es.Aliases and
	// es.MacAddress are honoured.
	ContainerNetworkConnect(ctx context.Context, ref, netRef string, es *network.EndpointSettings) error
	ContainerNetworkDisconnect(ctx context.Context, ref, netRef string, force bool) error
}

func (s *Server) routeNetworks() {
	s.handle("GET /networks", s.networkList)
	s.handle("GET /networks/{$}", s.networkList) // dockerd lists on "/networks/" too
	s.handle("GET /networks/{id}", s.networkInspect)
	s.handle("POST /networks/create", s.networkCreate)
	s.handle("DELETE /networks/{id}", s.networkRemove)
	s.handle("POST /networks/prune", s.networkPrune)
	s.handle("POST /networks/{id}/connect", s.networkConnect)
	s.handle("POST /networks/{id}/disconnect", s.networkDisconnect)
}

func (s *Server) networks() (NetworkBackend, error) {
	if n, ok := s.cfg.Networks.(NetworkBackend); ok {
		return n, nil
	}
	return nil, errdefs.NotImplemented("networks are not wired yet")
}

func isBuiltin(n network.Inspect) bool {
	return n.Name == "bridge" || n.Name == "host" || n.Name == "none"
}

// matchNetwork applies Docker's network filters.
func matchNetwork(n network.Inspect, f map[string][]string) (bool, error) {
	for key, vals := range f {
		hit := false
		for _, v := range vals {
			var ok bool
			switch key {
			case "name":
				ok = strings.Contains(n.Name, v)
			case "id":
				ok = strings.HasPrefix(n.ID, v)
			case "driver":
				ok = n.Driver == v
			case "scope":
				ok = n.Scope == v
			case "label":
				k, val, hasVal := strings.Cut(v, "=")
				got, has := n.Labels[k]
				ok = has && (!hasVal || got == val)
			case "type":
				if v != "custom" && v != "builtin" {
					return false, invalidf("invalid filter: 'type'='%s'", v)
				}
				ok = (v == "builtin") == isBuiltin(n)
			case "dangling":
				if v != "true" && v != "false" && v != "1" && v != "0" {
					return false, invalidf("invalid filter 'dangling=%s'", v)
				}
				want := v == "true" || v == "1"
				ok = want == (len(n.Containers) == 0 && !isBuiltin(n))
			default:
				return false, invalidf("invalid filter '%s'", key)
			}
			hit = hit || ok
		}
		if !hit {
			return false, nil
		}
	}
	return true, nil
}

func (s *Server) networkList(w http.ResponseWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	f, err := decodeFilters(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	out := []network.Inspect{}
	for _, n := range nb.NetworkList() {
		ok, err := matchNetwork(n, f)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, n)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) networkInspect(w http.ResponseWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	n, err := nb.NetworkGet(r.PathValue("id"))
	if err != nil {
		return err
	}
	if sc := r.URL.Query().Get("scope"); sc != "" && sc != n.Scope {
		return errdefs.NotFound("network %s not found", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) networkCreate(w http.ResponseWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	var req network.CreateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return invalidf("network name must not be empty")
	}
	opts := NetworkCreateOptions{Driver: req.Driver, Internal: req.Internal, Labels: req.Labels, Options: req.Options}
	// Said plainly rather than ignored: a network asked for with IPv6 and
	// made without it fails later, far from the cause.
	v6 := req.EnableIPv6 != nil && *req.EnableIPv6
	if req.IPAM != nil {
		for _, c := range req.IPAM.Config {
			v6 = v6 || c.Subnet.Addr().Is6() || c.Gateway.Is6() || c.IPRange.Addr().Is6()
		}
	}
	if v6 {
		return errdefs.NotImplemented("IPv6 networks are not supported: Wharf's networks are IPv4 only (drop --ipv6 / enable_ipv6 and IPv6 subnets)")
	}
	if req.IPAM != nil && len(req.IPAM.Config) > 0 {
		if len(req.IPAM.Config) > 1 {
			return invalidf("only one IPAM config is supported")
		}
		c := req.IPAM.Config[0]
		if c.Subnet.IsValid() {
			opts.Subnet = c.Subnet.String()
		}
		if c.IPRange.IsValid() {
			opts.IPRange = c.IPRange.String()
		}
		if c.Gateway.IsValid() {
			opts.Gateway = c.Gateway.String()
		}
	}
	n, err := nb.NetworkCreate(r.Context(), req.Name, opts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		ID      string `json:"Id"`
		Warning string
	}{n.ID, ""})
	return nil
}

func (s *Server) networkRemove(w http.ResponseWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	if err := nb.NetworkRemove(r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) networkPrune(w http.ResponseWriter, r *http.Request) error {
	nb, err := s.networks()
	if err != nil {
		return err
	}
	del, err := nb.NetworkPrune()
	if err != nil {
		return err
	}
	if del == nil {
		del = []string{}
	}
	slices.Sort(del)
	writeJSON(w, http.StatusOK, struct{ NetworksDeleted []string }{del})
	return nil
}

// connectRequest is the body of connect and disconnect.
type connectRequest struct {
	Container      string
	EndpointConfig *network.EndpointSettings
	Force          bool
}

func (s *Server) containerNetworks(r *http.Request) (ContainerNetworks, connectRequest, error) {
	var req connectRequest
	cn, ok := s.cfg.Containers.(ContainerNetworks)
	if !ok {
		return nil, req, errdefs.NotImplemented("network connect is not wired yet")
	}
	if err := readJSON(r, &req); err != nil {
		return nil, req, err
	}
	if req.Container == "" {
		return nil, req, invalidf("container must not be empty")
	}
	return cn, req, nil
}

func (s *Server) networkConnect(w http.ResponseWriter, r *http.Request) error {
	cn, req, err := s.containerNetworks(r)
	if err != nil {
		return err
	}
	if err := cn.ContainerNetworkConnect(r.Context(), req.Container, r.PathValue("id"), req.EndpointConfig); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) networkDisconnect(w http.ResponseWriter, r *http.Request) error {
	cn, req, err := s.containerNetworks(r)
	if err != nil {
		return err
	}
	if err := cn.ContainerNetworkDisconnect(r.Context(), req.Container, r.PathValue("id"), req.Force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

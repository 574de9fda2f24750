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

// NetworkEndpointOptions mirror internal/network's EndpointOptions.
type NetworkEndpointOptions struct {
	IPv4    string
	Aliases []string
	MAC     string
	Name    string // the container's name
}

// NetworkBackend is what the /networks routes call; Config.Networks must
// implement it (else the routes answer 501).
type NetworkBackend interface {
	NetworkCreate(ctx context.Context, name string, opts NetworkCreateOptions) (network.Inspect, error)
	NetworkGet(ref string) (network.Inspect, error)
	NetworkList() []network.Inspect
	NetworkRemove(ref string) error
	NetworkPrune() ([]string, error)
	NetworkConnect(ctx context.Context, netRef, containerID, netnsPath string, opts NetworkEndpointOptions) error
	NetworkDisconnect(ctx context.Context, netRef, containerID string) error
}

// ContainerNetNS is an optional ability of the container backend: the ID,
// name and network namespace path of a container, for connect/disconnect.
type ContainerNetNS interface {
	ContainerNetNS(ctx context.Context, ref string) (id, name, netnsPath string, err error)
}

func (s *Server) routeNetworks() {
	s.handle("GET /networks", s.networkList)
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
	EndpointConfig *struct {
		IPAMConfig *struct{ IPv4Address string }
		Aliases    []string
		MacAddress string
	}
	Force bool
}

// netnsOf resolves the request's container through the optional ability.
func (s *Server) netnsOf(r *http.Request) (NetworkBackend, connectRequest, [3]string, error) {
	var req connectRequest
	var c [3]string
	nb, err := s.networks()
	if err != nil {
		return nil, req, c, err
	}
	ns, ok := s.cfg.Containers.(ContainerNetNS)
	if !ok {
		return nil, req, c, errdefs.NotImplemented("network connect is not wired yet")
	}
	if err := readJSON(r, &req); err != nil {
		return nil, req, c, err
	}
	if req.Container == "" {
		return nil, req, c, invalidf("container must not be empty")
	}
	c[0], c[1], c[2], err = ns.ContainerNetNS(r.Context(), req.Container)
	return nb, req, c, err
}

func (s *Server) networkConnect(w http.ResponseWriter, r *http.Request) error {
	nb, req, c, err := s.netnsOf(r)
	if err != nil {
		return err
	}
	opts := NetworkEndpointOptions{Name: strings.TrimPrefix(c[1], "/")}
	if ec := req.EndpointConfig; ec != nil {
		opts.Aliases, opts.MAC = ec.Aliases, ec.MacAddress
		if ec.IPAMConfig != nil {
			opts.IPv4 = ec.IPAMConfig.IPv4Address
		}
	}
	if err := nb.NetworkConnect(r.Context(), r.PathValue("id"), c[0], c[2], opts); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) networkDisconnect(w http.ResponseWriter, r *http.Request) error {
	nb, _, c, err := s.netnsOf(r)
	if err != nil {
		return err
	}
	if err := nb.NetworkDisconnect(r.Context(), r.PathValue("id"), c[0]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

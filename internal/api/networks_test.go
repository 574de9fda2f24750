package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errdefs"
)

// fakeNetworks is a NetworkBackend over a fixed list.
type fakeNetworks struct {
	nets    []network.Inspect
	calls   []string
	created NetworkCreateOptions
}

func (f *fakeNetworks) NetworkCreate(ctx context.Context, name string, o NetworkCreateOptions) (network.Inspect, error) {
	f.calls = append(f.calls, "create "+name)
	f.created = o
	if name == "dup" {
		return network.Inspect{}, errdefs.Conflict("network with name %s already exists", name)
	}
	return network.Inspect{Network: network.Network{ID: "newid", Name: name}}, nil
}

func (f *fakeNetworks) NetworkGet(ref string) (network.Inspect, error) {
	for _, n := range f.nets {
		if n.ID == ref || n.Name == ref {
			return n, nil
		}
	}
	return network.Inspect{}, errdefs.NotFound("network %s not found", ref)
}

func (f *fakeNetworks) NetworkList() []network.Inspect { return f.nets }

func (f *fakeNetworks) NetworkRemove(ref string) error {
	f.calls = append(f.calls, "rm "+ref)
	if ref == "bridge" {
		return errdefs.Forbidden("bridge is a pre-defined network and cannot be removed")
	}
	_, err := f.NetworkGet(ref)
	return err
}

func (f *fakeNetworks) NetworkPrune() ([]string, error) { return []string{"b", "a"}, nil }

// netBackend adds the ContainerNetworks ability to the fake containers.
type netBackend struct {
	*fakeBackend
	calls []string
	es    *network.EndpointSettings
}

func (b *netBackend) ContainerNetworkConnect(ctx context.Context, ref, netRef string, es *network.EndpointSettings) error {
	if ref == "nosuch" {
		return errdefs.NotFound("No such container: %s", ref)
	}
	b.calls = append(b.calls, fmt.Sprintf("connect %s %s", netRef, ref))
	b.es = es
	return nil
}

func (b *netBackend) ContainerNetworkDisconnect(ctx context.Context, ref, netRef string, force bool) error {
	b.calls = append(b.calls, fmt.Sprintf("disconnect %s %s %v", netRef, ref, force))
	return nil
}

func newNetServer(t *testing.T, withNS bool) (*httptest.Server, *fakeNetworks, *netBackend) {
	t.Helper()
	nets := &fakeNetworks{nets: []network.Inspect{
		{Network: network.Network{ID: "b1", Name: "bridge", Driver: "bridge", Scope: "local"}},
		{Network: network.Network{ID: "h1", Name: "host", Driver: "host", Scope: "local"}},
		{Network: network.Network{ID: "u1", Name: "front", Driver: "bridge", Scope: "local", Labels: map[string]string{"env": "prod"}}},
		{Network: network.Network{ID: "u2", Name: "back", Driver: "bridge", Scope: "local"},
			Containers: map[string]network.EndpointResource{"c": {}}},
	}}
	b := &fakeBackend{}
	nb := &netBackend{fakeBackend: b}
	var cb ContainerBackend = b
	if withNS {
		cb = nb
	}
	srv := httptest.NewServer(New(Config{Containers: cb, Exec: b, Images: &fakeImages{}, Networks: nets}))
	t.Cleanup(srv.Close)
	return srv, nets, nb
}

func TestNetworksUnwired(t *testing.T) {
	srv, _, _ := newTestServer(t)
	for _, p := range []string{"GET /networks", "GET /networks/x", "POST /networks/prune", "DELETE /networks/x"} {
		m, path, _ := strings.Cut(p, " ")
		if r := call(t, srv, m, path, ""); r.code != 501 {
			t.Errorf("%s without a backend: %d %s", p, r.code, r.body)
		}
	}
	srv2, _, _ := newNetServer(t, false)
	if r := call(t, srv2, "POST", "/networks/front/connect", `{"Container":"c"}`); r.code != 501 || !strings.Contains(r.body, "not wired") {
		t.Errorf("connect without ContainerNetNS: %d %s", r.code, r.body)
	}
}

func TestNetworkListFilters(t *testing.T) {
	srv, _, _ := newNetServer(t, true)
	for _, tc := range []struct {
		filters string
		want    string
		code    int
	}{
		{``, "bridge,host,front,back", 200},
		{`{"name":["ro"]}`, "front", 200},
		{`{"id":["u"]}`, "front,back", 200},
		{`{"driver":["host"]}`, "host", 200},
		{`{"label":["env=prod"]}`, "front", 200},
		{`{"label":["env=dev"]}`, "", 200},
		{`{"type":["custom"]}`, "front,back", 200},
		{`{"type":["builtin"]}`, "bridge,host", 200},
		{`{"dangling":["true"]}`, "front", 200},
		{`{"type":{"custom":true},"driver":["bridge"]}`, "front,back", 200},
		{`{"type":["bogus"]}`, "", 400},
		{`{"color":["red"]}`, "", 400},
	} {
		path := "/v1.44/networks"
		if tc.filters == "" {
			path += "/" // dockerd lists on "/networks/" too (moby's TestNetworkList)
		}
		r := call(t, srv, "GET", path+"?filters="+url.QueryEscape(tc.filters), "")
		if r.code != tc.code {
			t.Errorf("%s: %d %s", tc.filters, r.code, r.body)
			continue
		}
		if r.code != 200 {
			continue
		}
		var got []network.Inspect
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range got {
			names = append(names, n.Name)
		}
		if s := strings.Join(names, ","); s != tc.want {
			t.Errorf("%s: got %q, want %q", tc.filters, s, tc.want)
		}
		if tc.want == "" && strings.TrimSpace(r.body) != "[]" {
			t.Errorf("%s: empty list must be [], got %s", tc.filters, r.body)
		}
	}
}

func TestNetworkInspectCreateRemovePrune(t *testing.T) {
	srv, nets, _ := newNetServer(t, true)
	if r := call(t, srv, "GET", "/networks/front", ""); r.code != 200 || !strings.Contains(r.body, `"Id":"u1"`) {
		t.Errorf("inspect: %d %s", r.code, r.body)
	}
	if r := call(t, srv, "GET", "/networks/front?scope=swarm", ""); r.code != 404 {
		t.Errorf("inspect wrong scope: %d %s", r.code, r.body)
	}
	if r := call(t, srv, "GET", "/networks/nosuch", ""); r.code != 404 {
		t.Errorf("inspect missing: %d %s", r.code, r.body)
	}
	body := `{"Name":"n1","Driver":"bridge","Internal":true,"Labels":{"a":"b"},"Options":{"x":"y"},
		"IPAM":{"Config":[{"Subnet":"10.9.0.0/16","IPRange":"10.9.1.0/24","Gateway":"10.9.0.254"}]}}`
	r := call(t, srv, "POST", "/networks/create", body)
	if r.code != 201 || !strings.Contains(r.body, `"Id":"newid"`) || !strings.Contains(r.body, `"Warning":""`) {
		t.Errorf("create: %d %s", r.code, r.body)
	}
	c := nets.created
	if c.Driver != "bridge" || !c.Internal || c.Subnet != "10.9.0.0/16" || c.IPRange != "10.9.1.0/24" ||
		c.Gateway != "10.9.0.254" || c.Labels["a"] != "b" || c.Options["x"] != "y" {
		t.Errorf("create options: %+v", c)
	}
	if r := call(t, srv, "POST", "/networks/create", `{"Name":"dup"}`); r.code != 409 {
		t.Errorf("create duplicate: %d %s", r.code, r.body)
	}
	if r := call(t, srv, "POST", "/networks/create", `{"Name":""}`); r.code != 400 {
		t.Errorf("create without name: %d %s", r.code, r.body)
	}
	for _, body := range []string{`{"Name":"v6","EnableIPv6":true}`,
		`{"Name":"v6","IPAM":{"Config":[{"Subnet":"10.9.0.0/16"},{"Subnet":"fd54:7a1b:8269::/64","Gateway":"fd54:7a1b:8269::1"}]}}`} {
		nets.created = NetworkCreateOptions{Driver: "untouched"}
		r := call(t, srv, "POST", "/networks/create", body)
		if r.code != 501 || !strings.Contains(r.body, "IPv6 networks are not supported") || nets.created.Driver != "untouched" {
			t.Errorf("create %s: %d %s (created %+v)", body, r.code, r.body, nets.created)
		}
	}
	if r := call(t, srv, "POST", "/networks/create", `{"Name":"v4","EnableIPv6":false}`); r.code != 201 {
		t.Errorf("create with EnableIPv6 false: %d %s", r.code, r.body)
	}
	for path, code := range map[string]int{"/networks/front": 204, "/networks/bridge": 403, "/networks/nosuch": 404} {
		if r := call(t, srv, "DELETE", path, ""); r.code != code {
			t.Errorf("DELETE %s: %d %s", path, r.code, r.body)
		}
	}
	if r := call(t, srv, "POST", "/networks/prune", ""); r.code != 200 || strings.TrimSpace(r.body) != `{"NetworksDeleted":["a","b"]}` {
		t.Errorf("prune: %d %s", r.code, r.body)
	}
}

func TestNetworkConnectDisconnect(t *testing.T) {
	srv, _, cb := newNetServer(t, true)
	body := `{"Container":"web","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.9.0.5"},"Aliases":["w"],"MacAddress":"02:42:0a:09:00:05"}}`
	if r := call(t, srv, "POST", "/networks/front/connect", body); r.code != 200 {
		t.Fatalf("connect: %d %s", r.code, r.body)
	}
	if got := cb.calls[len(cb.calls)-1]; got != "connect front web" {
		t.Errorf("connect call: %s", got)
	}
	if e := cb.es; e == nil || e.IPAMConfig == nil || e.IPAMConfig.IPv4Address.String() != "10.9.0.5" ||
		len(e.Aliases) != 1 || e.MacAddress.String() != "02:42:0a:09:00:05" {
		t.Errorf("endpoint settings: %+v", e)
	}
	if r := call(t, srv, "POST", "/networks/front/connect", `{"Container":"nosuch"}`); r.code != 404 {
		t.Errorf("connect missing container: %d %s", r.code, r.body)
	}
	if r := call(t, srv, "POST", "/networks/front/connect", `{}`); r.code != 400 {
		t.Errorf("connect without container: %d %s", r.code, r.body)
	}
	if r := call(t, srv, "POST", "/networks/front/disconnect", `{"Container":"web","Force":true}`); r.code != 200 {
		t.Errorf("disconnect: %d %s", r.code, r.body)
	}
	if got := cb.calls[len(cb.calls)-1]; got != "disconnect front web true" {
		t.Errorf("disconnect call: %s", got)
	}
}

func TestInfoNetworking(t *testing.T) {
	b := &fakeBackend{}
	sys := SystemInfo{ID: "X", Network: func() NetworkInfo {
		return NetworkInfo{FirewallBackend: "nftables", FirewallInfo: [][2]string{{"Table", "ip wharf"}},
			DefaultBridge: "wharf0", Warnings: []string{"WARNING: 172.17.0.0/16 is in use"}}
	}}
	srv := httptest.NewServer(New(Config{Containers: b, Exec: b, Images: &fakeImages{}, System: sys}))
	t.Cleanup(srv.Close)
	var info struct {
		FirewallBackend *struct {
			Driver string
			Info   [][2]string
		}
		Warnings []string
		Plugins  struct{ Network []string }
	}
	for _, tc := range []struct {
		path     string
		firewall bool
	}{{"/v1.49/info", true}, {"/info", true}, {"/v1.48/info", false}, {"/v1.41/info", false}} {
		info.FirewallBackend = nil
		r := call(t, srv, "GET", tc.path, "")
		if err := json.Unmarshal([]byte(r.body), &info); err != nil {
			t.Fatal(err)
		}
		if got := info.FirewallBackend != nil; got != tc.firewall {
			t.Errorf("%s: FirewallBackend present %v, want %v: %s", tc.path, got, tc.firewall, r.body)
		}
		if tc.firewall && (info.FirewallBackend.Driver != "nftables" || info.FirewallBackend.Info[0][1] != "ip wharf") {
			t.Errorf("%s: FirewallBackend %+v", tc.path, info.FirewallBackend)
		}
		if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "172.17.0.0/16") {
			t.Errorf("%s: warnings %q", tc.path, info.Warnings)
		}
		if !slices.Contains(info.Plugins.Network, "bridge") {
			t.Errorf("%s: network plugins %v", tc.path, info.Plugins.Network)
		}
	}
}

package api

import (
	"encoding/json"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestCreateNetworkingCompat(t *testing.T) {
	srv, b, _ := newTestServer(t)
	for _, tc := range []struct {
		name, path, body string
		code             int
		mode             string // HostConfig.NetworkMode the backend sees
		macs             string // network=mac,... the backend sees
		warn, msg        string
	}{
		{"default becomes bridge", "/v1.51", `{"Image":"b"}`, 201, "bridge", "", "", ""},
		{"default endpoint renamed", "/v1.51", `{"Image":"b","HostConfig":{"NetworkMode":"default"},"NetworkingConfig":{"EndpointsConfig":{"default":{"MacAddress":"02:42:ac:11:00:09"}}}}`,
			201, "bridge", "bridge=02:42:ac:11:00:09", "", ""},
		{"old mac on bridge", "/v1.41", `{"Image":"b","MacAddress":"02:42:ac:11:00:09"}`, 201, "bridge", "bridge=02:42:ac:11:00:09", "", ""},
		{"old mac on user network", "/v1.41", `{"Image":"b","MacAddress":"02:42:ac:11:00:09","HostConfig":{"NetworkMode":"front"},"NetworkingConfig":{"EndpointsConfig":{"front":{"Aliases":["x"]}}}}`,
			201, "front", "front=02:42:ac:11:00:09", "", ""},
		{"old endpoint mac ignored", "/v1.43", `{"Image":"b","NetworkingConfig":{"EndpointsConfig":{"bridge":{"MacAddress":"02:42:ac:11:00:09"}}}}`,
			201, "bridge", "bridge=", "", ""},
		{"old mac with host", "/v1.41", `{"Image":"b","MacAddress":"02:42:ac:11:00:09","HostConfig":{"NetworkMode":"host"}}`,
			400, "", "", "", "conflicting options: mac-address and the network mode"},
		{"old multiple networks", "/v1.43", `{"Image":"b","NetworkingConfig":{"EndpointsConfig":{"b":{},"a":{}}}}`,
			400, "", "", "", "Container cannot be created with multiple network endpoints: a, b"},
		{"new multiple networks", "/v1.44", `{"Image":"b","HostConfig":{"NetworkMode":"a"},"NetworkingConfig":{"EndpointsConfig":{"b":{},"a":{}}}}`,
			201, "a", "a=,b=", "", ""},
		{"new container-wide mac", "/v1.44", `{"Image":"b","MacAddress":"02:42:ac:11:00:09"}`,
			201, "bridge", "bridge=02:42:ac:11:00:09", "The container-wide MacAddress field is now deprecated", ""},
		{"new mac mismatch", "/v1.50", `{"Image":"b","MacAddress":"02:42:ac:11:00:09","NetworkingConfig":{"EndpointsConfig":{"bridge":{"MacAddress":"02:42:ac:11:00:08"}}}}`,
			400, "", "", "", "must match the endpoint-specific MAC address"},
		{"new mac for another network", "/v1.50", `{"Image":"b","MacAddress":"02:42:ac:11:00:09","HostConfig":{"NetworkMode":"a"},"NetworkingConfig":{"EndpointsConfig":{"b":{}}}}`,
			400, "", "", "", "HostConfig.NetworkMode must match"},
		{"bad mac", "/v1.41", `{"Image":"b","MacAddress":"nope"}`, 400, "", "", "", "invalid MAC address: nope"},
	} {
		r := call(t, srv, "POST", tc.path+"/containers/create", tc.body)
		if r.code != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.code, r.body)
			continue
		}
		if tc.code != 201 {
			if m := message(t, r); !strings.Contains(m, tc.msg) {
				t.Errorf("%s: message %q, want %q", tc.name, m, tc.msg)
			}
			continue
		}
		if string(b.hc.NetworkMode) != tc.mode {
			t.Errorf("%s: NetworkMode %q, want %q", tc.name, b.hc.NetworkMode, tc.mode)
		}
		var macs []string
		for _, k := range sortedKeys(b.nc.EndpointsConfig) {
			macs = append(macs, k+"="+b.nc.EndpointsConfig[k].MacAddress.String())
		}
		if got := strings.Join(macs, ","); got != tc.macs {
			t.Errorf("%s: endpoints %q, want %q", tc.name, got, tc.macs)
		}
		var resp container.CreateResponse
		_ = json.Unmarshal([]byte(r.body), &resp)
		if got := strings.Join(resp.Warnings, "|"); (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
			t.Errorf("%s: warnings %q, want %q", tc.name, got, tc.warn)
		}
	}
}

// An empty list of bindings for a port publishes it on a random host
// port, as Docker backfills it; a given binding is kept as it is.
func TestCreateEmptyPortBindings(t *testing.T) {
	srv, b, _ := newTestServer(t)
	r := call(t, srv, "POST", "/v1.51/containers/create",
		`{"Image":"b","HostConfig":{"PortBindings":{"80/tcp":[],"53/udp":[{"HostPort":"5353"}]}}}`)
	if r.code != 201 {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	if bs := b.hc.PortBindings[network.MustParsePort("80/tcp")]; len(bs) != 1 || bs[0].HostPort != "" || bs[0].HostIP.IsValid() {
		t.Errorf("80/tcp bindings %+v, want one empty binding", bs)
	}
	if bs := b.hc.PortBindings[network.MustParsePort("53/udp")]; len(bs) != 1 || bs[0].HostPort != "5353" {
		t.Errorf("53/udp bindings %+v", bs)
	}
}

func sortedKeys(m map[string]*network.EndpointSettings) []string {
	return slices.Sorted(maps.Keys(m))
}

func TestInspectLegacyNetworkFields(t *testing.T) {
	srv, b, _ := newTestServer(t)
	var mac network.HardwareAddr
	_ = mac.UnmarshalText([]byte("02:42:ac:11:00:02"))
	nets := map[string]*network.EndpointSettings{}
	b.inspect = func(ref string) (*container.InspectResponse, error) {
		return &container.InspectResponse{ID: "c1", Name: "/web", HostConfig: &container.HostConfig{NetworkMode: "bridge"},
			Config: &container.Config{Image: "busybox"},
			NetworkSettings: &container.NetworkSettings{SandboxID: "sb", SandboxKey: "/run/netns/x",
				Ports: network.PortMap{}, Networks: nets}}, nil
	}
	nets["bridge"] = &network.EndpointSettings{NetworkID: "n1", EndpointID: "e1",
		Gateway: netip.MustParseAddr("172.17.0.1"), IPAddress: netip.MustParseAddr("172.17.0.2"), IPPrefixLen: 16, MacAddress: mac}

	r := call(t, srv, "GET", "/v1.41/containers/web/json", "")
	if r.code != 200 {
		t.Fatalf("inspect: %d %s", r.code, r.body)
	}
	var got struct {
		Name            string
		Config          struct{ Image string }
		NetworkSettings map[string]any
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	ns := got.NetworkSettings
	if got.Name != "/web" || got.Config.Image != "busybox" {
		t.Errorf("the rest of the inspect is lost: %s", r.body)
	}
	for k, want := range map[string]any{"IPAddress": "172.17.0.2", "Gateway": "172.17.0.1", "IPPrefixLen": 16.0,
		"MacAddress": "02:42:ac:11:00:02", "EndpointID": "e1", "SandboxID": "sb", "Bridge": "", "HairpinMode": false,
		"GlobalIPv6Address": "", "IPv6Gateway": "", "SecondaryIPAddresses": nil} {
		if v, ok := ns[k]; !ok || v != want {
			t.Errorf("NetworkSettings.%s = %v (present %v), want %v", k, v, ok, want)
		}
	}
	// Docker's key order: base fields, the default network's, then Networks.
	i := strings.Index
	if s := r.body; !(i(s, `"Bridge"`) < i(s, `"SandboxID"`) && i(s, `"SandboxID"`) < i(s, `"Ports"`) &&
		i(s, `"Ports"`) < i(s, `"HairpinMode"`) && i(s, `"EndpointID":"e1"`) < i(s, `"IPAddress":"172.17.0.2"`) &&
		i(s, `"MacAddress":"02:42`) < i(s, `"Networks"`) && strings.Count(s, `"NetworkSettings"`) == 1) {
		t.Errorf("NetworkSettings key order: %s", s)
	}

	// On a user network Docker leaves the top-level fields empty.
	nets["front"], nets["bridge"] = nets["bridge"], nil
	delete(nets, "bridge")
	r = call(t, srv, "GET", "/v1.50/containers/web/json", "")
	if !strings.Contains(r.body, `"IPAddress":""`) || !strings.Contains(r.body, `"front":{`) {
		t.Errorf("user network: %s", r.body)
	}
}

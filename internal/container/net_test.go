package container

import (
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"
)

func TestBridgeNetwork(t *testing.T) {
	for mode, want := range map[container.NetworkMode]string{
		"": "bridge", "default": "bridge", "bridge": "bridge", "mynet": "mynet",
		"none": "", "host": "", "container:abc": "",
	} {
		if got := bridgeNetwork(&container.HostConfig{NetworkMode: mode}); got != want {
			t.Errorf("mode %q: network %q, want %q", mode, got, want)
		}
	}
}

func TestPublishedPorts(t *testing.T) {
	p80 := mnet.MustParsePort("80/tcp")
	p53 := mnet.MustParsePort("53/udp")
	p443 := mnet.MustParsePort("443/tcp")
	cfg := &container.Config{ExposedPorts: mnet.PortSet{p443: {}, p80: {}}}
	hc := &container.HostConfig{PublishAllPorts: true, PortBindings: mnet.PortMap{
		p80: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "18080"}},
		p53: {{HostPort: "5353"}},
	}}
	ports, err := publishedPorts(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 3 {
		t.Fatalf("ports %+v, want 3", ports)
	}
	byCtr := map[uint16]int{}
	for i, p := range ports {
		byCtr[p.ContainerPort] = i
	}
	if p := ports[byCtr[80]]; p.Proto != "tcp" || p.HostPort != 18080 || p.HostIP.String() != "127.0.0.1" {
		t.Errorf("80/tcp: %+v", p)
	}
	if p := ports[byCtr[53]]; p.Proto != "udp" || p.HostPort != 5353 || p.HostIP.IsValid() {
		t.Errorf("53/udp: %+v", p)
	}
	if p := ports[byCtr[443]]; p.Proto != "tcp" || p.HostPort != 0 {
		t.Errorf("443/tcp (-P) should leave the host port to Publish: %+v", p)
	}
	hc.PortBindings = mnet.PortMap{p80: {{HostPort: "x"}}}
	if _, err := publishedPorts(&container.Config{}, hc); err == nil {
		t.Error("host port x accepted")
	}
}

package cli

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// parseRun parses run flags into the create request, as run does.
func parseRunNet(t *testing.T, args ...string) (*containerOptions, *container.Config, *container.HostConfig, error) {
	t.Helper()
	var o containerOptions
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	addContainerFlags(f, &o)
	if err := f.Parse(args); err != nil {
		return nil, nil, nil, err
	}
	cfg, hc, err := o.containerConfig("busybox", nil, true)
	return &o, cfg, hc, err
}

func TestRunNetworkFlags(t *testing.T) {
	o, cfg, hc, err := parseRunNet(t, "--network", "front", "--network", "back", "--ip", "10.9.0.5",
		"--mac-address", "02:42:0a:09:00:05", "--network-alias", "web", "--link", "db", "--link", "cache:c",
		"--dns", "1.1.1.1", "--dns-search", "example.com", "--dns-option", "ndots:2", "--add-host", "h1:10.0.0.1",
		"--add-host", "gw:host-gateway", "--add-host", "v6=[::1]", "--domainname", "example.org", "-P", "--expose", "7000-7001/udp")
	if err != nil {
		t.Fatal(err)
	}
	if hc.NetworkMode != "front" || !hc.PublishAllPorts || cfg.Domainname != "example.org" {
		t.Errorf("mode %q publishAll %v domain %q", hc.NetworkMode, hc.PublishAllPorts, cfg.Domainname)
	}
	if !slices.Equal(hc.DNS, []netip.Addr{netip.MustParseAddr("1.1.1.1")}) || hc.DNSSearch[0] != "example.com" || hc.DNSOptions[0] != "ndots:2" {
		t.Errorf("dns %v %v %v", hc.DNS, hc.DNSSearch, hc.DNSOptions)
	}
	if got := strings.Join(hc.ExtraHosts, " "); got != "h1:10.0.0.1 gw:host-gateway v6:::1" {
		t.Errorf("extra hosts %q", got)
	}
	if got := strings.Join(hc.Links, " "); got != "db:db cache:c" {
		t.Errorf("links %q", got)
	}
	eps := o.networking.EndpointsConfig
	front, back := eps["front"], eps["back"]
	if len(eps) != 2 || front == nil || back == nil {
		t.Fatalf("endpoints %+v", eps)
	}
	if front.IPAMConfig.IPv4Address.String() != "10.9.0.5" || front.MacAddress.String() != "02:42:0a:09:00:05" ||
		!slices.Equal(front.Aliases, []string{"web"}) || !slices.Equal(front.Links, []string{"db:db", "cache:c"}) {
		t.Errorf("first network's endpoint %+v", front)
	}
	if back.IPAMConfig != nil || len(back.Aliases) != 0 {
		t.Errorf("second network's endpoint %+v", back)
	}
	for _, p := range []string{"7000/udp", "7001/udp"} {
		if _, ok := cfg.ExposedPorts[network.MustParsePort(p)]; !ok {
			t.Errorf("%s not exposed: %v", p, cfg.ExposedPorts)
		}
	}

	// One network with nothing to say: no endpoint config, like docker.
	o, _, hc, err = parseRunNet(t)
	if err != nil || hc.NetworkMode != "default" || len(o.networking.EndpointsConfig) != 0 {
		t.Errorf("defaults: %v %q %+v", err, hc.NetworkMode, o.networking)
	}
	// On the default bridge, --link is a legacy link only.
	o, _, hc, _ = parseRunNet(t, "--link", "db:d", "--ip", "172.17.0.9")
	if es := o.networking.EndpointsConfig["default"]; es == nil || len(es.Links) != 0 || len(hc.Links) != 1 {
		t.Errorf("bridge links: %+v %v", es, hc.Links)
	}
}

// docker's long form: --network name=front,alias=web,ip=...,driver-opt=k=v.
func TestRunNetworkLongSyntax(t *testing.T) {
	o, _, hc, err := parseRunNet(t, "--network", "name=front,alias=web,alias=www,ip=10.9.0.5,mac-address=02:42:0a:09:00:05,driver-opt=com.docker.network.endpoint.ifname=data0,gw-priority=10",
		"--network", "name=back,alias=db-client", "--link", "db")
	if err != nil {
		t.Fatal(err)
	}
	front, back := o.networking.EndpointsConfig["front"], o.networking.EndpointsConfig["back"]
	if hc.NetworkMode != "front" || front == nil || back == nil {
		t.Fatalf("mode %q endpoints %+v", hc.NetworkMode, o.networking.EndpointsConfig)
	}
	if !slices.Equal(front.Aliases, []string{"web", "www"}) || front.IPAMConfig.IPv4Address.String() != "10.9.0.5" ||
		front.MacAddress.String() != "02:42:0a:09:00:05" || front.DriverOpts["com.docker.network.endpoint.ifname"] != "data0" ||
		front.GwPriority != 10 || !slices.Equal(front.Links, []string{"db:db"}) {
		t.Errorf("front %+v", front)
	}
	if !slices.Equal(back.Aliases, []string{"db-client"}) || back.IPAMConfig != nil || len(back.Links) != 0 {
		t.Errorf("back %+v", back)
	}
	// The container-wide flags still go to the first network when it is given in the long form.
	o, _, _, err = parseRunNet(t, "--network", "name=front,driver-opt=a=b", "--network-alias", "web", "--ip", "10.9.0.6")
	if ep := o.networking.EndpointsConfig["front"]; err != nil || ep == nil || !slices.Equal(ep.Aliases, []string{"web"}) || ep.IPAMConfig.IPv4Address.String() != "10.9.0.6" {
		t.Errorf("flags merged into the long form: %v %+v", err, ep)
	}
	// A long form that only names the network says nothing more than the short one.
	o, _, hc, err = parseRunNet(t, "--network", "name=front")
	if err != nil || hc.NetworkMode != "front" || len(o.networking.EndpointsConfig) != 0 {
		t.Errorf("name only: %v %q %+v", err, hc.NetworkMode, o.networking.EndpointsConfig)
	}
}

func TestRunNetworkFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--add-host", "nohost"}, `invalid argument "nohost" for "--add-host" flag: bad format for add-host: "nohost"`},
		{[]string{"--add-host", "h:notanip"}, `invalid IP address in add-host: "notanip"`},
		{[]string{"--add-host", ":1.2.3.4"}, `bad format for add-host`},
		{[]string{"--dns", "x"}, `invalid argument "x" for "--dns" flag: IP address is not correctly formatted: x`},
		{[]string{"--ip", "nope"}, `invalid argument "nope" for "--ip" flag: invalid IPv4 address`},
		{[]string{"--mac-address", "zz"}, `zz is not a valid mac address`},
		{[]string{"--network", "a", "--network", "host"}, "conflicting options: cannot attach both user-defined and non-user-defined network-modes"},
		{[]string{"--network", "a", "--network", "a"}, `network "a" is specified multiple times`},
		{[]string{"-p", "80:80:80:80"}, "invalid IP address"},
		{[]string{"-p", "8000-8002:80-81"}, "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"},
		{[]string{"-p", "80/icmp"}, "invalid proto: icmp"},
		{[]string{"-p", "x:80"}, "invalid hostPort: x"},
		{[]string{"-p", "8080:"}, "no port specified: 8080:<empty>"},
		{[]string{"--expose", "1:2"}, "invalid port format for --expose: 1:2"},
		{[]string{"--network", "alias=x"}, `invalid argument "alias=x" for "--network" flag: network name is required`},
		{[]string{"--network", "name=a,colour=red"}, `invalid field key "colour"`},
		{[]string{"--network", "name=a,ip"}, `invalid field "ip": must be a key=value pair`},
		{[]string{"--network", "name=a,ip=10.0.0.300"}, `invalid IPv4 address "10.0.0.300"`},
		{[]string{"--network", "name=a,alias=x", "--network-alias", "y"}, "conflicting options: cannot specify both --network-alias and per-network alias"},
		{[]string{"--network", "name=a,ip=10.0.0.3", "--ip", "10.0.0.4"}, "conflicting options: cannot specify both --ip and per-network IPv4 address"},
		{[]string{"--network", "name=a", "--network", "a"}, `network "a" is specified multiple times`},
	} {
		_, _, _, err := parseRunNet(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestParsePublish(t *testing.T) {
	for spec, want := range map[string]string{
		"8080:80":                          "80/tcp=:8080",
		"8080:80/udp":                      "80/udp=:8080",
		"127.0.0.1:8080:80":                "80/tcp=127.0.0.1:8080",
		"127.0.0.1::80":                    "80/tcp=127.0.0.1:",
		"80":                               "80/tcp=:",
		"8000-8001:80-81":                  "80/tcp=:8000 81/tcp=:8001",
		"8000-8010:80":                     "80/tcp=:8000-8010",
		"[::1]:8080:80":                    "80/tcp=::1:8080",
		"0.0.0.0:53:53/udp":                "53/udp=0.0.0.0:53",
		"9000-9001/udp":                    "9000/udp=: 9001/udp=:",
		"[::1]::80":                        "80/tcp=::1:",
		"1.2.3.4:7000-7001:7000-7001/sctp": "7000/sctp=1.2.3.4:7000 7001/sctp=1.2.3.4:7001",
	} {
		bs, err := parsePublish(spec)
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		var got []string
		for _, b := range bs {
			ip := ""
			if b.bind.HostIP.IsValid() {
				ip = b.bind.HostIP.String()
			}
			got = append(got, b.port.String()+"="+ip+":"+b.bind.HostPort)
		}
		if s := strings.Join(got, " "); s != want {
			t.Errorf("%s: %q, want %q", spec, s, want)
		}
	}
}

func TestDisplayPorts(t *testing.T) {
	a := netip.MustParseAddr
	ports := []container.PortSummary{
		{PrivatePort: 443, Type: "tcp"},
		{IP: a("0.0.0.0"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
		{IP: a("::"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
		{IP: a("0.0.0.0"), PrivatePort: 8001, PublicPort: 8001, Type: "tcp"},
		{IP: a("0.0.0.0"), PrivatePort: 8000, PublicPort: 8000, Type: "tcp"},
		{PrivatePort: 9001, Type: "udp"},
		{PrivatePort: 9000, Type: "udp"},
		{PrivatePort: 9005, Type: "udp"},
	}
	// Checked against docker 28's ps over the same list.
	want := "9000-9001/udp, 443/tcp, 0.0.0.0:8000-8001->8000-8001/tcp, 9005/udp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
	if got := displayPorts(ports); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := displayPorts(nil); got != "" {
		t.Errorf("no ports: %q", got)
	}
}

func TestPortLookupAndOrder(t *testing.T) {
	ports := network.PortMap{
		network.MustParsePort("80/tcp"):  {{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: "8080"}},
		network.MustParsePort("443/tcp"): nil,
	}
	if out, err := portLookup(ports, "c1", "80"); err != nil || strings.Join(out, ",") != "0.0.0.0:8080" {
		t.Errorf("80: %v %v", out, err)
	}
	for spec, want := range map[string]string{
		"81/tcp": "Error: No public port '81/tcp' published for c1",
		"443":    "Error: No public port '443' published for c1",
		"80/udp": "Error: No public port '80/udp' published for c1",
		"x":      "Error: invalid port (x)",
	} {
		if _, err := portLookup(ports, "c1", spec); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", spec, err, want)
		}
	}
	lines := []string{"8000/tcp -> 0.0.0.0:8000", "80/tcp -> [::]:8080", "53/udp -> 127.0.0.1:5353", "80/tcp -> 0.0.0.0:8080"}
	slices.SortFunc(lines, naturalCompare)
	if got := strings.Join(lines, "|"); got != "53/udp -> 127.0.0.1:5353|80/tcp -> 0.0.0.0:8080|80/tcp -> [::]:8080|8000/tcp -> 0.0.0.0:8000" {
		t.Errorf("order: %s", got)
	}
}

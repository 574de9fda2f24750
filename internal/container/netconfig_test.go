package container

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
)

func TestRenderResolvConf(t *testing.T) {
	host := []byte("# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n")
	bridge := &container.HostConfig{NetworkMode: "default"}
	for _, tc := range []struct {
		name     string
		hc       *container.HostConfig
		embedded bool
		want     string
	}{
		{"bridge", bridge, false, "# comment\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n"},
		{"host", &container.HostConfig{NetworkMode: "host"}, false, string(host)},
		{"dns", &container.HostConfig{NetworkMode: "default", DNS: []netip.Addr{netip.MustParseAddr("1.1.1.1")}},
			false, "search corp.example\nnameserver 1.1.1.1\noptions edns0\n"},
		{"search and options", &container.HostConfig{NetworkMode: "default", DNSSearch: []string{"a.test", "b.test"}, DNSOptions: []string{"timeout:2"}},
			false, "search a.test b.test\nnameserver 10.0.0.2\noptions timeout:2\n"},
		{"no search", &container.HostConfig{NetworkMode: "default", DNSSearch: []string{"."}}, false, "nameserver 10.0.0.2\noptions edns0\n"},
		{"embedded", &container.HostConfig{NetworkMode: "mynet", DNS: []netip.Addr{netip.MustParseAddr("1.1.1.1")}},
			true, "search corp.example\nnameserver 127.0.0.11\noptions ndots:0 edns0\n"},
		{"embedded ndots", &container.HostConfig{NetworkMode: "mynet", DNSOptions: []string{"ndots:2"}},
			true, "search corp.example\nnameserver 127.0.0.11\noptions ndots:2\n"},
	} {
		if got := string(renderResolvConf(host, tc.hc, tc.embedded)); got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
	if got := string(renderResolvConf([]byte("nameserver 127.0.0.1\n"), bridge, false)); !strings.Contains(got, "nameserver 8.8.8.8\n") || strings.Contains(got, "127.0.0.1") {
		t.Errorf("loopback only: %q", got)
	}
}

func TestRenderHosts(t *testing.T) {
	got := renderHosts([]hostLine{{"1.2.3.4", "foo"}}, hostLine{"172.17.0.2", hostNames(&container.Config{Hostname: "web", Domainname: "example.com"})})
	want := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n" +
		"ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n1.2.3.4\tfoo\n172.17.0.2\tweb.example.com web\n"
	if got != want {
		t.Errorf("hosts:\n%s\nwant\n%s", got, want)
	}
	for in, want := range map[string]string{"a:1.2.3.4": "a 1.2.3.4", "b=::1": "b ::1", "c:host-gateway": "c host-gateway", "d:[::2]": "d ::2"} {
		n, ip, err := parseExtraHost(in)
		if err != nil || n+" "+ip != want {
			t.Errorf("%s: %s %s %v", in, n, ip, err)
		}
	}
	for _, bad := range []string{"nohost", ":1.2.3.4", "a:notanip"} {
		if _, _, err := parseExtraHost(bad); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%s accepted: %v", bad, err)
		}
	}
}

func netFixture(t *testing.T) (*fixture, *fakeNet) {
	f := newFixture(t)
	n := newFakeNet()
	f.s.net = n
	return f, n
}

func createNet(s *Service, name string, cfg *container.Config, hc *container.HostConfig, eps map[string]*mnet.EndpointSettings) (string, error) {
	if cfg == nil {
		cfg = &container.Config{Image: "busybox"}
	}
	resp, err := s.ContainerCreate(context.Background(), name, cfg, hc, &mnet.NetworkingConfig{EndpointsConfig: eps})
	return resp.ID, err
}

func TestCreateNetworkValidation(t *testing.T) {
	f, _ := netFixture(t)
	create(t, f.s, "web", nil, nil)
	ip := func(s string) *mnet.EndpointSettings {
		return &mnet.EndpointSettings{IPAMConfig: &mnet.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr(s)}}
	}
	p80 := mnet.MustParsePort("80/tcp")
	for _, tc := range []struct {
		name string
		cfg  *container.Config
		hc   *container.HostConfig
		eps  map[string]*mnet.EndpointSettings
		kind error
		msg  string
	}{
		{"ip on bridge", nil, nil, map[string]*mnet.EndpointSettings{"bridge": ip("172.17.0.9")}, errdefs.ErrInvalid, errIPDefaultNetwork},
		{"alias on bridge", nil, &container.HostConfig{NetworkMode: "bridge"}, map[string]*mnet.EndpointSettings{"bridge": {Aliases: []string{"a"}}}, errdefs.ErrInvalid, errAliasDefaultNetwork},
		{"ip outside subnet", nil, &container.HostConfig{NetworkMode: "mynet"}, map[string]*mnet.EndpointSettings{"mynet": ip("10.9.0.3")}, errdefs.ErrInvalid, "no configured subnet or ip-range contain the IP address 10.9.0.3"},
		{"link to nothing", nil, &container.HostConfig{Links: []string{"nope:n"}}, nil, errdefs.ErrInvalid, "could not get container for nope: No such container: nope"},
		{"host and links", nil, &container.HostConfig{NetworkMode: "host", Links: []string{"web:w"}}, nil, errdefs.ErrInvalid, errHostNetLinks},
		{"host and mac", nil, &container.HostConfig{NetworkMode: "host"}, map[string]*mnet.EndpointSettings{"host": {MacAddress: mnet.HardwareAddr{2, 0x42, 1, 2, 3, 4}}}, errdefs.ErrInvalid, errNetMAC},
		{"host and another", nil, &container.HostConfig{NetworkMode: "host"}, map[string]*mnet.EndpointSettings{"mynet": {}}, errdefs.ErrInvalid, errSharedNetwork},
		{"none and another", nil, &container.HostConfig{NetworkMode: "none"}, map[string]*mnet.EndpointSettings{"mynet": {}}, errdefs.ErrInvalid, errNoneNetwork},
		{"container and hostname", &container.Config{Image: "busybox", Hostname: "h"}, &container.HostConfig{NetworkMode: "container:web"}, nil, errdefs.ErrInvalid, errNetHostname},
		{"container and dns", nil, &container.HostConfig{NetworkMode: "container:web", DNS: []netip.Addr{netip.MustParseAddr("1.1.1.1")}}, nil, errdefs.ErrInvalid, errNetDNS},
		{"container and add-host", nil, &container.HostConfig{NetworkMode: "container:web", ExtraHosts: []string{"a:1.2.3.4"}}, nil, errdefs.ErrInvalid, errNetHosts},
		{"container and -p", nil, &container.HostConfig{NetworkMode: "container:web", PortBindings: mnet.PortMap{p80: {{HostPort: "8080"}}}}, nil, errdefs.ErrInvalid, errNetPublish},
		{"container and expose", &container.Config{Image: "busybox", ExposedPorts: mnet.PortSet{p80: {}}}, &container.HostConfig{NetworkMode: "container:web"}, nil, errdefs.ErrInvalid, errNetExpose},
		{"container and links", nil, &container.HostConfig{NetworkMode: "container:web", Links: []string{"web"}}, nil, errdefs.ErrInvalid, errContainerNetLinks},
		{"container without name", nil, &container.HostConfig{NetworkMode: "container:"}, nil, errdefs.ErrInvalid, "Invalid network mode: invalid container format container:<name|id>"},
		{"bad add-host", nil, &container.HostConfig{ExtraHosts: []string{"a:b"}}, nil, errdefs.ErrInvalid, `invalid IP address in add-host: "b"`},
	} {
		_, err := createNet(f.s, "", tc.cfg, tc.hc, tc.eps)
		if !errors.Is(err, tc.kind) || err.Error() != tc.msg {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.msg)
		}
	}
	if list, _ := f.s.ContainerList(context.Background(), api.ListOptions{All: true}); len(list) != 1 {
		t.Errorf("failed creates left containers: %d", len(list))
	}
	// A network missing at create is Docker's 404 at start.
	id, err := createNet(f.s, "", nil, &container.HostConfig{NetworkMode: "nosuch"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = f.s.ContainerStart(context.Background(), id)
	if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "network nosuch not found" {
		t.Errorf("start on a missing network: %v", err)
	}
	// EndpointsConfig, when given, is the whole list (Docker's rule): the
	// mode's network is not added to it.
	id, err = createNet(f.s, "", nil, &container.HostConfig{NetworkMode: "bridge"}, map[string]*mnet.EndpointSettings{"other": {}})
	if err != nil {
		t.Fatal(err)
	}
	err = f.s.ContainerStart(context.Background(), id)
	if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "network other not found" {
		t.Errorf("start on a missing listed network: %v", err)
	}
}

func TestNetworkConfigKeptAndInspected(t *testing.T) {
	f, _ := netFixture(t)
	ctx := context.Background()
	web := create(t, f.s, "web", nil, nil)
	eps := map[string]*mnet.EndpointSettings{
		"mynet":  {Aliases: []string{"db"}, IPAMConfig: &mnet.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr("10.5.0.7")}},
		"bridge": {},
	}
	// The mode names mynet by an ID prefix; the config by its name.
	id, err := createNet(f.s, "app", nil, &container.HostConfig{NetworkMode: "abcdef", Links: []string{"web:w"}}, eps)
	if err != nil {
		t.Fatal(err)
	}
	s := f.reload(t) // kept across daemon restarts
	s.net = f.s.net
	insp, err := s.ContainerInspect(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	nets := insp.NetworkSettings.Networks
	if len(nets) != 2 || nets["mynet"] == nil || nets["bridge"] == nil {
		t.Fatalf("networks: %v", nets)
	}
	my := nets["mynet"]
	if my.IPAMConfig.IPv4Address.String() != "10.5.0.7" || len(my.Aliases) != 1 || my.IPAddress.IsValid() ||
		my.NetworkID != fakeNets["mynet"].ID || len(my.Links) != 1 {
		t.Errorf("mynet: %+v", my)
	}
	r, _ := s.lookup(id)
	if got := joinOrder(r); strings.Join(got, ",") != "mynet,bridge" {
		t.Errorf("join order %v", got)
	}
	insp, _ = s.ContainerInspect(ctx, web, false)
	if n := insp.NetworkSettings.Networks; len(n) != 1 || n["bridge"] == nil {
		t.Errorf("default: %v", n)
	}
	if id, _ := createNet(s, "h", nil, &container.HostConfig{NetworkMode: "host"}, nil); id != "" {
		insp, _ = s.ContainerInspect(ctx, id, false)
		if n := insp.NetworkSettings.Networks; len(n) != 1 || n["host"] == nil {
			t.Errorf("host: %v", n)
		}
	}
}

func TestStartJoinsNetworksAndWritesFiles(t *testing.T) {
	f, n := netFixture(t)
	ctx := context.Background()
	web := create(t, f.s, "web", nil, nil)
	if err := f.s.ContainerStart(ctx, web); err != nil {
		t.Fatal(err)
	}
	hc := &container.HostConfig{NetworkMode: "default", Links: []string{"web:w"}, ExtraHosts: []string{"gw:host-gateway", "x:1.2.3.4"},
		DNS: []netip.Addr{netip.MustParseAddr("9.9.9.9")}, PortBindings: mnet.PortMap{mnet.MustParsePort("80/tcp"): {{HostPort: "8080"}}}}
	id, err := createNet(f.s, "app", &container.Config{Image: "busybox", Hostname: "apphost"}, hc,
		map[string]*mnet.EndpointSettings{"mynet": {Aliases: []string{"api"}}, "bridge": {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.calls, ";"); got != "connect bridge web;connect bridge app;connect mynet app" {
		t.Errorf("connects: %s", got)
	}
	if o := n.opts[id+"/mynet"]; len(o.DNSUpstreams) != 1 || o.DNSUpstreams[0] != "9.9.9.9" || o.Aliases[0] != "api" {
		t.Errorf("options: %+v", o)
	}
	r, _ := f.s.lookup(id)
	hosts, _ := os.ReadFile(r.HostsPath)
	webIP := n.Endpoints(web)["bridge"].IPAddress.String()
	for _, want := range []string{"172.17.0.1\tgw\n1.2.3.4\tx\n", webIP + "\tw " + web[:12] + " web\n", "172.17.0.3\tapphost\n10.5.0.4\tapphost\n"} {
		if !strings.Contains(string(hosts), want) {
			t.Errorf("hosts lacks %q:\n%s", want, hosts)
		}
	}
	resolv, _ := os.ReadFile(r.ResolvConfPath)
	if !strings.Contains(string(resolv), "nameserver 127.0.0.11\n") || strings.Contains(string(resolv), "9.9.9.9") {
		t.Errorf("resolv.conf: %s", resolv)
	}
	insp, _ := f.s.ContainerInspect(ctx, id, false)
	my := insp.NetworkSettings.Networks["mynet"]
	if my == nil || my.IPAddress.String() != "10.5.0.4" || strings.Join(my.DNSNames, ",") != "app,api,"+id[:12]+",apphost" {
		t.Errorf("inspect mynet: %+v", my)
	}
	list, _ := f.s.ContainerList(ctx, api.ListOptions{Filters: map[string][]string{"network": {"mynet"}, "publish": {"80"}}})
	if len(list) != 1 || list[0].ID != id || len(list[0].Ports) != 1 || list[0].Ports[0].PublicPort != 8080 ||
		list[0].NetworkSettings == nil || len(list[0].NetworkSettings.Networks) != 2 {
		t.Errorf("ps: %+v", list)
	}
	if list, _ := f.s.ContainerList(ctx, api.ListOptions{Filters: map[string][]string{"publish": {"81"}}}); len(list) != 0 {
		t.Errorf("publish=81 matched %d", len(list))
	}
}

func TestConnectDisconnect(t *testing.T) {
	f, n := netFixture(t)
	ctx := context.Background()
	id := create(t, f.s, "app", nil, nil)
	hostID, err := createNet(f.s, "hh", nil, &container.HostConfig{NetworkMode: "host"}, nil)
	if err != nil {
		t.Fatal(err)
	}

	if err := f.s.ContainerNetworkConnect(ctx, "app", "mynet", &mnet.EndpointSettings{Aliases: []string{"a1"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.ContainerNetworkConnect(ctx, "app", "mynet", &mnet.EndpointSettings{Aliases: []string{"a2"}}); err != nil {
		t.Errorf("twice while stopped (Docker keeps the first): %v", err)
	}
	for _, tc := range []struct{ ref, net, msg string }{
		{"app", "nosuch", "network nosuch not found"},
		{"nosuch", "mynet", "No such container: nosuch"},
		{"hh", "mynet", errSharedNetwork},
		{"app", "host", "cannot connect container to host network - container must be created in host network mode"},
		{"app", "none", errNoneNetwork},
	} {
		if err := f.s.ContainerNetworkConnect(ctx, tc.ref, tc.net, nil); err == nil || err.Error() != tc.msg {
			t.Errorf("connect %s %s: %v, want %q", tc.ref, tc.net, err, tc.msg)
		}
	}
	if err := f.s.ContainerNetworkConnect(ctx, "app", "bridge", &mnet.EndpointSettings{Aliases: []string{"x"}}); err == nil {
		t.Error("alias on bridge accepted") // already there, but aliases are checked as Docker would
	}

	// Running: the new network is attached at once, then detached.
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got := len(n.Endpoints(id)); got != 2 {
		t.Fatalf("endpoints at start: %d", got)
	}
	if a := n.opts[id+"/mynet"].Aliases; len(a) != 1 || a[0] != "a1" {
		t.Errorf("aliases: %v", a)
	}
	err = f.s.ContainerNetworkConnect(ctx, "app", "mynet", nil)
	if !errors.Is(err, errdefs.ErrForbidden) || err.Error() != "endpoint with name app already exists in network mynet" {
		t.Errorf("twice while running: %v", err)
	}
	if err := f.s.ContainerNetworkDisconnect(ctx, "app", "mynet", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := n.Endpoints(id)["mynet"]; ok {
		t.Error("still on mynet")
	}
	r, _ := f.s.lookup(id)
	if resolv, _ := os.ReadFile(r.ResolvConfPath); strings.Contains(string(resolv), "127.0.0.11") {
		t.Errorf("resolv.conf after leaving the user network: %s", resolv)
	}
	err = f.s.ContainerNetworkDisconnect(ctx, "app", "mynet", false)
	if err == nil || err.Error() != "container "+id+" is not connected to network mynet" {
		t.Errorf("disconnect twice: %v", err)
	}
	if err := f.s.ContainerNetworkConnect(ctx, "app", "abcdef", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := n.Endpoints(id)["mynet"]; !ok {
		t.Error("live connect by ID prefix did not attach")
	}
	if hosts, _ := os.ReadFile(r.HostsPath); strings.Count(string(hosts), "\t"+id[:12]+"\n") != 2 {
		t.Errorf("hosts after connect:\n%s", hosts)
	}
	err = f.s.ContainerNetworkDisconnect(ctx, hostID, "host", false)
	if err == nil || err.Error() != "cannot disconnect container from host network - container was created in host network mode" {
		t.Errorf("host: %v", err)
	}
	if err := f.s.ContainerNetworkDisconnect(ctx, "app", "gone", true); err == nil {
		t.Error("force disconnect from a network never joined succeeded")
	}
}

func TestLinkEnvAndNames(t *testing.T) {
	p80, p53 := mnet.MustParsePort("80/tcp"), mnet.MustParsePort("53/udp")
	got := strings.Join(linkVars("my-db", "/app/my-db", "172.17.0.2", []mnet.Port{p80, p53}, []string{"PATH=/bin", "PW=x=y"}), "\n")
	want := strings.Join([]string{"MY_DB_NAME=/app/my-db", "MY_DB_PORT=udp://172.17.0.2:53",
		"MY_DB_PORT_53_UDP=udp://172.17.0.2:53", "MY_DB_PORT_53_UDP_ADDR=172.17.0.2", "MY_DB_PORT_53_UDP_PORT=53", "MY_DB_PORT_53_UDP_PROTO=udp",
		"MY_DB_PORT_80_TCP=tcp://172.17.0.2:80", "MY_DB_PORT_80_TCP_ADDR=172.17.0.2", "MY_DB_PORT_80_TCP_PORT=80", "MY_DB_PORT_80_TCP_PROTO=tcp",
		"MY_DB_ENV_PW=x=y"}, "\n")
	if got != want {
		t.Errorf("link env:\n%s\nwant\n%s", got, want)
	}
	c := withLinkEnv(&container.Config{Env: []string{"MY_DB_NAME=mine", "A=1"}}, []string{"MY_DB_NAME=/app/my-db", "MY_DB_PORT=x"})
	if strings.Join(c.Env, ",") != "MY_DB_PORT=x,MY_DB_NAME=mine,A=1" {
		t.Errorf("merged env: %v", c.Env)
	}
	if got := normalLinks("app", []string{"web:w", "db", "/x:/app/y"}); strings.Join(got, ",") != "/web:/app/w,/db:/app/db,/x:/app/y" {
		t.Errorf("links: %v", got)
	}
}

func TestDaemonDNSDefault(t *testing.T) {
	daemon := []netip.Addr{netip.MustParseAddr("10.0.0.53")}
	hc := &container.HostConfig{NetworkMode: "bridge"}
	got := string(renderResolvConf([]byte("nameserver 10.9.9.9\nsearch lan\n"), withDaemonDNS(hc, daemon), false))
	if !strings.Contains(got, "nameserver 10.0.0.53\n") || strings.Contains(got, "10.9.9.9") || !strings.Contains(got, "search lan") {
		t.Errorf("daemon --dns: %q", got)
	}
	if hc.DNS != nil {
		t.Error("withDaemonDNS changed the container's own config")
	}
	own := &container.HostConfig{NetworkMode: "bridge", DNS: []netip.Addr{netip.MustParseAddr("10.1.1.1")}}
	if got := string(renderResolvConf(nil, withDaemonDNS(own, daemon), false)); !strings.Contains(got, "nameserver 10.1.1.1\n") || strings.Contains(got, "10.0.0.53") {
		t.Errorf("container --dns over the daemon's: %q", got)
	}
}

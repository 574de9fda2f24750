package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestNetStopStart: a stopped container leaves its networks (no veth, no
// DNS name, port closed) and rejoins them at start with its address,
// published port and name back.
func TestNetStopStart(t *testing.T) {
	skipNoBridgeOnReference(t)
	d, w := netSetup(t)
	requireNetworks(t, w)
	nid := createNet(t, d, w, "n1")
	gw := gatewayOf(t, w, "n1")
	fakeDNS(t, gw, nil)
	flags := []string{"--network", "n1", "--dns", gw.String()}
	hp := freePort(t)
	web := httpd(t, w, "web", append(flags, "-p", fmt.Sprintf("%d:80", hp))...)
	cli := sleeper(t, w, "cli", flags...)
	mustHostGet(t, fmt.Sprintf("http://127.0.0.1:%d/hostname", hp), web[:12])

	w.must(t, "stop", "-t", "1", web)
	if p := bridgePortsSettled(t, "br-"+nid[:12], 1); len(p) != 1 {
		t.Errorf("with web stopped, n1's bridge has %v, want cli's veth only", p)
	}
	if body, ok := hostGet(fmt.Sprintf("http://127.0.0.1:%d/hostname", hp)); ok {
		t.Errorf("the stopped container's port answers: %q", body)
	}
	if addrs, ok, out := nslookup(t, w, cli, "web"); ok {
		t.Errorf("nslookup web while it is stopped: %v\n%s", addrs, out)
	}
	if got := w.must(t, "network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "n1"); strings.Contains(got, "web") {
		t.Errorf("network inspect n1 lists the stopped web: %q", got)
	}

	w.must(t, "start", web)
	mustHostGet(t, fmt.Sprintf("http://127.0.0.1:%d/hostname", hp), web[:12])
	mustFetchIn(t, w, cli, "http://web/hostname", web[:12])
	if got := w.must(t, "port", web); got != fmt.Sprintf("80/tcp -> 0.0.0.0:%d", hp) {
		t.Errorf("port after restart: %q", got)
	}
}

// TestNetSeveralNetworks: a container created on two networks (API 1.44's
// several EndpointsConfig, or connect before start) has an interface on
// each and reaches both; the first network gives the default route.
func TestNetSeveralNetworks(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	createNet(t, d, w, "n1")
	createNet(t, d, w, "n2")
	gw1, gw2 := gatewayOf(t, w, "n1"), gatewayOf(t, w, "n2")
	fakeDNS(t, gw1, nil)
	fakeDNS(t, gw2, nil)
	a := httpd(t, w, "alpha", "--network", "n1", "--dns", gw1.String())
	b := httpd(t, w, "bravo", "--network", "n2", "--dns", gw2.String())

	check := func(t *testing.T, ctr string) {
		t.Helper()
		addrs := w.must(t, "exec", ctr, "ip", "-o", "-4", "addr")
		for _, n := range []string{"n1", "n2"} {
			if ip := ipOn(t, w, ctr, n); !strings.Contains(addrs, ip.String()+"/") {
				t.Errorf("%s: address %s on %s not in the container:\n%s", ctr, ip, n, addrs)
			}
		}
		mustFetchIn(t, w, ctr, "http://alpha/hostname", a[:12])
		mustFetchIn(t, w, ctr, "http://bravo/hostname", b[:12])
	}

	if !onReference() { // dockerd 20.10 has API 1.41: one network at create
		both := mustID(t, clients(d)[1].must(t, "run", "-d", "--name", "both", "--network", "n1", "--network", "n2",
			"--dns", gw1.String(), "busybox", "sleep", "600"))
		check(t, both)
	}
	// connect before start (every client and daemon version).
	early := mustID(t, w.must(t, "create", "--name", "early", "--network", "n1", "--dns", gw1.String(), "busybox", "sleep", "600"))
	w.must(t, "network", "connect", "n2", early)
	w.must(t, "start", early)
	check(t, early)
	routes := w.must(t, "exec", early, "ip", "route")
	if !strings.Contains(routes, "default via "+gw1.String()) {
		t.Errorf("default route of a container whose first network is n1 (gateway %s):\n%s", gw1, routes)
	}
}

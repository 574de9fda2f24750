package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestNetIsolation: containers on different user networks cannot reach
// each other (nor resolve each other's names); an --internal network's
// members reach each other but nothing outside it, not even the host's
// address on another bridge, which a member of an ordinary network reaches.
func TestNetIsolation(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	createNet(t, d, w, "n1")
	createNet(t, d, w, "n2")
	createNet(t, d, w, "ni", "--internal")
	gw1, gw2 := gatewayOf(t, w, "n1"), gatewayOf(t, w, "n2")
	fakeDNS(t, gw1, nil)
	fakeDNS(t, gw2, nil)

	a := httpd(t, w, "alpha", "--network", "n1", "--dns", gw1.String())
	a2 := sleeper(t, w, "alpha2", "--network", "n1", "--dns", gw1.String())
	b := sleeper(t, w, "bravo", "--network", "n2", "--dns", gw2.String())
	ipA := ipOn(t, w, a, "n1")

	mustFetchIn(t, w, a2, "http://alpha/hostname", a[:12])
	if onReference() {
		// Docker isolates networks with iptables, which the reference
		// dockerd may not use here: only the positive half is checked.
		xray := httpd(t, w, "xray", "--network", "ni")
		yank := sleeper(t, w, "yank", "--network", "ni")
		mustFetchIn(t, w, yank, "http://xray/hostname", xray[:12])
		mustFetchIn(t, w, a2, fmt.Sprintf("http://%s:%d/", gw1, listenOn(t, gw1)), "host")
		t.Skip("reference dockerd runs with --iptables=false here: no isolation to check")
	}
	mustNotFetchIn(t, w, b, fmt.Sprintf("http://%s/hostname", ipA))
	if _, _, code := w.run(t, "exec", b, "ping", "-c", "1", "-W", "1", ipA.String()); code == 0 {
		t.Errorf("a container on n2 pings %s on n1", ipA)
	}
	if addrs, ok, out := nslookup(t, w, b, "alpha"); ok {
		t.Errorf("a container on n2 resolves alpha (on n1): %v\n%s", addrs, out)
	}

	x := httpd(t, w, "xray", "--network", "ni")
	y := sleeper(t, w, "yank", "--network", "ni")
	mustFetchIn(t, w, y, "http://xray/hostname", x[:12])
	if routes := w.must(t, "exec", y, "ip", "route"); strings.Contains(routes, "default") {
		t.Errorf("a container on an --internal network has a default route:\n%s", routes)
	}
	// The host's address on n1's bridge: reachable from n1 (through its
	// default route), not from the internal network.
	port := listenOn(t, gw1)
	url := fmt.Sprintf("http://%s:%d/", gw1, port)
	mustFetchIn(t, w, a2, url, "host")
	mustNotFetchIn(t, w, y, url)
	if _, _, code := w.run(t, "exec", y, "ping", "-c", "1", "-W", "1", gw1.String()); code == 0 {
		t.Errorf("a container on an --internal network pings the host at %s", gw1)
	}
}

// TestNetConnectDisconnect: connecting a running container adds an
// interface at once (with --ip and --alias) and traffic flows; after
// disconnect it stops; the errors are Docker's.
func TestNetConnectDisconnect(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	subnet := randomSubnet(t)
	createNet(t, d, w, "n1", "--subnet", subnet.String())
	createNet(t, d, w, "n2")
	gw1, gw2 := gatewayOf(t, w, "n1"), gatewayOf(t, w, "n2")
	fakeDNS(t, gw1, nil)
	fakeDNS(t, gw2, nil)
	web := httpd(t, w, "web", "--network", "n1", "--dns", gw1.String())
	cli := sleeper(t, w, "cli", "--network", "n2", "--dns", gw2.String())
	ipWeb := ipOn(t, w, web, "n1")
	url := fmt.Sprintf("http://%s/hostname", ipWeb)
	// Isolation needs iptables on the reference dockerd, which it may not
	// use here: only the ends of Wharf's runs check that traffic fails.
	isolated := !onReference()
	if isolated {
		mustNotFetchIn(t, w, cli, url)
	}

	// n2's subnet was picked by the daemon: no address of one's own there.
	if _, errOut, code := w.run(t, "network", "connect", "--ip", gw2.Next().Next().String(), "n2", "web"); code == 0 ||
		!strings.Contains(errOut, "user specified IP address is supported only when connecting to networks with user configured subnets") {
		t.Errorf("connect --ip to a network without a user subnet: exit %d, %q", code, errOut)
	}
	fixed := nth(subnet, 77)
	w.must(t, "network", "connect", "--ip", fixed.String(), "--alias", "probe", "n1", "cli")
	if addrs := w.must(t, "exec", cli, "ip", "-o", "-4", "addr"); !strings.Contains(addrs, "eth1") || !strings.Contains(addrs, fixed.String()+"/24") {
		t.Errorf("after connect, the container's addresses:\n%s\nwant %s/24 on eth1", addrs, fixed)
	}
	if got := ipOn(t, w, cli, "n1"); got != fixed {
		t.Errorf("inspect: address on n1 %s, want %s", got, fixed)
	}
	if aliases := w.must(t, "inspect", "-f", `{{(index .NetworkSettings.Networks "n1").Aliases}}`, cli); !strings.Contains(aliases, "probe") {
		t.Errorf("inspect: aliases on n1 %s, want probe among them", aliases)
	}
	if got := w.must(t, "network", "inspect", "-f", `{{range .Containers}}{{.Name}} {{end}}`, "n1"); !strings.Contains(got, "cli") {
		t.Errorf("network inspect n1 after connect lists %q", got)
	}
	mustFetchIn(t, w, cli, url, web[:12])
	mustFetchIn(t, w, cli, "http://web/hostname", web[:12])
	if addrs, ok, out := nslookup(t, w, web, "probe"); !ok || len(addrs) != 1 || addrs[0] != fixed.String() {
		t.Errorf("nslookup probe (the --alias of connect) from n1: %v\n%s", addrs, out)
	}

	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			if _, errOut, code := c.run(t, "network", "connect", "n1", "cli"); code != 1 || !strings.Contains(errOut, "already exists in network n1") {
				t.Errorf("connect twice: exit %d, stderr %q", code, errOut)
			}
			if _, errOut, code := c.run(t, "network", "connect", "host", "cli"); code != 1 || !strings.Contains(errOut, "host network") {
				t.Errorf("connect to host: exit %d, stderr %q", code, errOut)
			}
			if _, errOut, code := c.run(t, "network", "connect", "nosuch", "cli"); code != 1 || !strings.Contains(errOut, "nosuch") {
				t.Errorf("connect to an unknown network: exit %d, stderr %q", code, errOut)
			}
		})
	}

	w.must(t, "network", "disconnect", "n1", "cli")
	if addrs := w.must(t, "exec", cli, "ip", "-o", "-4", "addr"); strings.Contains(addrs, fixed.String()) {
		t.Errorf("after disconnect the address remains:\n%s", addrs)
	}
	if isolated {
		mustNotFetchIn(t, w, cli, url)
	}
	if addrs, ok, out := nslookup(t, w, web, "probe"); ok {
		t.Errorf("nslookup probe after disconnect: %v\n%s", addrs, out)
	}
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			if _, errOut, code := c.run(t, "network", "disconnect", "n1", "cli"); code != 1 || !strings.Contains(errOut, "is not connected to network n1") {
				t.Errorf("disconnect twice: exit %d, stderr %q", code, errOut)
			}
		})
	}
	// Connected again without --ip, it gets a fresh address and works.
	w.must(t, "network", "connect", "n1", "cli")
	mustFetchIn(t, w, cli, url, web[:12])
}

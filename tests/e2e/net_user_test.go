package e2e

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// randomSubnet is a /24 in 172.28.0.0/14 that no interface of the host
// uses, so parallel test daemons rarely collide.
func randomSubnet(t *testing.T) netip.Prefix {
	t.Helper()
	taken := func(p netip.Prefix) bool {
		ifs, _ := net.InterfaceAddrs()
		for _, a := range ifs {
			if q, err := netip.ParsePrefix(a.String()); err == nil && q.Overlaps(p) {
				return true
			}
		}
		return false
	}
	for i := 0; i < 50; i++ {
		b := make([]byte, 2)
		rand.Read(b)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 28 + b[0]%4, b[1], 0}), 24)
		if !taken(p) {
			return p
		}
	}
	t.Fatal("no free /24 in 172.28.0.0/14")
	return netip.Prefix{}
}

// nth is the n-th address of p (p.Addr() + n).
func nth(p netip.Prefix, n int) netip.Addr {
	a := p.Addr()
	for i := 0; i < n; i++ {
		a = a.Next()
	}
	return a
}

// TestNetUserNetworkCommands: network create/ls/inspect/rm/prune print what
// Docker prints, and their errors are Docker's, through the three clients.
func TestNetUserNetworkCommands(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	id := createNet(t, d, w, "n1")
	if got := w.must(t, "network", "ls", "--filter", "name=n1", "--format", "{{.ID}} {{.Name}} {{.Driver}} {{.Scope}}"); got != id[:12]+" n1 bridge local" {
		t.Errorf("network ls: %q", got)
	}
	if ls := w.must(t, "network", "ls"); !strings.HasPrefix(ls, "NETWORK ID     NAME") {
		t.Errorf("network ls header:\n%s", ls)
	}

	subnet := randomSubnet(t)
	gw, ipRange := nth(subnet, 254), netip.PrefixFrom(nth(subnet, 128), 25)
	brName := "wtn" + id[:8]
	createNet(t, d, w, "n2", "--subnet", subnet.String(), "--gateway", gw.String(), "--ip-range", ipRange.String(),
		"--label", "team=net", "--opt", "com.docker.network.bridge.name="+brName)
	want := fmt.Sprintf("%s %s %s net %s", subnet, gw, ipRange, brName)
	if got := w.must(t, "network", "inspect", "-f",
		`{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}} {{.Labels.team}} {{index .Options "com.docker.network.bridge.name"}}`, "n2"); got != want {
		t.Errorf("network inspect n2: %q, want %q", got, want)
	}
	if ifc, err := net.InterfaceByName(brName); err != nil {
		t.Errorf("bridge %s of n2: %v", brName, err)
	} else if addrs, _ := ifc.Addrs(); !slices.ContainsFunc(addrs, func(a net.Addr) bool { return a.String() == netip.PrefixFrom(gw, 24).String() }) {
		t.Errorf("bridge %s has %v, want the gateway %s/24", brName, addrs, gw)
	}

	web := httpd(t, w, "web", "--network", "n2")
	if ip := ipOn(t, w, web, "n2"); !ipRange.Contains(ip) {
		t.Errorf("container on n2 got %s, outside --ip-range %s", ip, ipRange)
	}
	wantMember := fmt.Sprintf("web %s/24", ipOn(t, w, web, "n2"))
	if got := w.must(t, "network", "inspect", "-f", `{{range $id, $c := .Containers}}{{$c.Name}} {{$c.IPv4Address}}{{end}}`, "n2"); got != wantMember {
		t.Errorf("network inspect n2 Containers: %q, want %q", got, wantMember)
	}
	if got := w.must(t, "network", "inspect", "-f", `{{range $id, $c := .Containers}}{{$id}}{{end}}`, "n2"); got != web {
		t.Errorf("network inspect n2 Containers key: %q, want the container's ID %s", got, web)
	}

	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			if _, errOut, code := c.run(t, "network", "create", "n1"); code != 1 || !strings.Contains(errOut, "network with name n1 already exists") {
				t.Errorf("create taken name: exit %d, stderr %q", code, errOut)
			}
			if _, errOut, code := c.run(t, "network", "create", "--subnet", subnet.String(), "overlap"); code != 1 || !strings.Contains(errOut, "overlaps") {
				t.Errorf("create overlapping subnet: exit %d, stderr %q", code, errOut)
			}
			if _, errOut, code := c.run(t, "network", "rm", "n2"); code != 1 || !strings.Contains(errOut, "has active endpoints") {
				t.Errorf("rm network in use: exit %d, stderr %q", code, errOut)
			}
			if _, errOut, code := c.run(t, "network", "rm", "nosuch"); code != 1 || !strings.Contains(errOut, "nosuch") ||
				!(strings.Contains(errOut, "not found") || strings.Contains(errOut, "No such network")) {
				t.Errorf("rm unknown network: exit %d, stderr %q", code, errOut)
			}
			if _, errOut, code := c.run(t, "network", "inspect", "nosuch"); code != 1 || !strings.Contains(errOut, "nosuch") {
				t.Errorf("inspect unknown network: exit %d, stderr %q", code, errOut)
			}
			if _, errOut, code := c.run(t, "network", "rm", "host"); code != 1 || !strings.Contains(errOut, "host is a pre-defined network and cannot be removed") {
				t.Errorf("rm host: exit %d, stderr %q", code, errOut)
			}
		})
	}

	createNet(t, d, w, "n3")
	out := w.must(t, "network", "prune", "-f")
	lines := strings.Split(out, "\n")
	slices.Sort(lines[1:])
	if got := strings.Join(lines, "\n"); got != "Deleted Networks:\nn1\nn3" {
		t.Errorf("network prune -f printed %q, want the unused n1 and n3", out)
	}
	if _, err := net.InterfaceByName("br-" + id[:12]); err == nil {
		t.Errorf("bridge br-%s of pruned n1 remains", id[:12])
	}
	w.must(t, "rm", "-f", web)
	if got := w.must(t, "network", "rm", "n2"); got != "n2" {
		t.Errorf("network rm n2 printed %q", got)
	}
	if _, err := net.InterfaceByName(brName); err == nil {
		t.Errorf("bridge %s of removed n2 remains", brName)
	}
	if got := w.must(t, "network", "ls", "--format", "{{.Name}}"); strings.Contains(got, "n1") || strings.Contains(got, "n2") {
		t.Errorf("network ls after rm and prune:\n%s", got)
	}
}

// TestNetUserDNS: containers on a user network find each other by name,
// short ID and alias (a shared alias answers with every member's address);
// a removed container's name goes away.
func TestNetUserDNS(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	createNet(t, d, w, "n1")
	gw := gatewayOf(t, w, "n1")
	fakeDNS(t, gw, nil)
	dnsFlag := []string{"--network", "n1", "--dns", gw.String()}

	web := httpd(t, w, "web", append(dnsFlag, "--network-alias", "www")...)
	api1 := httpd(t, w, "api1", append(dnsFlag, "--network-alias", "api")...)
	api2 := httpd(t, w, "api2", append(dnsFlag, "--network-alias", "api")...)
	cli := sleeper(t, w, "cli", dnsFlag...)

	if rc := w.must(t, "exec", cli, "cat", "/etc/resolv.conf"); !strings.Contains(rc, "nameserver 127.0.0.11") {
		t.Errorf("resolv.conf on a user network does not point to the embedded DNS:\n%s", rc)
	}
	mustFetchIn(t, w, cli, "http://web/hostname", web[:12])
	mustFetchIn(t, w, cli, "http://"+web[:12]+"/hostname", web[:12])
	mustFetchIn(t, w, cli, "http://www/hostname", web[:12])
	if out, _, code := w.run(t, "exec", cli, "sh", "-c", "printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc web 80"); code != 0 || !strings.Contains(out, web[:12]) {
		t.Errorf("nc web 80: exit %d, %q", code, out)
	}

	webIP := ipOn(t, w, web, "n1").String()
	if addrs, ok, out := nslookup(t, w, cli, "web"); !ok || !slices.Equal(addrs, []string{webIP}) {
		t.Errorf("nslookup web: %v (ok %v), want [%s]\n%s", addrs, ok, webIP, out)
	}
	want := []string{ipOn(t, w, api1, "n1").String(), ipOn(t, w, api2, "n1").String()}
	slices.Sort(want)
	addrs, ok, out := nslookup(t, w, cli, "api")
	slices.Sort(addrs)
	if !ok || !slices.Equal(addrs, want) {
		t.Errorf("nslookup api (shared alias): %v, want both %v\n%s", addrs, want, out)
	}
	if addrs, ok, out := nslookup(t, w, cli, "nosuch"); ok || !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("nslookup nosuch (a single label nobody has): %v (ok %v), want NXDOMAIN\n%s", addrs, ok, out)
	}

	// Each client's run --network/--network-alias/--dns reaches the same.
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := c.run(t, append(append([]string{"run", "--rm"}, dnsFlag...), "busybox",
				"sh", "-c", "timeout 5 wget -q -O - http://www/hostname")...)
			if code != 0 || strings.TrimSpace(out) != web[:12] {
				t.Errorf("run --rm --network n1 wget http://www/hostname: exit %d, %q, stderr %q", code, out, errOut)
			}
			alias := "via-" + strings.ReplaceAll(c.name, ".", "-")
			id := mustID(t, c.must(t, append(append([]string{"run", "-d"}, dnsFlag...), "--network-alias", alias,
				"busybox", "httpd", "-f", "-p", "80", "-h", "/etc")...))
			mustFetchIn(t, w, cli, "http://"+alias+"/hostname", id[:12])
			c.must(t, "rm", "-f", id)
			// docker's long form of --network carries the alias the same way.
			long := "long-" + strings.ReplaceAll(c.name, ".", "-")
			id = mustID(t, c.must(t, "run", "-d", "--dns", gw.String(), "--network", "name=n1,alias="+long,
				"busybox", "httpd", "-f", "-p", "80", "-h", "/etc"))
			mustFetchIn(t, w, cli, "http://"+long+"/hostname", id[:12])
			c.must(t, "rm", "-f", id)
		})
	}

	// A removed container's name goes away.
	w.must(t, "rm", "-f", "api2")
	if addrs, _, out := nslookup(t, w, cli, "api"); !slices.Equal(addrs, []string{ipOn(t, w, api1, "n1").String()}) {
		t.Errorf("nslookup api after rm api2: %v\n%s", addrs, out)
	}
}

// TestNetDNSRoundRobin: requests to an alias shared by two containers
// reach both (Docker shuffles the answer's addresses; clients take the first).
func TestNetDNSRoundRobin(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	createNet(t, d, w, "n1")
	gw := gatewayOf(t, w, "n1")
	fakeDNS(t, gw, nil)
	flags := []string{"--network", "n1", "--dns", gw.String()}
	api1 := httpd(t, w, "api1", append(flags, "--network-alias", "api")...)
	api2 := httpd(t, w, "api2", append(flags, "--network-alias", "api")...)
	cli := sleeper(t, w, "cli", flags...)
	mustFetchIn(t, w, cli, "http://api1/hostname", api1[:12])
	seen := map[string]bool{}
	for i := 0; i < 12 && len(seen) < 2; i++ {
		if body, ok := fetchIn(t, w, cli, "http://api/hostname"); ok {
			seen[body] = true
		}
	}
	if !seen[api1[:12]] || !seen[api2[:12]] {
		t.Errorf("12 requests to the shared alias reached only %v", seen)
	}
}

// TestNetDNSForward: names the network does not serve go to the
// container's --dns server (a throwaway one on the host side of the
// bridge): its answers and its NXDOMAIN come back.
func TestNetDNSForward(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	createNet(t, d, w, "n1")
	gw := gatewayOf(t, w, "n1")
	queries := fakeDNS(t, gw, map[string]string{"outside.test": "198.51.100.7"})
	cli := sleeper(t, w, "cli", "--network", "n1", "--dns", gw.String())
	addrs, ok, out := nslookup(t, w, cli, "outside.test")
	if queries() == 0 {
		// Stop here: the query went elsewhere, and the rest would send more.
		t.Fatalf("nslookup outside.test did not reach the container's --dns %s (answer %v)\n%s", gw, addrs, out)
	}
	if !ok || !slices.Equal(addrs, []string{"198.51.100.7"}) {
		t.Errorf("nslookup outside.test (forwarded to --dns %s): %v\n%s", gw, addrs, out)
	}
	if addrs, ok, out := nslookup(t, w, cli, "nosuch.test"); ok || !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("nslookup nosuch.test: %v (ok %v), want NXDOMAIN\n%s", addrs, ok, out)
	}
}

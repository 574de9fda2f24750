package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/wharf/wharf/internal/testenv"
)

// Networking scenarios (issue 4). All traffic stays between the host and
// the containers' namespaces: listeners the tests open are bound to
// loopback or to the host side of a test bridge, and every container that
// resolves names it does not serve itself gets --dns pointing at a
// throwaway DNS server on such an address, so nothing is forwarded to the
// host's own resolvers.

// netSetup is setup plus a cleanup (run before the daemon's) that removes
// the containers and user networks, and deletes the bridges of the user
// networks the test created should the daemon have left them.
func netSetup(t *testing.T) (*testenv.Daemon, tool) {
	t.Helper()
	d, w := setup(t)
	var bridges []string
	t.Cleanup(func() {
		if ids := strings.Fields(w.must(t, "ps", "-aq")); len(ids) > 0 {
			testenv.Run(t, d.Command(append([]string{"rm", "-f"}, ids...)...))
		}
		testenv.Run(t, d.Command("network", "prune", "-f"))
		if !onReference() && !t.Failed() {
			// Every veth went with its container.
			if p := bridgePortsSettled(t, d.BridgeName, 0); len(p) > 0 {
				t.Errorf("after removing every container, %s still has %v", d.BridgeName, p)
			}
		}
		for _, b := range bridges {
			if _, err := net.InterfaceByName(b); err == nil && !t.Failed() {
				t.Errorf("bridge %s remains after its network was removed", b)
			}
			testenv.SweepNetwork(t, b)
		}
	})
	netBridges[d] = &bridges
	return d, w
}

// netBridges remembers, per daemon, the bridges of the networks created
// by createNet, for netSetup's cleanup.
var netBridges = map[*testenv.Daemon]*[]string{}

// createNet runs `network create args... name` and returns the network's ID.
func createNet(t *testing.T, d *testenv.Daemon, c tool, name string, args ...string) string {
	t.Helper()
	id := mustID(t, c.must(t, append(append([]string{"network", "create"}, args...), name)...))
	br := "br-" + id[:12]
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "com.docker.network.bridge.name="); ok && i > 0 && args[i-1] == "--opt" {
			br = v
		}
	}
	if p := netBridges[d]; p != nil {
		*p = append(*p, br)
	}
	return id
}

// ipOn is the container's address on the named network (from inspect).
func ipOn(t *testing.T, c tool, ctr, network string) netip.Addr {
	t.Helper()
	s := c.must(t, "inspect", "-f", fmt.Sprintf(`{{(index .NetworkSettings.Networks %q).IPAddress}}`, network), ctr)
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("%s on %s: IP address %q: %v", ctr, network, s, err)
	}
	return a
}

// gatewayOf is the gateway (the host's address on the bridge) of a network.
func gatewayOf(t *testing.T, c tool, network string) netip.Addr {
	t.Helper()
	s := c.must(t, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", network)
	if s == "" { // Docker leaves it out when --subnet came without --gateway
		sub := c.must(t, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", network)
		if p, err := netip.ParsePrefix(sub); err == nil {
			s = p.Masked().Addr().Next().String()
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("network %s: gateway %q: %v", network, s, err)
	}
	return a
}

// httpd starts a busybox web server on port 80 of a new container serving
// /etc, so that GET /hostname tells which container answered. It returns
// the container's ID.
func httpd(t *testing.T, c tool, name string, runArgs ...string) string {
	t.Helper()
	args := append([]string{"run", "-d", "--name", name}, runArgs...)
	return mustID(t, c.must(t, append(args, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")...))
}

// sleeper starts an idle busybox container for running client commands.
func sleeper(t *testing.T, c tool, name string, runArgs ...string) string {
	t.Helper()
	args := append([]string{"run", "-d", "--name", name}, runArgs...)
	return mustID(t, c.must(t, append(args, "busybox", "sleep", "600")...))
}

// fetchIn runs busybox wget inside ctr; ok is false when it failed.
func fetchIn(t *testing.T, c tool, ctr, url string) (body string, ok bool) {
	t.Helper()
	out, errOut, code := c.run(t, "exec", ctr, "timeout", "5", "wget", "-q", "-O", "-", url)
	if code != 0 {
		return fmt.Sprintf("exit %d: %s", code, strings.TrimSpace(errOut)), false
	}
	return strings.TrimSpace(out), true
}

// mustFetchIn retries for a few seconds (a server that has just started)
// and fails the test unless url answers want from inside ctr.
func mustFetchIn(t *testing.T, c tool, ctr, url, want string) {
	t.Helper()
	var body string
	var ok bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if body, ok = fetchIn(t, c, ctr, url); ok && body == want {
			return
		}
	}
	routes, _, _ := c.run(t, "exec", ctr, "sh", "-c", "ip -4 -o addr; ip route")
	t.Errorf("from %s: GET %s = %q (ok %v), want %q\nits addresses and routes:\n%s", ctr, url, body, ok, want, routes)
}

// mustNotFetchIn fails the test if url answers from inside ctr.
func mustNotFetchIn(t *testing.T, c tool, ctr, url string) {
	t.Helper()
	if body, ok := fetchIn(t, c, ctr, url); ok {
		t.Errorf("from %s: GET %s answered %q; it must not be reachable", ctr, url, body)
	}
}

// hostGet fetches url from the host; "" and false when it fails.
func hostGet(url string) (string, bool) {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
	if err != nil {
		return err.Error(), false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), resp.StatusCode == http.StatusOK
}

// mustHostGet waits up to 10s for url to answer want from the host.
func mustHostGet(t *testing.T, url, want string) {
	t.Helper()
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		if body, ok = hostGet(url); ok && body == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("from the host: GET %s = %q, want %q", url, body, want)
}

// freePort is a TCP port nothing listens on right now (on any address).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// listenOn opens a TCP server on addr:0 answering "host" to any HTTP
// request, closed at cleanup; it returns the port.
func listenOn(t *testing.T, addr netip.Addr) int {
	t.Helper()
	l, err := net.Listen("tcp4", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "host\n") })}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// fakeDNS serves A records for names (FQDN without the dot -> address) on
// addr:53 over UDP and TCP, and NXDOMAIN for every other name; closed at
// cleanup. Containers given --dns addr resolve other names through it.
func fakeDNS(t *testing.T, addr netip.Addr, names map[string]string) (queries func() int64) {
	t.Helper()
	var n atomic.Int64
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		n.Add(1)
		m := new(dns.Msg)
		m.SetReply(q)
		m.RecursionAvailable = true
		name := strings.TrimSuffix(strings.ToLower(q.Question[0].Name), ".")
		ip, ok := names[name]
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Question[0].Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA,
				Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP(ip)})
		}
		w.WriteMsg(m)
	})
	hp := netip.AddrPortFrom(addr, 53).String()
	for _, proto := range []string{"udp", "tcp"} {
		started := make(chan error, 1)
		srv := &dns.Server{Addr: hp, Net: proto, Handler: h, NotifyStartedFunc: func() { started <- nil }}
		go func() { started <- srv.ListenAndServe() }()
		if err := <-started; err != nil {
			t.Fatalf("fake DNS on %s/%s: %v", hp, proto, err)
		}
		t.Cleanup(func() { srv.Shutdown() })
	}
	return n.Load
}

// nslookup runs busybox nslookup name inside ctr and returns the addresses
// of the answer (those after the "Name:" line) and whether it succeeded.
func nslookup(t *testing.T, c tool, ctr, name string) ([]string, bool, string) {
	t.Helper()
	out, errOut, code := c.run(t, "exec", ctr, "nslookup", "-type=a", name)
	var addrs []string
	answer := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "Name:") {
			answer = true
		}
		if a, ok := strings.CutPrefix(line, "Address:"); ok && answer {
			addrs = append(addrs, strings.TrimSpace(a))
		}
	}
	return addrs, code == 0 && len(addrs) > 0, out + errOut
}

// requireNetworks fails the test at once when the daemon does not offer
// user networks yet (the routes answer 501), instead of a cascade of errors.
func requireNetworks(t *testing.T, c tool) {
	t.Helper()
	if _, errOut, code := c.run(t, "network", "ls"); code != 0 {
		t.Fatalf("network ls: exit %d: %s", code, errOut)
	}
}

// skipNoBridgeOnReference: the reference dockerd runs here with --bridge
// none --iptables=false (it must not touch the host's firewall), so it has
// no default bridge and publishes no ports.
func skipNoBridgeOnReference(t *testing.T) {
	if onReference() {
		t.Skip("reference dockerd runs with --bridge none --iptables=false here: no default bridge, no published ports")
	}
}

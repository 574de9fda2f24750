package e2e

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/network/bridge"
	"github.com/wharf/wharf/internal/testenv"
)

// assertNoTraces fails the test if a veth of the removed (or dead)
// container id remains on the host, or if the daemon's nftables table
// still names one of its addresses. Wharf's own layout; a no-op on the
// reference dockerd.
func assertNoTraces(t *testing.T, d *testenv.Daemon, id string, addrs ...netip.Addr) {
	t.Helper()
	if onReference() {
		return
	}
	// Veths are deleted in the background (the kernel takes a few ms):
	// allow two seconds.
	var left []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		links, err := bridge.Leftovers(bridge.AliasPrefix)
		if err != nil {
			t.Fatal(err)
		}
		left = left[:0]
		for _, l := range links {
			if cid, _ := bridge.ContainerOf(l); cid == id {
				left = append(left, l)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("veth %v of container %s remains", left, id[:12])
	}
	table := "wharf-" + d.BridgeName
	out, err := exec.Command("nft", "list", "table", "ip", table).CombinedOutput()
	if err != nil {
		t.Errorf("nft list table ip %s: %v: %s", table, err, out)
		return
	}
	for _, a := range addrs {
		// Match the address as a whole word (172.17.0.2 is not 172.17.0.23).
		for _, f := range strings.FieldsFunc(string(out), func(r rune) bool { return !(r == '.' || r >= '0' && r <= '9') }) {
			if f == a.String() {
				t.Errorf("nftables table %s still names %s of container %s:\n%s", table, a, id[:12], out)
				break
			}
		}
	}
}

// bridgePortsSettled is bridgePorts once it has n entries, or after two
// seconds (veths are deleted in the background).
func bridgePortsSettled(t *testing.T, br string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		p := bridgePorts(t, br)
		if len(p) == n || time.Now().After(deadline) {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bridgePorts lists the interfaces enslaved to a bridge (`ip -o link show master`).
func bridgePorts(t *testing.T, br string) []string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show", "master", br).CombinedOutput()
	if err != nil {
		t.Fatalf("ip link show master %s: %v: %s", br, err, out)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, strings.TrimSuffix(strings.Split(f[1], "@")[0], ":"))
		}
	}
	return names
}

// TestNetCleanupOnRm: rm of containers on the default bridge and on a
// user network leaves no veth on either bridge and no rule naming them.
func TestNetCleanupOnRm(t *testing.T) {
	skipNoBridgeOnReference(t)
	d, w := netSetup(t)
	requireNetworks(t, w)
	nid := createNet(t, d, w, "n1")
	userBr := "br-" + nid[:12]
	onBridge := httpd(t, w, "onbridge", "-p", fmt.Sprintf("%d:80", freePort(t)))
	onUser := httpd(t, w, "onuser", "--network", "n1", "-p", fmt.Sprintf("%d:80", freePort(t)))
	ipB, ipU := ipOn(t, w, onBridge, "bridge"), ipOn(t, w, onUser, "n1")
	if n := len(bridgePortsSettled(t, d.BridgeName, 1)); n != 1 {
		t.Errorf("%d interfaces on %s with one container", n, d.BridgeName)
	}
	if n := len(bridgePortsSettled(t, userBr, 1)); n != 1 {
		t.Errorf("%d interfaces on %s with one container", n, userBr)
	}
	w.must(t, "stop", "-t", "1", onUser)
	if p := bridgePortsSettled(t, userBr, 0); len(p) != 0 {
		t.Errorf("after stop, %s still has %v", userBr, p)
	}
	w.must(t, "rm", "-f", onBridge, onUser)
	if p := bridgePortsSettled(t, d.BridgeName, 0); len(p) != 0 {
		t.Errorf("after rm, %s still has %v", d.BridgeName, p)
	}
	assertNoTraces(t, d, onBridge, ipB)
	assertNoTraces(t, d, onUser, ipU)
	if got := w.must(t, "network", "inspect", "-f", "{{len .Containers}}", "n1"); got != "0" {
		t.Errorf("network inspect n1 after rm lists %s containers", got)
	}
}

// TestNetDaemonKill9: after kill -9 of the daemon and a restart, a running
// container on a user network keeps its address, its published port and
// its DNS name; one that died while the daemon was down leaves nothing.
func TestNetDaemonKill9(t *testing.T) {
	skipOnReference(t)
	d, w := netSetup(t)
	requireNetworks(t, w)
	createNet(t, d, w, "n1")
	gw := gatewayOf(t, w, "n1")
	fakeDNS(t, gw, nil)
	dnsFlags := []string{"--network", "n1", "--dns", gw.String()}
	hp, hpDead := freePort(t), freePort(t)
	web := httpd(t, w, "web", append(dnsFlags, "-p", fmt.Sprintf("%d:80", hp))...)
	cli := sleeper(t, w, "cli", dnsFlags...)
	dying := mustID(t, w.must(t, append(append([]string{"run", "-d", "--name", "dying"}, dnsFlags...),
		"-p", fmt.Sprintf("%d:80", hpDead), "busybox", "sh", "-c", "httpd -p 80 -h /etc; sleep 4")...))
	ipWeb, ipDying := ipOn(t, w, web, "n1"), ipOn(t, w, dying, "n1")
	mustHostGet(t, fmt.Sprintf("http://127.0.0.1:%d/hostname", hp), web[:12])
	mustHostGet(t, fmt.Sprintf("http://127.0.0.1:%d/hostname", hpDead), dying[:12])
	pid, _ := strconv.Atoi(w.must(t, "inspect", "-f", "{{.State.Pid}}", dying))

	d.Kill9()
	eventually(t, 15*time.Second, "the container dying to exit", func() bool { return pid > 0 && syscall.Kill(pid, 0) != nil })
	// The kernel keeps forwarding while no daemon runs.
	mustHostGet(t, fmt.Sprintf("http://127.0.0.1:%d/hostname", hp), web[:12])
	d.Restart()

	if got := ipOn(t, w, web, "n1"); got != ipWeb {
		t.Errorf("after the restart web has %s, had %s", got, ipWeb)
	}
	mustHostGet(t, fmt.Sprintf("http://127.0.0.1:%d/hostname", hp), web[:12])
	mustFetchIn(t, w, cli, "http://web/hostname", web[:12])
	if addrs, ok, out := nslookup(t, w, cli, "web"); !ok || len(addrs) != 1 || addrs[0] != ipWeb.String() {
		t.Errorf("nslookup web after the restart: %v\n%s", addrs, out)
	}
	if addrs, ok, out := nslookup(t, w, cli, "dying"); ok {
		t.Errorf("nslookup of the container that died while the daemon was down: %v\n%s", addrs, out)
	}
	if st := w.must(t, "inspect", "-f", "{{.State.Status}}", dying); st != "exited" {
		t.Errorf("dying after the restart: %s", st)
	}
	if body, ok := hostGet(fmt.Sprintf("http://127.0.0.1:%d/hostname", hpDead)); ok {
		t.Errorf("the dead container's port %d answers: %q", hpDead, body)
	}
	if got := w.must(t, "network", "inspect", "-f", `{{range .Containers}}{{.Name}} {{end}}`, "n1"); strings.Contains(got, "dying") {
		t.Errorf("network inspect n1 still lists the dead container: %q", got)
	}
	assertNoTraces(t, d, dying, ipDying)
	// A new container may get the dead one's address and port again.
	again := httpd(t, w, "again", append(dnsFlags, "-p", fmt.Sprintf("%d:80", hpDead))...)
	mustHostGet(t, fmt.Sprintf("http://127.0.0.1:%d/hostname", hpDead), again[:12])

	w.must(t, "rm", "-f", web, cli, dying, again)
	assertNoTraces(t, d, web, ipWeb)
}

// TestNetForeignRulesKept: another program's nftables table (a stand-in
// made by the test, with a chain and a rule) survives everything the
// daemon does: start, networks, published ports, rm, kill -9 and restart.
func TestNetForeignRulesKept(t *testing.T) {
	skipOnReference(t)
	testenv.RequireRoot(t)
	table := fmt.Sprintf("wtforeign%d", time.Now().UnixNano()%1_000_000)
	nft := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("nft", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("nft %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	nft("add", "table", "ip", table)
	t.Cleanup(func() { exec.Command("nft", "delete", "table", "ip", table).Run() })
	nft("add", "chain", "ip", table, "keepchain", "{ type filter hook forward priority 10 ; policy accept ; }")
	nft("add", "rule", "ip", table, "keepchain", "ip", "daddr", "198.51.100.1", "counter", "accept", "comment", `"kept"`)
	before := nft("list", "table", "ip", table)

	d, w := netSetup(t)
	requireNetworks(t, w)
	createNet(t, d, w, "n1")
	id := httpd(t, w, "web", "--network", "n1", "-p", fmt.Sprintf("%d:80", freePort(t)))
	d.Kill9()
	d.Restart()
	w.must(t, "rm", "-f", id)
	w.must(t, "network", "rm", "n1")
	if after := nft("list", "table", "ip", table); after != before {
		t.Errorf("a foreign nftables table changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestNetContainerOptions: --hostname, --mac-address, --add-host (and
// host-gateway), --dns, --dns-search, --dns-option on the default bridge,
// and --link name:alias (an /etc/hosts entry, reachable by the alias).
func TestNetContainerOptions(t *testing.T) {
	skipNoBridgeOnReference(t)
	d, w := netSetup(t)
	hostIP := gatewayOf(t, w, "bridge")
	const mac = "02:42:ac:11:99:01"
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			out := c.must(t, "run", "--rm", "--hostname", "myhost", "--mac-address", mac,
				"--add-host", "extra.test:198.51.100.9", "--add-host", "gw.test:host-gateway",
				"--dns", "198.51.100.53", "--dns-search", "example.test", "--dns-option", "ndots:2",
				"busybox", "sh", "-c", "hostname; cat /sys/class/net/eth0/address; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf")
			parts := strings.Split(out, "---")
			if len(parts) != 3 {
				t.Fatalf("output:\n%s", out)
			}
			if f := strings.Fields(parts[0]); len(f) != 2 || f[0] != "myhost" || f[1] != mac {
				t.Errorf("hostname and MAC: %q, want myhost %s", f, mac)
			}
			hosts := parts[1]
			for _, want := range []string{"198.51.100.9\textra.test", hostIP.String() + "\tgw.test", "\tmyhost"} {
				if !strings.Contains(hosts, want) {
					t.Errorf("/etc/hosts lacks %q:\n%s", want, hosts)
				}
			}
			rc := parts[2]
			for _, want := range []string{"nameserver 198.51.100.53", "search example.test", "options ndots:2"} {
				if !strings.Contains(rc, want) {
					t.Errorf("/etc/resolv.conf lacks %q:\n%s", want, rc)
				}
			}
			if strings.Contains(rc, "127.0.0.11") {
				t.Errorf("resolv.conf on the default bridge names the embedded DNS:\n%s", rc)
			}
		})
	}

	id := mustID(t, w.must(t, "run", "-d", "--mac-address", mac, "busybox", "sleep", "600"))
	if got := w.must(t, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.MacAddress}}", id); got != mac {
		t.Errorf("inspect MacAddress: %q, want %s", got, mac)
	}

	srv := httpd(t, w, "srv")
	cl := sleeper(t, w, "cl", "--link", "srv:db")
	ipSrv := ipOn(t, w, srv, "bridge").String()
	hosts := w.must(t, "exec", cl, "cat", "/etc/hosts")
	found := false
	for _, line := range strings.Split(hosts, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == ipSrv && strings.Contains(" "+strings.Join(f[1:], " ")+" ", " db ") {
			found = true
		}
	}
	if !found {
		t.Errorf("/etc/hosts of a container with --link srv:db has no 'db' entry for %s:\n%s", ipSrv, hosts)
	}
	mustFetchIn(t, w, cl, "http://db/hostname", srv[:12])
	mustFetchIn(t, w, cl, "http://srv/hostname", srv[:12])
	// A legacy link's name "parent/alias" names the linked container, also after the parent's rename.
	w.must(t, "rename", "cl", "cl2")
	for _, c := range clients(d) {
		if got := c.must(t, "inspect", "-f", "{{.Id}}", "cl2/db"); got != srv {
			t.Errorf("%s: inspect cl2/db = %q, want srv's ID %s", c.name, got, srv)
		}
	}
	if _, errOut, code := w.run(t, "inspect", "cl/db"); code == 0 || !strings.Contains(errOut, "No such") {
		t.Errorf("inspect by the old parent name: exit %d, %q", code, errOut)
	}
	// docker rm --link removes the link, not a container: the name and cl2's hosts entry go.
	w.must(t, "rm", "--link", "cl2/db")
	if _, errOut, code := w.run(t, "inspect", "cl2/db"); code == 0 || !strings.Contains(errOut, "No such") {
		t.Errorf("inspect cl2/db after rm --link: exit %d, %q", code, errOut)
	}
	if hosts := w.must(t, "exec", cl, "cat", "/etc/hosts"); strings.Contains(hosts, "\tdb") || strings.Contains(hosts, " db") {
		t.Errorf("/etc/hosts still has db after rm --link:\n%s", hosts)
	}
	if st := w.must(t, "inspect", "-f", "{{.State.Status}}", srv); st != "running" {
		t.Errorf("the linked container after rm --link: %s", st)
	}
	if _, errOut, code := w.run(t, "rm", "--link", "srv"); code == 0 || !strings.Contains(errOut, "cannot remove the default link name") {
		t.Errorf("rm --link srv: exit %d, %q", code, errOut)
	}
	if _, errOut, code := w.run(t, "run", "--rm", "--link", "nosuch:x", "busybox", "true"); code != 125 || !strings.Contains(errOut, "nosuch") {
		t.Errorf("--link to an unknown container: exit %d, stderr %q", code, errOut)
	}
}

// TestNetModes: --network host sees the host's interfaces, none only lo,
// and container:<name> shares the other container's interfaces and address.
func TestNetModes(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	hostName, _ := os.Hostname()
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			out := c.must(t, "run", "--rm", "--network", "host", "busybox", "sh", "-c", "hostname; ls /sys/class/net")
			if f := strings.Fields(out); len(f) == 0 || f[0] != hostName || !strings.Contains(out, "lo") || !strings.Contains(out, "eth0") {
				t.Errorf("--network host: %q, want the host's name %s and interfaces", out, hostName)
			}
			if out := c.must(t, "run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"); out != "lo" {
				t.Errorf("--network none interfaces: %q, want lo", out)
			}
		})
	}
	netArgs := []string{}
	netName := "bridge"
	if onReference() { // no default bridge there (see skipNoBridgeOnReference)
		createNet(t, d, w, "n1")
		netArgs, netName = []string{"--network", "n1"}, "n1"
	}
	owner := httpd(t, w, "owner", netArgs...)
	ip := ipOn(t, w, owner, netName)
	guest := sleeper(t, w, "guest", "--network", "container:owner")
	if addrs := w.must(t, "exec", guest, "ip", "-o", "-4", "addr"); !strings.Contains(addrs, ip.String()+"/") {
		t.Errorf("container:owner does not share owner's address %s:\n%s", ip, addrs)
	}
	mustFetchIn(t, w, guest, "http://127.0.0.1/hostname", owner[:12])
	if got := w.must(t, "inspect", "-f", "{{.HostConfig.NetworkMode}}", guest); got != "container:owner" && got != "container:"+owner {
		t.Errorf("NetworkMode of the guest: %q", got)
	}
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := c.run(t, "run", "--rm", "--network", "container:nosuch", "busybox", "true")
			if code != 125 || !strings.Contains(errOut, "nosuch") {
				t.Errorf("container:nosuch: exit %d, stderr %q", code, errOut)
			}
			_, errOut, code = c.run(t, "run", "--rm", "--network", "container:owner", "-p", "8080:80", "busybox", "true")
			if code != 125 || !strings.Contains(errOut, "conflicting options: port publishing and the container type network mode") {
				t.Errorf("container mode with -p: exit %d, stderr %q", code, errOut)
			}
		})
	}
}

// TestNetUserNetworkOptions: on a user network the same options give
// Docker's files: resolv.conf names the embedded DNS (the --dns servers
// become its upstreams) with --dns-search and --dns-option kept, and
// /etc/hosts has the --add-host entries and the container's own name.
func TestNetUserNetworkOptions(t *testing.T) {
	d, w := netSetup(t)
	requireNetworks(t, w)
	createNet(t, d, w, "n1")
	const mac = "02:42:ac:11:99:02"
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			wantMAC := mac
			if onReference() && c.name != "docker-20.10" {
				// CLI 28 wants API 1.44 for a MAC on a user network; dockerd 20.10 has 1.41.
				wantMAC = ""
			}
			args := []string{"run", "--rm", "--network", "n1", "--hostname", "myhost",
				"--add-host", "extra.test:198.51.100.9", "--dns", "198.51.100.53", "--dns-search", "example.test",
				"--dns-option", "ndots:2"}
			if wantMAC != "" {
				args = append(args, "--mac-address", mac)
			}
			out := c.must(t, append(args, "busybox", "sh", "-c",
				"hostname; cat /sys/class/net/eth0/address; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf")...)
			parts := strings.Split(out, "---")
			if len(parts) != 3 {
				t.Fatalf("output:\n%s", out)
			}
			if f := strings.Fields(parts[0]); len(f) != 2 || f[0] != "myhost" || (wantMAC != "" && f[1] != wantMAC) {
				t.Errorf("hostname and MAC: %q, want myhost %s", f, mac)
			}
			for _, want := range []string{"198.51.100.9\textra.test", "\tmyhost"} {
				if !strings.Contains(parts[1], want) {
					t.Errorf("/etc/hosts lacks %q:\n%s", want, parts[1])
				}
			}
			rc := parts[2]
			for _, want := range []string{"nameserver 127.0.0.11", "search example.test", "options ndots:2"} {
				if !strings.Contains(rc, want) {
					t.Errorf("/etc/resolv.conf lacks %q:\n%s", want, rc)
				}
			}
			if strings.Contains(rc, "nameserver 198.51.100.53") {
				t.Errorf("resolv.conf on a user network names the --dns server itself (Docker: only the embedded DNS):\n%s", rc)
			}
		})
	}
}

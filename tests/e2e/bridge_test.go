package e2e

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/network/bridge"
	"github.com/wharf/wharf/internal/network/nat"
)

// bridgeSubnet is the subnet of the daemon's default bridge, read from the
// host side of the bridge.
func bridgeSubnet(t *testing.T, name string) netip.Prefix {
	t.Helper()
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatalf("default bridge %s: %v", name, err)
	}
	addrs, _ := ifc.Addrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
			return p.Masked()
		}
	}
	t.Fatalf("default bridge %s has no IPv4 address", name)
	return netip.Prefix{}
}

func containerIP(t *testing.T, c tool, id string) netip.Addr {
	t.Helper()
	s := c.must(t, "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", id)
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("inspect %s: IP address %q: %v", id, s, err)
	}
	return a
}

func TestBridgeDefault(t *testing.T) {
	if onReference() {
		t.Skip("the reference dockerd runs here with --bridge none --iptables=false")
	}
	d, c := setup(t)
	subnet := bridgeSubnet(t, d.BridgeName)
	a := mustID(t, c.must(t, "run", "-d", "busybox", "sleep", "60"))
	b := mustID(t, c.must(t, "run", "-d", "busybox", "sleep", "60"))
	ipA, ipB := containerIP(t, c, a), containerIP(t, c, b)
	for _, ip := range []netip.Addr{ipA, ipB} {
		if !subnet.Contains(ip) {
			t.Errorf("container address %s is not in the bridge's subnet %s", ip, subnet)
		}
	}
	if ipA == ipB {
		t.Fatalf("both containers got %s", ipA)
	}
	c.must(t, "exec", b, "ping", "-c", "1", "-W", "5", ipA.String())
	c.must(t, "exec", a, "ping", "-c", "1", "-W", "5", ipB.String())
	if hosts := c.must(t, "exec", a, "cat", "/etc/hosts"); !strings.Contains(hosts, ipA.String()) {
		t.Errorf("/etc/hosts does not name the container's address %s:\n%s", ipA, hosts)
	}

	c.must(t, "rm", "-f", a)
	// The veth is deleted in the background (the kernel's RCU wait is off
	// the exit path): poll.
	eventually(t, 10*time.Second, "the removed container's veth is gone", func() bool {
		links, err := bridge.Leftovers(bridge.AliasPrefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links {
			if cid, _ := bridge.ContainerOf(l); cid == a {
				return false
			}
		}
		return true
	})
}

func TestBridgePublish(t *testing.T) {
	if onReference() {
		t.Skip("the reference dockerd runs here with --bridge none --iptables=false")
	}
	d, c := setup(t)
	hp := strconv.Itoa(freePort(t))
	id := mustID(t, c.must(t, "run", "-d", "-p", hp+":80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"))
	var body string
	eventually(t, 10*time.Second, "the published port answers", func() bool {
		resp, err := (&http.Client{Timeout: time.Second}).Get("http://127.0.0.1:" + hp + "/hostname")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	})
	if want := id[:12]; strings.TrimSpace(body) != want {
		t.Errorf("GET /hostname = %q, want %q", body, want)
	}
	if got := c.must(t, "inspect", "-f", `{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}`, id); got != hp {
		t.Errorf("inspect Ports 80/tcp host port %q, want %s", got, hp)
	}

	c.must(t, "rm", "-f", id)
	tbl, err := nat.New(nat.WithTableName(nat.TableFor(d.BridgeName)))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := tbl.Rules()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.Owner == id {
			t.Errorf("rule %s of removed container remains", r.Key)
		}
	}
	if resp, err := (&http.Client{Timeout: time.Second}).Get("http://127.0.0.1:" + hp + "/hostname"); err == nil {
		resp.Body.Close()
		t.Errorf("port 18080 still answers after rm")
	}
}

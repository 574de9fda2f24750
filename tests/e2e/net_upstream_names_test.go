package e2e

import (
	"slices"
	"strings"
	"testing"
)

// On a user network a container's --hostname resolves like its name (moby's
// TestHostnameDnsResolution), and `network connect --driver-opt
// com.docker.network.endpoint.ifname=X` names its interface (moby's
// TestEndpointWithCustomIfname).
func TestNetHostnameAndIfname(t *testing.T) {
	d, w := netSetup(t)
	createNet(t, d, w, "hn1")
	for i, c := range clients(d)[:2] { // docker 20.10's connect has no --driver-opt
		t.Run(c.name, func(t *testing.T) {
			name := []string{"hn-a", "hn-b"}[i]
			id := sleeper(t, c, name, "--network", "hn1", "--hostname", "foobar"+name[3:])
			cli := sleeper(t, c, name+"-cli", "--network", "hn1")
			want := ipOn(t, c, id, "hn1").String()
			if addrs, ok, out := nslookup(t, c, cli, "foobar"+name[3:]); !ok || !slices.Equal(addrs, []string{want}) {
				t.Errorf("nslookup of the hostname: %v (ok %v), want [%s]\n%s", addrs, ok, want, out)
			}
			if onReference() {
				return // the ifname option came with dockerd 28; the reference is 20.10
			}
			createNet(t, d, c, name+"-n2")
			c.must(t, "network", "connect", "--driver-opt", "com.docker.network.endpoint.ifname=foo0", name+"-n2", id)
			if links := c.must(t, "exec", id, "ls", "/sys/class/net"); !strings.Contains(links, "foo0") {
				t.Errorf("interfaces after connect with an ifname: %q, want foo0", links)
			}
		})
	}
}

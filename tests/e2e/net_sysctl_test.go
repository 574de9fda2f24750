package e2e

import "testing"

// As with dockerd, a container with its own network namespace lets a
// non-root process bind low ports and open ICMP echo sockets (busybox's
// ping wants a raw socket, so the range is read, not used); --sysctl wins.
func TestNetUnprivilegedPortsAndPing(t *testing.T) {
	d, _ := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			got := c.must(t, "run", "--rm", "-u", "nobody", "busybox", "sh", "-c",
				"cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range; httpd -f -p 80 & sleep 0.3; kill $! && echo bound")
			if want := "0\n0\t2147483647\nbound"; got != want {
				t.Errorf("own netns as nobody: %q, want %q", got, want)
			}
			if got := c.must(t, "run", "--rm", "--sysctl", "net.ipv4.ip_unprivileged_port_start=1000", "busybox",
				"cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"); got != "1000" {
				t.Errorf("--sysctl: %q, want 1000", got)
			}
		})
	}
}

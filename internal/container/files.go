package container

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
)

// writeNetworkFiles writes the hostname, hosts and resolv.conf files that
// are bind-mounted into the container. hosts gets the container's address
// at start; resolv.conf changes then only on user networks.
func writeNetworkFiles(r *record, daemonDNS []netip.Addr) error {
	if err := os.WriteFile(r.HostnamePath, []byte(r.Config.Hostname+"\n"), 0o644); err != nil {
		return err
	}
	var hosts []byte
	if r.HostConfig.NetworkMode.IsHost() {
		hosts, _ = os.ReadFile("/etc/hosts")
	}
	if hosts == nil {
		hosts = []byte(renderHosts(nil, hostLine{"127.0.1.1", hostNames(r.Config)}))
	}
	if err := os.WriteFile(r.HostsPath, hosts, 0o644); err != nil {
		return err
	}
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(r.ResolvConfPath, renderResolvConf(host, withDaemonDNS(r.HostConfig, daemonDNS), false), 0o644)
}

// withDaemonDNS gives a container without --dns the daemon's --dns, as
// dockerd does (a copy: the record keeps what the user asked for).
func withDaemonDNS(hc *container.HostConfig, daemonDNS []netip.Addr) *container.HostConfig {
	if len(hc.DNS) > 0 || len(daemonDNS) == 0 {
		return hc
	}
	c := *hc
	c.DNS = daemonDNS
	return &c
}

// hostLine is one /etc/hosts entry: an address and its names.
type hostLine struct{ ip, names string }

// hostNames is "fqdn short" for the container's own entry.
func hostNames(c *container.Config) string {
	if c.Domainname != "" {
		return c.Hostname + "." + c.Domainname + " " + c.Hostname
	}
	return c.Hostname
}

// renderHosts is Docker's /etc/hosts: localhost lines, then --add-host
// and --link entries, then the container's own addresses.
func renderHosts(extra []hostLine, own ...hostLine) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\n" +
		"ff00::0\tip6-mcastprefix\n" +
		"ff02::1\tip6-allnodes\n" +
		"ff02::2\tip6-allrouters\n")
	for _, l := range append(extra, own...) {
		b.WriteString(l.ip + "\t" + l.names + "\n")
	}
	return b.String()
}

// embeddedDNS is the resolver the network service serves inside the
// container's namespace on user networks.
const embeddedDNS = "127.0.0.11"

// renderResolvConf builds the container's resolv.conf from the host's:
// --dns, --dns-search and --dns-option replace the host's lines of that
// kind. Loopback nameservers cannot be reached from the container's own
// namespace and are dropped (Google's public DNS when none is left, as
// Docker does). With the embedded resolver the only nameserver is
// 127.0.0.11 (which forwards to --dns) and ndots:0 is added unless set.
func renderResolvConf(host []byte, hc *container.HostConfig, embedded bool) []byte {
	ownNet := !hc.NetworkMode.IsHost()
	if !embedded && len(hc.DNS)+len(hc.DNSSearch)+len(hc.DNSOptions) == 0 {
		if !ownNet {
			return host
		}
		return filterResolvConf(host)
	}
	var servers, search, options []string
	sc := bufio.NewScanner(bytes.NewReader(host))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if !ownNet || !isLoopback(f[1]) {
				servers = append(servers, f[1])
			}
		case "search", "domain":
			search = f[1:]
		case "options":
			options = append(options, f[1:]...)
		}
	}
	if len(hc.DNS) > 0 {
		servers = servers[:0]
		for _, a := range hc.DNS {
			servers = append(servers, a.String())
		}
	}
	if len(hc.DNSSearch) > 0 {
		search = hc.DNSSearch
		if len(search) == 1 && search[0] == "." { // Docker's "no search domains"
			search = nil
		}
	}
	if len(hc.DNSOptions) > 0 {
		options = hc.DNSOptions
	}
	switch {
	case embedded:
		servers = []string{embeddedDNS}
		if !slices.ContainsFunc(options, func(o string) bool { return strings.HasPrefix(o, "ndots:") }) {
			options = append([]string{"ndots:0"}, options...)
		}
	case len(servers) == 0:
		servers = []string{"8.8.8.8", "8.8.4.4"}
	}
	var b strings.Builder
	if len(search) > 0 {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	for _, ns := range servers {
		b.WriteString("nameserver " + ns + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	return []byte(b.String())
}

func isLoopback(ip string) bool { return strings.HasPrefix(ip, "127.") || ip == "::1" }

// filterResolvConf drops loopback nameservers (unreachable from a container's
// own network namespace) and falls back to Google's public DNS, as Docker does.
func filterResolvConf(in []byte) []byte {
	var out bytes.Buffer
	servers := 0
	sc := bufio.NewScanner(bytes.NewReader(in))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if isLoopback(f[1]) {
				continue
			}
			servers++
		}
		out.WriteString(line + "\n")
	}
	if servers == 0 {
		out.WriteString("nameserver 8.8.8.8\nnameserver 8.8.4.4\n")
	}
	return out.Bytes()
}

// networkMode normalises an unset mode to Docker's "default".
func networkMode(hc *container.HostConfig) container.NetworkMode {
	if hc.NetworkMode == "" {
		return "default"
	}
	return hc.NetworkMode
}

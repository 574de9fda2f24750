package container

import (
	"bufio"
	"bytes"
	"os"
	"strings"

	"github.com/moby/moby/api/types/container"
)

// writeNetworkFiles writes the hostname, hosts and resolv.conf files that
// are bind-mounted into the container.
func writeNetworkFiles(r *record) error {
	hostname := r.Config.Hostname
	if r.Config.Domainname != "" {
		hostname += "." + r.Config.Domainname
	}
	if err := os.WriteFile(r.HostnamePath, []byte(r.Config.Hostname+"\n"), 0o644); err != nil {
		return err
	}
	var hosts []byte
	if r.HostConfig.NetworkMode.IsHost() {
		hosts, _ = os.ReadFile("/etc/hosts")
	}
	if hosts == nil {
		hosts = []byte(hostsFile(hostname, r.Config.Hostname))
	}
	if err := os.WriteFile(r.HostsPath, hosts, 0o644); err != nil {
		return err
	}
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	resolv := host
	if !r.HostConfig.NetworkMode.IsHost() {
		resolv = filterResolvConf(host)
	}
	return os.WriteFile(r.ResolvConfPath, resolv, 0o644)
}

func hostsFile(fqdn, short string) string {
	names := fqdn
	if short != fqdn {
		names += " " + short
	}
	return "127.0.0.1\tlocalhost\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\n" +
		"ff00::0\tip6-mcastprefix\n" +
		"ff02::1\tip6-allnodes\n" +
		"ff02::2\tip6-allrouters\n" +
		"127.0.1.1\t" + names + "\n"
}

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
			if strings.HasPrefix(f[1], "127.") || f[1] == "::1" {
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

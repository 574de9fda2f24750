package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// netOptions are run/create's networking flags.
type netOptions struct {
	networks, aliases, links, publish, expose []string
	dns                                       ipList
	dnsSearch, dnsOptions                     []string
	addHosts                                  extraHosts
	ip, mac, domainname                       string
	publishAll                                bool
}

func addNetFlags(f *pflag.FlagSet, o *netOptions) {
	f.StringArrayVar(&o.networks, "network", nil, "Connect a container to a network")
	f.StringArrayVar(&o.networks, "net", nil, "Connect a container to a network")
	_ = f.MarkHidden("net")
	f.StringArrayVar(&o.aliases, "network-alias", nil, "Add network-scoped alias for the container")
	f.StringArrayVar(&o.aliases, "net-alias", nil, "Add network-scoped alias for the container")
	_ = f.MarkHidden("net-alias")
	f.StringArrayVar(&o.links, "link", nil, "Add link to another container")
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "Publish a container's port(s) to the host")
	f.BoolVarP(&o.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	f.StringArrayVar(&o.expose, "expose", nil, "Expose a port or a range of ports")
	f.Var(&o.dns, "dns", "Set custom DNS servers")
	f.StringArrayVar(&o.dnsSearch, "dns-search", nil, "Set custom DNS search domains")
	f.StringArrayVar(&o.dnsOptions, "dns-option", nil, "Set DNS options")
	f.StringArrayVar(&o.dnsOptions, "dns-opt", nil, "Set DNS options")
	_ = f.MarkHidden("dns-opt")
	f.Var(&o.addHosts, "add-host", "Add a custom host-to-IP mapping (host:ip)")
	f.StringVar(&o.ip, "ip", "", "IPv4 address (e.g., 172.30.100.104)")
	f.StringVar(&o.mac, "mac-address", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	f.StringVar(&o.domainname, "domainname", "", "Container NIS domain name")
}

// apply puts the flags into the create request, as the docker CLI does:
// the first network is the network mode and gets --ip, --mac-address,
// --network-alias (and --link on a user network); legacy links go to
// HostConfig.Links.
func (o *netOptions) apply(cfg *container.Config, hc *container.HostConfig) (*network.NetworkingConfig, error) {
	cfg.Domainname = o.domainname
	hc.DNS, hc.DNSSearch, hc.DNSOptions = o.dns, o.dnsSearch, o.dnsOptions
	hc.ExtraHosts = o.addHosts
	hc.PublishAllPorts = o.publishAll
	links, err := linkFlags(o.links)
	if err != nil {
		return nil, err
	}
	hc.Links = links
	if err := o.setPorts(cfg, hc); err != nil {
		return nil, err
	}
	es := &network.EndpointSettings{Aliases: o.aliases}
	if o.ip != "" {
		a, err := netip.ParseAddr(o.ip)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("invalid argument %q for \"--ip\" flag: invalid IPv4 address", o.ip)
		}
		es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: a}
	}
	if o.mac != "" {
		if err := es.MacAddress.UnmarshalText([]byte(o.mac)); err != nil {
			return nil, fmt.Errorf("%s is not a valid mac address", o.mac)
		}
	}
	nets, err := parseNetworks(o.networks)
	if err != nil {
		return nil, err
	}
	if len(nets) == 0 {
		nets = []netSpec{{name: network.NetworkDefault, ep: &network.EndpointSettings{}}}
	}
	hc.NetworkMode = container.NetworkMode(nets[0].name)
	if hc.NetworkMode.IsUserDefined() && len(o.links) > 0 {
		es.Links = hc.Links
	}
	nc := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	var user, builtin bool
	for i, n := range nets {
		if container.NetworkMode(n.name).IsUserDefined() {
			user = true
		} else {
			builtin = true
		}
		if _, dup := nc.EndpointsConfig[n.name]; dup {
			return nil, fmt.Errorf("network %q is specified multiple times", n.name)
		}
		ep := n.ep
		if i == 0 {
			if err := mergeEndpoint(ep, es); err != nil {
				return nil, err
			}
			// One network and nothing to say about it: leave the daemon
			// its defaults, as docker does.
			if len(nets) == 1 && reflect.DeepEqual(*ep, network.EndpointSettings{}) {
				continue
			}
		}
		nc.EndpointsConfig[n.name] = ep
	}
	if user && builtin {
		return nil, errors.New("conflicting options: cannot attach both user-defined and non-user-defined network-modes")
	}
	return nc, nil
}

// setPorts fills ExposedPorts and PortBindings from -p and --expose.
func (o *netOptions) setPorts(cfg *container.Config, hc *container.HostConfig) error {
	expose := func(p network.Port) {
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = network.PortSet{}
		}
		cfg.ExposedPorts[p] = struct{}{}
	}
	for _, spec := range o.publish {
		bs, err := parsePublish(spec)
		if err != nil {
			return err
		}
		for _, b := range bs {
			expose(b.port)
			if hc.PortBindings == nil {
				hc.PortBindings = network.PortMap{}
			}
			hc.PortBindings[b.port] = append(hc.PortBindings[b.port], b.bind)
		}
	}
	for _, spec := range o.expose {
		ps, err := parseExpose(spec)
		if err != nil {
			return err
		}
		for _, p := range ps {
			expose(p)
		}
	}
	return nil
}

// ipList is --dns: repeated IP addresses, checked as they are given.
type ipList []netip.Addr

func (l *ipList) Set(v string) error {
	a, err := netip.ParseAddr(strings.Trim(v, "[]"))
	if err != nil {
		return fmt.Errorf("IP address is not correctly formatted: %s", v)
	}
	*l = append(*l, a)
	return nil
}
func (l *ipList) String() string {
	var s []string
	for _, a := range *l {
		s = append(s, a.String())
	}
	return "[" + strings.Join(s, ",") + "]"
}
func (l *ipList) Type() string { return "list" }

// extraHosts is --add-host: host:ip or host=ip, the IP possibly in
// brackets or the word host-gateway; stored as host:ip.
type extraHosts []string

func (h *extraHosts) Set(v string) error {
	name, ip, ok := strings.Cut(v, "=")
	if !ok {
		name, ip, ok = strings.Cut(v, ":")
	}
	if !ok || name == "" || strings.Contains(name, ":") {
		return fmt.Errorf("bad format for add-host: %q", v)
	}
	if ip != "host-gateway" {
		if len(ip) > 2 && ip[0] == '[' && ip[len(ip)-1] == ']' {
			ip = ip[1 : len(ip)-1]
		}
		if _, err := netip.ParseAddr(ip); err != nil {
			return fmt.Errorf("invalid IP address in add-host: %q", ip)
		}
	}
	*h = append(*h, name+":"+ip)
	return nil
}
func (h *extraHosts) String() string { return "[" + strings.Join(*h, ",") + "]" }
func (h *extraHosts) Type() string   { return "list" }

// linkFlags normalizes --link values ("name" or "name:alias") to
// "name:alias", as run and network connect send them.
func linkFlags(in []string) ([]string, error) {
	var out []string
	for _, l := range in {
		name, alias, _ := strings.Cut(l, ":")
		if name == "" {
			return nil, fmt.Errorf("invalid argument %q for \"--link\" flag: invalid link format", l)
		}
		if alias == "" {
			alias = name
		}
		out = append(out, name+":"+alias)
	}
	return out, nil
}

// Package network is the network service the engine owns: Docker's
// predefined networks (bridge, host, none) and user-defined bridge
// networks, built from ipam (addresses), bridge (links and veths), nat
// (our nftables table) and dns (the embedded resolver).
//
// It knows containers only by ID, name and network namespace path. All
// netlink and nftables work happens in the calling thread's network
// namespace: the host's in the daemon, a scratch one in tests.
package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/vishvananda/netns"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/bridge"
	"github.com/wharf/wharf/internal/network/dns"
	"github.com/wharf/wharf/internal/network/ipam"
	"github.com/wharf/wharf/internal/network/nat"
)

// Docker's option naming a bridge network's Linux interface.
const OptBridgeName = "com.docker.network.bridge.name"

// Config configures New.
type Config struct {
	Root          string // state directory: networks/*.json
	DefaultBridge string // interface of the "bridge" network; "" = wharf0
	DefaultSubnet string // "" = 172.17.0.0/16, or the next free default pool
	MTU           int    // 0 = kernel default
	TableName     string // nftables table (family ip); "" = nat.TableName
	// DNSUpstreams are the resolvers the embedded DNS forwards other names
	// to ("host:port"); nil = the host's /etc/resolv.conf.
	DNSUpstreams []string
}

// Service manages networks and endpoints. It is safe for concurrent use.
type Service struct {
	cfg  Config
	ipam *ipam.Store
	nat  *nat.Table
	reg  *dns.Registry

	mu       sync.Mutex
	nets     map[string]*record // by ID
	dns      map[string]*resolver
	pending  map[string]*leaving // veths being deleted, by pendingKey
	warnings []string            // for Info

	hostNS       netns.NsHandle // the namespace New ran in, for teardown goroutines
	wg           sync.WaitGroup // teardown goroutines
	holdTeardown chan struct{}  // tests: teardown goroutines wait for it
}

// New loads the network records, creates the predefined networks when
// missing, and (re)ensures every bridge, the nftables table, masquerade,
// isolation and ip_forward. It does not touch endpoints: Reconcile does.
func New(cfg Config) (*Service, error) {
	if cfg.DefaultBridge == "" {
		cfg.DefaultBridge = "wharf0"
	}
	// Addresses live in the records (networks and their endpoints), the one
	// truth on disk: ipam is rebuilt from them, and Connect writes one file.
	st, err := ipam.New("")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(filepath.Join(cfg.Root, "ipam.json")) // kept by older versions
	t, err := nat.New(nat.WithTableName(cfg.TableName))
	if err != nil {
		return nil, err
	}
	hostNS, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("network namespace: %w", err)
	}
	s := &Service{cfg: cfg, ipam: st, nat: t, reg: dns.NewRegistry(), hostNS: hostNS,
		nets: map[string]*record{}, dns: map[string]*resolver{}, pending: map[string]*leaving{}}
	if err := s.loadRecords(); err != nil {
		hostNS.Close()
		return nil, err
	}
	if err := s.rebuildIPAM(); err != nil {
		hostNS.Close()
		return nil, err
	}
	if err := bridge.EnableForwarding(); err != nil {
		return nil, err
	}
	if err := t.Ensure(); err != nil {
		return nil, err
	}
	if err := s.predefine(); err != nil {
		return nil, fmt.Errorf("predefined networks: %w", err)
	}
	if err := s.checkDefaultSubnet(); err != nil {
		return nil, err
	}
	for _, r := range s.nets {
		if r.Driver != "bridge" {
			continue
		}
		if err := s.setup(r); err != nil {
			return nil, fmt.Errorf("network %s: %w", r.Name, err)
		}
		for cid, ep := range r.Endpoints {
			if r.dnsEnabled() {
				s.reg.Add(r.Name, cid, ep.Name, ep.dnsAliases(), ep.Addr)
			}
		}
	}
	return s, nil
}

// rebuildIPAM registers every bridge network's pool and the addresses of
// its endpoints, leaving ones included (their veths may still exist).
func (s *Service) rebuildIPAM() error {
	for _, r := range s.nets {
		if r.Driver != "bridge" {
			continue
		}
		if err := s.ipam.Add(r.ID, r.Subnet, r.Gateway, r.IPRange); err != nil {
			return fmt.Errorf("network %s: %w", r.Name, err)
		}
		for _, eps := range []map[string]*endpoint{r.Endpoints, r.Leaving} {
			for cid, ep := range eps {
				if _, err := s.ipam.Allocate(r.ID, cid, ep.Addr); err != nil {
					log.Printf("network %s: container %.12s: address %s: %v", r.Name, cid, ep.Addr, err)
				}
			}
		}
	}
	return nil
}

// predefine creates bridge, host and none when they are missing.
func (s *Service) predefine() error {
	have := map[string]bool{}
	for _, r := range s.nets {
		have[r.Name] = true
	}
	if !have["bridge"] {
		subnet, err := s.pickSubnet(s.cfg.DefaultSubnet, s.cfg.DefaultBridge)
		if err != nil {
			return err
		}
		r := &record{ID: newID(), Name: "bridge", Driver: "bridge", Created: time.Now(), Default: true,
			Bridge: s.cfg.DefaultBridge, Subnet: subnet, Gateway: subnet.Addr().Next(),
			Options: map[string]string{
				"com.docker.network.bridge.default_bridge":       "true",
				"com.docker.network.bridge.enable_icc":           "true",
				"com.docker.network.bridge.enable_ip_masquerade": "true",
				OptBridgeName: s.cfg.DefaultBridge,
			}}
		if err := s.add(r); err != nil {
			return err
		}
	}
	for name, driver := range map[string]string{"host": "host", "none": "null"} {
		if !have[name] {
			if err := s.add(&record{ID: newID(), Name: name, Driver: driver, Created: time.Now()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDefaultSubnet notes for Info when the default bridge, given no
// subnet, is not on Docker's 172.17.0.0/16, and why.
func (s *Service) checkDefaultSubnet() error {
	if s.cfg.DefaultSubnet != "" {
		return nil
	}
	var def *record
	var ours bool
	var skip []string
	for _, r := range s.nets {
		if r.Default {
			def = r
		} else if r.Subnet.Overlaps(dockerDefault) {
			ours = true
		}
		if r.Bridge != "" {
			skip = append(skip, r.Bridge)
		}
	}
	if def == nil || def.Subnet == dockerDefault {
		return nil
	}
	host, err := bridge.HostPrefixes(skip...)
	if err != nil {
		return err
	}
	if w := subnetWarning(def.Bridge, def.Subnet, host, ours); w != "" {
		s.warnings = append(s.warnings, w)
	}
	return nil
}

// pickSubnet parses want or finds a default pool free on the host.
func (s *Service) pickSubnet(want, ownBridge string) (netip.Prefix, error) {
	if want != "" {
		p, err := netip.ParsePrefix(want)
		if err != nil || !p.Addr().Is4() {
			return netip.Prefix{}, errdefs.Invalid("invalid subnet %s: only IPv4 CIDRs are supported", want)
		}
		for _, u := range s.ipam.Subnets() {
			if u.Overlaps(p) {
				return netip.Prefix{}, errdefs.Forbidden("invalid pool request: Pool overlaps with other one on this address space")
			}
		}
		return p.Masked(), nil
	}
	skip := []string{ownBridge}
	for _, r := range s.nets {
		if r.Bridge != "" {
			skip = append(skip, r.Bridge)
		}
	}
	host, err := bridge.HostPrefixes(skip...)
	if err != nil {
		return netip.Prefix{}, err
	}
	return ipam.FreeSubnet(nil, append(host, s.ipam.Subnets()...))
}

// add registers r's addresses, sets up its kernel side and saves it.
func (s *Service) add(r *record) error {
	if r.Endpoints == nil {
		r.Endpoints = map[string]*endpoint{}
	}
	if r.Driver == "bridge" {
		if err := s.ipam.Add(r.ID, r.Subnet, r.Gateway, r.IPRange); err != nil {
			return err
		}
		if err := s.setup(r); err != nil {
			_ = s.teardown(r)
			_ = s.ipam.Remove(r.ID)
			return err
		}
	}
	if err := s.save(r, true); err != nil {
		return err
	}
	s.nets[r.ID] = r
	return nil
}

// setup makes a bridge network's bridge and rules; it is idempotent.
func (s *Service) setup(r *record) error {
	if err := bridge.EnsureBridge(r.Bridge, netip.PrefixFrom(r.Gateway, r.Subnet.Bits()), r.mtu(s.cfg.MTU)); err != nil {
		return err
	}
	if r.Internal {
		if err := s.nat.Internal(r.Bridge); err != nil {
			return err
		}
	} else if r.masquerade() {
		if err := s.nat.Masquerade(r.Subnet, r.Bridge); err != nil {
			return err
		}
	}
	for _, o := range s.nets {
		if o.Driver == "bridge" && o.ID != r.ID {
			if err := s.nat.Isolate(r.Bridge, o.Bridge); err != nil {
				return err
			}
		}
	}
	return nil
}

// teardown removes a bridge network's bridge and every rule naming it.
func (s *Service) teardown(r *record) error {
	if err := s.nat.Forget(r.Bridge); err != nil {
		return err
	}
	return bridge.DeleteBridge(r.Bridge)
}

// CreateOptions are `network create`'s options.
type CreateOptions struct {
	Driver   string // "" or "bridge"
	Subnet   string
	Gateway  string
	IPRange  string
	Internal bool
	Labels   map[string]string
	Options  map[string]string // OptBridgeName names the Linux bridge
}

// Create makes a user-defined bridge network.
func (s *Service) Create(ctx context.Context, name string, opts CreateOptions) (network.Inspect, error) {
	if opts.Driver == "" {
		opts.Driver = "bridge"
	}
	if opts.Driver != "bridge" {
		return network.Inspect{}, errdefs.NotImplemented("plugin %q not found", opts.Driver)
	}
	if name == "" || strings.ContainsAny(name, "/ \t\n:") {
		return network.Inspect{}, errdefs.Invalid("invalid network name %q", name)
	}
	if slices.Contains([]string{"bridge", "host", "none", "default"}, name) {
		// Docker's PredefinedNetworkError, a 403.
		return network.Inspect{}, errdefs.Forbidden("operation is not permitted on predefined %s network ", name)
	}
	if err := checkOptions(opts.Options); err != nil {
		return network.Inspect{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.nets {
		if r.Name == name {
			return network.Inspect{}, errdefs.Conflict("network with name %s already exists", name)
		}
	}
	id := newID()
	r := &record{ID: id, Name: name, Driver: "bridge", Created: time.Now(), Internal: opts.Internal,
		Labels: maps.Clone(opts.Labels), Options: maps.Clone(opts.Options), Bridge: opts.Options[OptBridgeName]}
	if r.Bridge == "" {
		r.Bridge = "br-" + id[:12]
	}
	for _, o := range s.nets {
		if o.Bridge == r.Bridge {
			return network.Inspect{}, errdefs.Conflict("bridge name %s is already used by network %s", r.Bridge, o.Name)
		}
	}
	if opts.Subnet == "" && (opts.Gateway != "" || opts.IPRange != "") {
		return network.Inspect{}, errdefs.Invalid("a gateway or ip-range needs a subnet")
	}
	var err error
	if r.Subnet, err = s.pickSubnet(opts.Subnet, r.Bridge); err != nil {
		return network.Inspect{}, err
	}
	r.UserSubnet = opts.Subnet != ""
	r.Gateway = r.Subnet.Addr().Next()
	if opts.Gateway != "" {
		if r.Gateway, err = netip.ParseAddr(opts.Gateway); err != nil {
			return network.Inspect{}, errdefs.Invalid("invalid gateway %s", opts.Gateway)
		}
	}
	if opts.IPRange != "" {
		if r.IPRange, err = netip.ParsePrefix(opts.IPRange); err != nil {
			return network.Inspect{}, errdefs.Invalid("invalid ip-range %s", opts.IPRange)
		}
		r.IPRange = r.IPRange.Masked()
	}
	if err := s.add(r); err != nil {
		return network.Inspect{}, err
	}
	return s.inspect(r), nil
}

// Get finds a network by name, full ID or unique ID prefix.
func (s *Service) Get(ref string) (network.Inspect, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(ref)
	if err != nil {
		return network.Inspect{}, err
	}
	return s.inspect(r), nil
}

func (s *Service) find(ref string) (*record, error) {
	if r, ok := s.nets[ref]; ok {
		return r, nil
	}
	var byPrefix []*record
	for _, r := range s.nets {
		if r.Name == ref {
			return r, nil
		}
		if ref != "" && strings.HasPrefix(r.ID, ref) {
			byPrefix = append(byPrefix, r)
		}
	}
	switch len(byPrefix) {
	case 1:
		return byPrefix[0], nil
	case 0:
		return nil, errdefs.NotFound("network %s not found", ref)
	}
	return nil, errdefs.Invalid("network %s is ambiguous (%d matches found based on ID prefix)", ref, len(byPrefix))
}

// List returns every network, sorted by name.
func (s *Service) List() []network.Inspect {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []network.Inspect
	for _, r := range s.nets {
		out = append(out, s.inspect(r))
	}
	slices.SortFunc(out, func(a, b network.Inspect) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Remove deletes a user-defined network without endpoints.
func (s *Service) Remove(ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(ref)
	if err != nil {
		return err
	}
	return s.remove(r)
}

func (s *Service) remove(r *record) error {
	if r.predefined() {
		return errdefs.Forbidden("%s is a pre-defined network and cannot be removed", r.Name)
	}
	if len(r.Endpoints) > 0 {
		return errdefs.Forbidden("error while removing network: network %s id %s has active endpoints", r.Name, r.ID)
	}
	if err := s.settleAll(r); err != nil {
		return err
	}
	if err := s.teardown(r); err != nil {
		return err
	}
	if err := s.ipam.Remove(r.ID); err != nil {
		return err
	}
	if err := s.deleteRecord(r.ID); err != nil {
		return err
	}
	delete(s.nets, r.ID)
	return nil
}

// Prune removes the user-defined networks without endpoints and returns
// their names.
func (s *Service) Prune() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var removed []string
	for _, r := range s.nets {
		if r.predefined() || len(r.Endpoints) > 0 {
			continue
		}
		if err := s.remove(r); err != nil {
			return removed, err
		}
		removed = append(removed, r.Name)
	}
	slices.Sort(removed)
	return removed, nil
}

// inspect builds Docker's `network inspect` view of r.
func (s *Service) inspect(r *record) network.Inspect {
	n := network.Inspect{Network: network.Network{Name: r.Name, ID: r.ID, Created: r.Created, Scope: "local",
		Driver: r.Driver, EnableIPv4: r.Driver == "bridge", Internal: r.Internal,
		IPAM:    network.IPAM{Driver: "default", Options: map[string]string{}, Config: []network.IPAMConfig{}},
		Options: maps.Clone(r.Options), Labels: maps.Clone(r.Labels)},
		Containers: map[string]network.EndpointResource{}}
	if n.Options == nil {
		n.Options = map[string]string{}
	}
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	if r.Subnet.IsValid() {
		n.IPAM.Config = append(n.IPAM.Config, network.IPAMConfig{Subnet: r.Subnet, Gateway: r.Gateway, IPRange: r.IPRange})
	}
	for cid, ep := range r.Endpoints {
		mac, _ := parseMAC(ep.MAC)
		n.Containers[cid] = network.EndpointResource{Name: ep.Name, EndpointID: ep.ID,
			MacAddress: network.HardwareAddr(mac), IPv4Address: netip.PrefixFrom(ep.Addr, r.Subnet.Bits())}
	}
	return n
}

func newID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

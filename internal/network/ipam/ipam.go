// Package ipam hands out IPv4 addresses on Wharf's networks and remembers
// them in a JSON file, so a restarted daemon gives running containers back
// the addresses they already have.
package ipam

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/wharf/wharf/internal/errdefs"
)

// Store holds the pools of every network. It is safe for concurrent use.
type Store struct {
	mu    sync.Mutex
	path  string
	state state
}

type state struct {
	Networks map[string]*pool `json:"networks"`
}

// pool is one network's subnet and its allocations.
type pool struct {
	Subnet  netip.Prefix          `json:"subnet"`
	Gateway netip.Addr            `json:"gateway"`
	Range   netip.Prefix          `json:"ipRange"`
	Last    netip.Addr            `json:"last,omitzero"` // unused since allocation is lowest-free; kept so old state files load
	Owners  map[netip.Addr]string `json:"owners"`
}

// New opens the store kept in the file at path; a missing file is an empty
// store, and path "" keeps it in memory only (for an owner that rebuilds it
// from its own records at start).
func New(path string) (*Store, error) {
	s := &Store{path: path, state: state{Networks: map[string]*pool{}}}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ipam: %w", err)
	}
	if err := json.Unmarshal(b, &s.state); err != nil {
		return nil, fmt.Errorf("ipam: %s: %w", path, err)
	}
	if s.state.Networks == nil {
		s.state.Networks = map[string]*pool{}
	}
	for _, p := range s.state.Networks {
		if p.Owners == nil {
			p.Owners = map[netip.Addr]string{}
		}
	}
	return s, nil
}

// Add registers a network's IPv4 subnet. A zero gateway means the subnet's
// first host; a zero ipRange means the whole subnet. Adding the same network
// again with the same subnet keeps its allocations.
func (s *Store) Add(network string, subnet netip.Prefix, gateway netip.Addr, ipRange netip.Prefix) error {
	if !subnet.IsValid() || !subnet.Addr().Is4() || subnet.Bits() > 30 {
		return errdefs.Invalid("invalid subnet %s: an IPv4 subnet of /30 or larger is needed", subnet)
	}
	subnet = subnet.Masked()
	if !gateway.IsValid() {
		gateway = subnet.Addr().Next()
	}
	if !subnet.Contains(gateway) {
		return errdefs.Invalid("no matching subnet for gateway %s", gateway)
	}
	if !ipRange.IsValid() {
		ipRange = subnet
	}
	ipRange = ipRange.Masked()
	if !subnet.Contains(ipRange.Addr()) || ipRange.Bits() < subnet.Bits() {
		return errdefs.Invalid("no matching subnet for range %s", ipRange)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.state.Networks[network]; ok {
		if p.Subnet == subnet && p.Gateway == gateway && p.Range == ipRange {
			return nil
		}
		return errdefs.Conflict("network %s already has subnet %s", network, p.Subnet)
	}
	s.state.Networks[network] = &pool{Subnet: subnet, Gateway: gateway, Range: ipRange, Owners: map[netip.Addr]string{}}
	return s.save(true)
}

// Remove forgets a network and all its allocations.
func (s *Store) Remove(network string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.state.Networks[network]; !ok {
		return nil
	}
	delete(s.state.Networks, network)
	return s.save(true)
}

// Subnets lists the subnets of all networks, for FreeSubnet's inUse.
func (s *Store) Subnets() []netip.Prefix {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []netip.Prefix
	for _, p := range s.state.Networks {
		out = append(out, p.Subnet)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr().Less(out[j].Addr()) })
	return out
}

// Gateway returns a network's subnet and gateway.
func (s *Store) Gateway(network string) (netip.Prefix, netip.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pool(network)
	if err != nil {
		return netip.Prefix{}, netip.Addr{}, err
	}
	return p.Subnet, p.Gateway, nil
}

// Allocate gives owner an address on network: want if it is set, otherwise
// the next free one after the last dynamic allocation (as Docker does, so a
// released address is not handed out again at once).
func (s *Store) Allocate(network, owner string, want netip.Addr) (netip.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pool(network)
	if err != nil {
		return netip.Addr{}, err
	}
	if want.IsValid() {
		if !want.Is4() || !p.Subnet.Contains(want) {
			return netip.Addr{}, errdefs.Invalid("requested address %s is out of range", want)
		}
		if p.reserved(want) || p.Owners[want] != "" {
			return netip.Addr{}, errdefs.Conflict("Address already in use")
		}
		p.Owners[want] = owner
		return want, s.save(false)
	}
	addr, ok := p.next()
	if !ok {
		return netip.Addr{}, errdefs.Unavailable("no available addresses on this pool")
	}
	p.Owners[addr] = owner
	return addr, s.save(false)
}

// Release frees an address; releasing a free address is not an error.
func (s *Store) Release(network string, addr netip.Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pool(network)
	if err != nil {
		return err
	}
	if _, ok := p.Owners[addr]; !ok {
		return nil
	}
	delete(p.Owners, addr)
	return s.save(false)
}

// Owner says who holds addr on network ("" when nobody does).
func (s *Store) Owner(network string, addr netip.Addr) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.state.Networks[network]; ok {
		return p.Owners[addr]
	}
	return ""
}

// List returns a copy of network's allocations, address to owner.
func (s *Store) List(network string) map[netip.Addr]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[netip.Addr]string{}
	if p, ok := s.state.Networks[network]; ok {
		for a, o := range p.Owners {
			out[a] = o
		}
	}
	return out
}

func (s *Store) pool(network string) (*pool, error) {
	p, ok := s.state.Networks[network]
	if !ok {
		return nil, errdefs.NotFound("network %s not found", network)
	}
	return p, nil
}

// reserved: the subnet's network and broadcast addresses and the gateway.
func (p *pool) reserved(a netip.Addr) bool {
	return a == p.Subnet.Addr() || a == broadcast(p.Subnet) || a == p.Gateway
}

// next is the lowest free address of the range, as Docker's default IPAM
// hands them out on local networks (a removed container's address is the
// next one's: the first container on the default bridge is 172.17.0.2).
func (p *pool) next() (netip.Addr, bool) {
	last := broadcast(p.Range)
	for a := p.Range.Addr(); ; a = a.Next() {
		if !p.reserved(a) && p.Owners[a] == "" {
			return a, true
		}
		if a == last {
			return netip.Addr{}, false
		}
	}
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// save writes the state to a temporary file and renames it over the old
// one, so a crash of the daemon leaves either the old or the new state,
// never half. durable adds an fsync, for the pools (network creation and
// removal); allocations need none: after a power loss their containers are
// gone, and the daemon's reconcile releases them.
func (s *Store) save(durable bool) error {
	if s.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(&s.state, "", "  ")
	if err != nil {
		return fmt.Errorf("ipam: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("ipam: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(s.path), ".ipam-*")
	if err != nil {
		return fmt.Errorf("ipam: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("ipam: %w", err)
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("ipam: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ipam: %w", err)
	}
	if err := os.Rename(f.Name(), s.path); err != nil {
		return fmt.Errorf("ipam: %w", err)
	}
	return nil
}

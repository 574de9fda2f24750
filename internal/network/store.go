package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// record is one network as kept on disk (Root/networks/<id>.json).
type record struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Driver  string       `json:"driver"` // bridge, host or null
	Created time.Time    `json:"created"`
	Bridge  string       `json:"bridge,omitempty"` // Linux interface of a bridge network
	Subnet  netip.Prefix `json:"subnet,omitzero"`
	// UserSubnet: the subnet was given at create (only then may a
	// container ask for its own address, as in Docker).
	UserSubnet bool              `json:"userSubnet,omitempty"`
	Gateway    netip.Addr        `json:"gateway,omitzero"`
	IPRange    netip.Prefix      `json:"ipRange,omitzero"`
	Internal   bool              `json:"internal,omitempty"`
	Default    bool              `json:"default,omitempty"` // the predefined "bridge": no DNS, as Docker
	Labels     map[string]string `json:"labels,omitempty"`
	Options    map[string]string `json:"options,omitempty"`
	// Endpoints by container ID.
	Endpoints map[string]*endpoint `json:"endpoints,omitempty"`
	// Leaving are disconnected endpoints whose veth is being deleted; their
	// addresses stay allocated until it is gone (see teardown.go).
	Leaving map[string]*endpoint `json:"leaving,omitempty"`
}

// endpoint is one container's attachment to a network.
type endpoint struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"` // container name, for DNS and inspect
	Addr      netip.Addr `json:"addr"`
	MAC       string     `json:"mac"`
	HostVeth  string     `json:"hostVeth"`
	IfName    string     `json:"ifName"`
	Aliases   []string   `json:"aliases,omitempty"`
	NetnsPath string     `json:"netnsPath"`
	// DNSUpstreams are the container's --dns servers ("host:port") for its
	// embedded resolver; kept so a restarted daemon reopens it the same.
	DNSUpstreams []string `json:"dnsUpstreams,omitempty"`
	Hostname     string   `json:"hostname,omitempty"` // resolvable on user networks
	// Gateway: the container's default route goes through this endpoint.
	Gateway    bool `json:"gateway,omitempty"`
	GwPriority int  `json:"gwPriority,omitempty"`
}

// dnsAliases are the names the endpoint answers to besides the
// container's name and ID: its aliases and the container's hostname.
func (ep *endpoint) dnsAliases() []string {
	if ep.Hostname == "" {
		return ep.Aliases
	}
	return append(slices.Clone(ep.Aliases), ep.Hostname)
}

// predefined networks cannot be removed.
func (r *record) predefined() bool {
	return r.Default || r.Driver == "host" || r.Driver == "null"
}

// dnsEnabled: Docker's embedded DNS serves user-defined bridges only.
func (r *record) dnsEnabled() bool { return r.Driver == "bridge" && !r.Default }

func (s *Service) recordPath(id string) string {
	return filepath.Join(s.cfg.Root, "networks", id+".json")
}

// loadRecords reads every record under Root/networks.
func (s *Service) loadRecords() error {
	dir := filepath.Join(s.cfg.Root, "networks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("network store: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("network store: %w", err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("network store: %w", err)
		}
		r := &record{}
		if err := json.Unmarshal(b, r); err != nil {
			return fmt.Errorf("network store: %s: %w", e.Name(), err)
		}
		if r.Endpoints == nil {
			r.Endpoints = map[string]*endpoint{}
		}
		s.nets[r.ID] = r
	}
	return nil
}

// save writes r to a temporary file and renames it into place, so a crash
// of the daemon leaves the old or the new record, never half of one.
// durable adds an fsync, for changes that must survive a power loss (a
// network's creation); endpoints need none: after a reboot their
// containers are gone and Reconcile drops them anyway.
func (s *Service) save(r *record, durable bool) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("network store: %w", err)
	}
	path := s.recordPath(r.ID)
	f, err := os.CreateTemp(filepath.Dir(path), ".net-*")
	if err != nil {
		return fmt.Errorf("network store: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("network store: %w", err)
	}
	return nil
}

func (s *Service) deleteRecord(id string) error {
	if err := os.Remove(s.recordPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("network store: %w", err)
	}
	return nil
}

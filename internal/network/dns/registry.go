// Package dns is the embedded resolver of user-defined networks, Docker's
// 127.0.0.11: it answers container names, IDs and network aliases from a
// Registry and forwards every other question to the host's resolvers.
package dns

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// shortIDLen is the length of the abbreviated container ID Docker resolves.
const shortIDLen = 12

// Registry holds the name records of every network. It is safe for
// concurrent use; lookups take only a read lock.
type Registry struct {
	mu   sync.RWMutex
	nets map[string]*records
}

// records are one network's names. A name maps to every container that
// claims it, so a shared alias resolves to all of them.
type records struct {
	names map[string]*nameSet    // lower-case name -> holders
	byID  map[string]*holder     // full container ID -> its record
	byIP  map[netip.Addr]*holder // reverse (PTR) lookups
}

type holder struct {
	id   string
	name string // container name, for PTR answers
	ip   netip.Addr
	keys []string // the names this holder was filed under, for Remove
}

type nameSet struct {
	holders []*holder
	next    atomic.Uint32 // round-robin start, advanced per query
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{nets: map[string]*records{}}
}

// Add files container id on network under its name, its 12-character and
// full ID and its aliases, all pointing to ip. Adding an id again replaces
// its earlier record (network connect with new aliases or address).
func (r *Registry) Add(network, id, name string, aliases []string, ip netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs := r.nets[network]
	if recs == nil {
		recs = &records{names: map[string]*nameSet{}, byID: map[string]*holder{}, byIP: map[netip.Addr]*holder{}}
		r.nets[network] = recs
	}
	recs.remove(id)
	h := &holder{id: id, name: strings.TrimPrefix(name, "/"), ip: ip.Unmap()}
	keys := make([]string, 0, 3+len(aliases))
	keys = append(keys, h.name, id)
	if len(id) > shortIDLen {
		keys = append(keys, id[:shortIDLen])
	}
	keys = append(keys, aliases...)
	for _, k := range keys {
		k = normalize(k)
		if k == "" || slices.Contains(h.keys, k) {
			continue
		}
		h.keys = append(h.keys, k)
		set := recs.names[k]
		if set == nil {
			set = &nameSet{}
			recs.names[k] = set
		}
		set.holders = append(set.holders, h)
	}
	recs.byID[id] = h
	if _, taken := recs.byIP[h.ip]; !taken {
		recs.byIP[h.ip] = h
	}
}

// Remove drops container id's records from network.
func (r *Registry) Remove(network, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs := r.nets[network]
	if recs == nil {
		return
	}
	recs.remove(id)
	if len(recs.byID) == 0 {
		delete(r.nets, network)
	}
}

func (recs *records) remove(id string) {
	h := recs.byID[id]
	if h == nil {
		return
	}
	delete(recs.byID, id)
	for _, k := range h.keys {
		set := recs.names[k]
		if set == nil {
			continue
		}
		set.holders = without(set.holders, h)
		if len(set.holders) == 0 {
			delete(recs.names, k)
		}
	}
	if recs.byIP[h.ip] == h {
		delete(recs.byIP, h.ip)
		// Another container may hold the same address (a stale record
		// replaced by a new one): keep its reverse entry.
		for _, o := range recs.byID {
			if o.ip == h.ip {
				recs.byIP[o.ip] = o
				break
			}
		}
	}
}

// Resolve returns the addresses of name on network, rotated by one on each
// call so that clients taking the first address spread over the holders of
// a shared alias. Names are case-insensitive; a trailing dot and a
// ".<network>" suffix are accepted. Unknown names give nil.
func (r *Registry) Resolve(network, name string) []netip.Addr {
	return r.appendResolve(nil, network, name)
}

// appendResolve is Resolve appending to dst, so the server can reuse a buffer.
func (r *Registry) appendResolve(dst []netip.Addr, network, name string) []netip.Addr {
	name = normalize(name)
	r.mu.RLock()
	defer r.mu.RUnlock()
	recs := r.nets[network]
	if recs == nil {
		return dst
	}
	set := recs.names[name]
	if set == nil {
		if base, ok := strings.CutSuffix(name, "."+strings.ToLower(network)); ok {
			set = recs.names[base]
		}
	}
	if set == nil {
		return dst
	}
	n := len(set.holders)
	start := int((set.next.Add(1) - 1) % uint32(n))
	for i := range n {
		dst = append(dst, set.holders[(start+i)%n].ip)
	}
	return dst
}

// Known reports whether name is filed on network, without rotating it.
func (r *Registry) Known(network, name string) bool {
	name = normalize(name)
	r.mu.RLock()
	defer r.mu.RUnlock()
	recs := r.nets[network]
	if recs == nil {
		return false
	}
	if recs.names[name] != nil {
		return true
	}
	base, ok := strings.CutSuffix(name, "."+strings.ToLower(network))
	return ok && recs.names[base] != nil
}

// ResolveAddr is the reverse lookup: the container name holding ip on
// network, as Docker answers PTR queries ("name.network").
func (r *Registry) ResolveAddr(network string, ip netip.Addr) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	recs := r.nets[network]
	if recs == nil {
		return "", false
	}
	h := recs.byIP[ip.Unmap()]
	if h == nil {
		return "", false
	}
	return h.name + "." + network, true
}

// normalize lower-cases name and drops the FQDN dot. ToLower does not
// allocate when the name is already lower case, the common query.
func normalize(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

func without(hs []*holder, h *holder) []*holder {
	for i, v := range hs {
		if v == h {
			return append(hs[:i:i], hs[i+1:]...)
		}
	}
	return hs
}

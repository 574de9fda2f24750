package dns

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
)

const (
	idA = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
	idB = "aa4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
	idC = "bb4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
)

var (
	ipA = netip.MustParseAddr("172.18.0.2")
	ipB = netip.MustParseAddr("172.18.0.3")
	ipC = netip.MustParseAddr("172.18.0.4")
)

func TestRegistryNamesAndIDs(t *testing.T) {
	r := NewRegistry()
	r.Add("mynet", idA, "/web", []string{"frontend"}, ipA)

	for _, name := range []string{"web", "WEB", "Web.", "web.mynet", "web.MYNET.", idA, idA[:12], "frontend", "FrontEnd."} {
		if got := r.Resolve("mynet", name); !slices.Equal(got, []netip.Addr{ipA}) {
			t.Errorf("Resolve(%q) = %v, want [%v]", name, got, ipA)
		}
	}
	for _, name := range []string{"db", idA[:11], "web.othernet", ""} {
		if got := r.Resolve("mynet", name); got != nil {
			t.Errorf("Resolve(%q) = %v, want nothing", name, got)
		}
	}
	if got := r.Resolve("othernet", "web"); got != nil {
		t.Errorf("name leaked to another network: %v", got)
	}
	if name, ok := r.ResolveAddr("mynet", ipA); !ok || name != "web.mynet" {
		t.Errorf("ResolveAddr = %q %v, want web.mynet", name, ok)
	}
}

func TestRegistryAliasRoundRobin(t *testing.T) {
	r := NewRegistry()
	r.Add("n", idA, "app-1", []string{"app"}, ipA)
	r.Add("n", idB, "app-2", []string{"app"}, ipB)
	r.Add("n", idC, "app-3", []string{"APP"}, ipC)

	firsts := map[netip.Addr]int{}
	for range 9 {
		got := r.Resolve("n", "app")
		if len(got) != 3 {
			t.Fatalf("Resolve(app) = %v, want 3 addresses", got)
		}
		sorted := slices.Clone(got)
		slices.SortFunc(sorted, netip.Addr.Compare)
		if !slices.Equal(sorted, []netip.Addr{ipA, ipB, ipC}) {
			t.Fatalf("Resolve(app) = %v", got)
		}
		firsts[got[0]]++
	}
	for _, ip := range []netip.Addr{ipA, ipB, ipC} {
		if firsts[ip] != 3 {
			t.Errorf("first address counts %v: rotation is not even", firsts)
		}
	}
	// A container's own name stays single.
	if got := r.Resolve("n", "app-2"); !slices.Equal(got, []netip.Addr{ipB}) {
		t.Errorf("Resolve(app-2) = %v", got)
	}
}

func TestRegistryRemoveAndReplace(t *testing.T) {
	r := NewRegistry()
	r.Add("n", idA, "a", []string{"svc"}, ipA)
	r.Add("n", idB, "b", []string{"svc"}, ipB)
	r.Remove("n", idA)

	for _, name := range []string{"a", idA, idA[:12]} {
		if got := r.Resolve("n", name); got != nil {
			t.Errorf("after Remove, Resolve(%q) = %v", name, got)
		}
	}
	if got := r.Resolve("n", "svc"); !slices.Equal(got, []netip.Addr{ipB}) {
		t.Errorf("svc after Remove = %v, want [%v]", got, ipB)
	}
	if _, ok := r.ResolveAddr("n", ipA); ok {
		t.Error("PTR for removed container still answers")
	}
	r.Remove("n", "no-such-id") // harmless
	r.Remove("gone", idA)

	// Adding again replaces aliases and address (network connect anew).
	r.Add("n", idB, "b", []string{"other"}, ipC)
	if got := r.Resolve("n", "svc"); got != nil {
		t.Errorf("old alias survives replace: %v", got)
	}
	if got := r.Resolve("n", "other"); !slices.Equal(got, []netip.Addr{ipC}) {
		t.Errorf("new alias = %v", got)
	}
	r.Remove("n", idB)
	if len(r.nets) != 0 {
		t.Errorf("empty network kept: %v", r.nets)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := NewRegistry()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 500 {
				id := string(rune('a'+i)) + idA[1:]
				r.Add("n", id, "c", []string{"svc"}, ipA)
				r.Resolve("n", "svc")
				if j%2 == 1 { // the last round (499) removes
					r.Remove("n", id)
				}
			}
		})
	}
	wg.Wait()
	if got := r.Resolve("n", "svc"); len(got) != 0 {
		t.Errorf("left %v after every add was removed", got)
	}
}

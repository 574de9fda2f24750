package container

import (
	"context"
	"net/netip"
	"sync"

	mnet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network"
	"github.com/wharf/wharf/internal/network/nat"
)

// fakeNet knows bridge (172.17/16), host, none and mynet (10.5/16, DNS);
// endpoints get the next address of their network.
type fakeNet struct {
	mu    sync.Mutex
	eps   map[string]map[string]network.Endpoint // container -> network -> endpoint
	next  byte
	calls []string // "connect net opts.Name" in order
	opts  map[string]network.EndpointOptions
}

func newFakeNet() *fakeNet {
	return &fakeNet{eps: map[string]map[string]network.Endpoint{}, next: 2, opts: map[string]network.EndpointOptions{}}
}

var fakeNets = map[string]mnet.Inspect{
	"bridge": {Network: mnet.Network{Name: "bridge", ID: "b1" + "0000000000", IPAM: mnet.IPAM{Config: []mnet.IPAMConfig{{Subnet: netip.MustParsePrefix("172.17.0.0/16"), Gateway: netip.MustParseAddr("172.17.0.1")}}}}},
	"host":   {Network: mnet.Network{Name: "host", ID: "h1" + "0000000000"}},
	"none":   {Network: mnet.Network{Name: "none", ID: "n1" + "0000000000"}},
	"mynet":  {Network: mnet.Network{Name: "mynet", ID: "abcdef" + "0000000000", IPAM: mnet.IPAM{Config: []mnet.IPAMConfig{{Subnet: netip.MustParsePrefix("10.5.0.0/16"), Gateway: netip.MustParseAddr("10.5.0.1")}}}}},
}

func (f *fakeNet) Get(ref string) (mnet.Inspect, error) {
	for name, n := range fakeNets {
		if ref == name || ref == n.ID || len(ref) >= 3 && n.ID[:len(ref)] == ref {
			return n, nil
		}
	}
	return mnet.Inspect{}, errdefs.NotFound("network %s not found", ref)
}

func (f *fakeNet) Connect(ctx context.Context, ref, cid, netns string, opts network.EndpointOptions) (network.Endpoint, error) {
	n, err := f.Get(ref)
	if err != nil {
		return network.Endpoint{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.eps[cid][n.Name]; ok {
		return network.Endpoint{}, errdefs.Forbidden("endpoint with name %s already exists in network %s", opts.Name, n.Name)
	}
	gw := n.IPAM.Config[0].Gateway.As4()
	ip := netip.AddrFrom4([4]byte{gw[0], gw[1], 0, f.next})
	if opts.IPv4 != "" {
		ip = netip.MustParseAddr(opts.IPv4)
	}
	f.next++
	if f.eps[cid] == nil {
		f.eps[cid] = map[string]network.Endpoint{}
	}
	ep := network.Endpoint{IfName: "eth" + string(rune('0'+len(f.eps[cid])))}
	ep.NetworkID, ep.IPAddress, ep.IPPrefixLen, ep.Gateway = n.ID, ip, 16, n.IPAM.Config[0].Gateway
	ep.Aliases = opts.Aliases
	f.eps[cid][n.Name] = ep
	f.calls = append(f.calls, "connect "+n.Name+" "+opts.Name)
	f.opts[cid+"/"+n.Name] = opts
	return ep, nil
}

func (f *fakeNet) Disconnect(ctx context.Context, ref, cid string) error {
	n, err := f.Get(ref)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.eps[cid][n.Name]; !ok {
		return errdefs.NotFound("container %s is not connected to network %s", cid, n.Name)
	}
	delete(f.eps[cid], n.Name)
	return nil
}

func (f *fakeNet) Release(cid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.eps, cid)
	return nil
}

func (f *fakeNet) Endpoints(cid string) map[string]network.Endpoint {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]network.Endpoint{}
	for k, v := range f.eps[cid] {
		out[k] = v
	}
	return out
}

func (f *fakeNet) Publish(cid string, ports []nat.Port) error { return nil }
func (f *fakeNet) Unpublish(cid string) error                 { return nil }

func (f *fakeNet) DNS(cid string) ([]string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.eps[cid]["mynet"]; ok {
		return []string{"127.0.0.11"}, true
	}
	return nil, false
}

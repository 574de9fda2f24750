package engine

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	mnetwork "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/network"
)

// networks adapts the network service to the API's NetworkBackend; api
// does not import the service's kernel code.
type networks struct {
	s     *network.Service
	table string // our nftables table, for info
	bip   string // the default bridge's subnet as asked (--bip); "" = chosen
}

func (n networks) NetworkCreate(ctx context.Context, name string, o api.NetworkCreateOptions) (mnetwork.Inspect, error) {
	return n.s.Create(ctx, name, network.CreateOptions{
		Driver: o.Driver, Subnet: o.Subnet, Gateway: o.Gateway, IPRange: o.IPRange,
		Internal: o.Internal, Labels: o.Labels, Options: o.Options,
	})
}

func (n networks) NetworkGet(ref string) (mnetwork.Inspect, error) { return n.s.Get(ref) }
func (n networks) NetworkList() []mnetwork.Inspect                 { return n.s.List() }
func (n networks) NetworkRemove(ref string) error                  { return n.s.Remove(ref) }
func (n networks) NetworkPrune() ([]string, error)                 { return n.s.Prune() }

// dockerDefault is the default bridge's usual range.
var dockerDefault = netip.MustParsePrefix("172.17.0.0/16")

// info gives /info the network facts.
func (n networks) info() api.NetworkInfo {
	in := n.s.Info()
	out := api.NetworkInfo{FirewallBackend: in.FirewallBackend, DefaultBridge: in.DefaultBridge,
		DefaultSubnet: in.DefaultSubnet, Warnings: subnetWarnings(n.bip, in)}
	if n.table != "" {
		out.FirewallInfo = [][2]string{{"Table", "ip " + n.table}}
	}
	return out
}

// subnetWarnings adds to in's warnings, when nobody asked for a subnet and
// the default bridge did not get 172.17.0.0/16, that the range was in use
// on the host: users expect Docker's addresses.
func subnetWarnings(bip string, in network.Info) []string {
	out := slices.Clone(in.Warnings)
	sub := in.DefaultSubnet
	if bip != "" || !sub.IsValid() || sub == dockerDefault {
		return out
	}
	for _, w := range out {
		if strings.Contains(w, sub.String()) {
			return out // the network service said it already
		}
	}
	return append(out, fmt.Sprintf("WARNING: %s is in use on this host: the default bridge network (%s) uses %s instead",
		dockerDefault, in.DefaultBridge, sub))
}

package engine

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/network"
)

func TestSubnetWarnings(t *testing.T) {
	other := netip.MustParsePrefix("172.18.0.0/16")
	for _, tc := range []struct {
		name string
		bip  string
		in   network.Info
		want string
	}{
		{"docker's range", "", network.Info{DefaultSubnet: dockerDefault}, ""},
		{"asked for", "172.18.0.1/16", network.Info{DefaultSubnet: other}, ""},
		{"taken", "", network.Info{DefaultBridge: "wharf0", DefaultSubnet: other},
			"WARNING: 172.17.0.0/16 is in use on this host: the default bridge network (wharf0) uses 172.18.0.0/16 instead"},
		{"said already", "", network.Info{DefaultSubnet: other, Warnings: []string{"WARNING: took 172.18.0.0/16"}},
			"WARNING: took 172.18.0.0/16"},
	} {
		if got := strings.Join(subnetWarnings(tc.bip, tc.in), "|"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

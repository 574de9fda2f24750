package testenv

import (
	"errors"
	"syscall"
	"testing"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
)

// SweepNetwork removes what a test daemon whose default bridge is
// bridgeName made on the host: the bridge and its nftables table (the
// containers' veths went with their namespaces). It uses the libraries
// directly, not internal/network, whose tests import testenv.
func SweepNetwork(t testing.TB, bridgeName string) {
	t.Helper()
	if c, err := nftables.New(); err == nil {
		// The table name follows nat.TableFor.
		c.DelTable(&nftables.Table{Name: "wharf-" + bridgeName, Family: nftables.TableFamilyIPv4})
		if err := c.Flush(); err != nil && !errors.Is(err, syscall.ENOENT) {
			t.Logf("testenv: delete nftables table wharf-%s: %v", bridgeName, err)
		}
	}
	link, err := netlink.LinkByName(bridgeName)
	if err != nil {
		return // gone already (or never made)
	}
	if link.Type() != "bridge" {
		t.Logf("testenv: %s is a %s, not deleting it", bridgeName, link.Type())
		return
	}
	if err := netlink.LinkDel(link); err != nil {
		t.Logf("testenv: delete bridge %s: %v", bridgeName, err)
	}
}

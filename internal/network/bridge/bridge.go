// Package bridge makes the Linux bridges of Wharf's networks and plugs
// containers into them with veth pairs, all through netlink in the calling
// thread's network namespace (tests pin a goroutine to a scratch netns).
package bridge

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"

	"github.com/wharf/wharf/internal/errdefs"
)

// AliasPrefix starts the interface alias (IFLA_IFALIAS) of every link Wharf
// creates: "wharf:bridge" on bridges, "wharf:<container ID>" on host veths.
// Leftovers finds them by it after a crash.
const AliasPrefix = "wharf:"

// EnsureBridge creates the bridge name, or adopts an existing one, gives it
// the gateway address gw (e.g. 172.17.0.1/16) and brings it up. mtu 0 keeps
// the kernel's default. Calling it again changes nothing.
func EnsureBridge(name string, gw netip.Prefix, mtu int) error {
	link, err := netlink.LinkByName(name)
	if isNotFound(err) {
		// The MTU is set after creation, not in it: only a change through
		// the device pins it (the kernel then stops following the ports'
		// MTU, which goes back to 1500 when the last container leaves).
		attrs := netlink.NewLinkAttrs()
		attrs.Name = name
		err = netlink.LinkAdd(&netlink.Bridge{LinkAttrs: attrs})
		if err != nil && !errors.Is(err, errExist) {
			return fmt.Errorf("bridge %s: create: %w", name, err)
		}
		link, err = netlink.LinkByName(name)
	}
	if err != nil {
		return fmt.Errorf("bridge %s: %w", name, err)
	}
	if link.Type() != "bridge" {
		return errdefs.Conflict("interface %s exists and is a %s, not a bridge", name, link.Type())
	}
	if mtu > 0 && link.Attrs().MTU != mtu {
		if err := netlink.LinkSetMTU(link, mtu); err != nil {
			return fmt.Errorf("bridge %s: mtu %d: %w", name, mtu, err)
		}
	}
	if link.Attrs().Alias == "" {
		if err := netlink.LinkSetAlias(link, AliasPrefix+"bridge"); err != nil {
			return fmt.Errorf("bridge %s: alias: %w", name, err)
		}
	}
	if err := netlink.AddrReplace(link, &netlink.Addr{IPNet: ipNet(gw)}); err != nil {
		return fmt.Errorf("bridge %s: address %s: %w", name, gw, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("bridge %s: up: %w", name, err)
	}
	return nil
}

// DeleteBridge removes the bridge; a missing bridge is not an error.
func DeleteBridge(name string) error {
	link, err := netlink.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bridge %s: %w", name, err)
	}
	if link.Type() != "bridge" {
		return errdefs.Conflict("interface %s is a %s, not a bridge", name, link.Type())
	}
	if err := netlink.LinkDel(link); err != nil && !isNotFound(err) {
		return fmt.Errorf("bridge %s: delete: %w", name, err)
	}
	return nil
}

// ipNet converts a prefix that keeps its host bits (172.17.0.1/16).
func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// isNotFound: a link that is not there, including one that vanished
// between lookup and use (a veth dies with its peer's namespace: ENODEV).
func isNotFound(err error) bool {
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf) || errors.Is(err, syscall.ENODEV)
}

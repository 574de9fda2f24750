package bridge

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errdefs"
)

var errExist = unix.EEXIST

// VethName is the host-side veth name of a container on a bridge: "veth" and
// 7 hex digits of a hash of both, so reconcile can recompute it.
func VethName(containerID, bridge string) string {
	sum := sha256.Sum256([]byte(containerID + "\x00" + bridge))
	return "veth" + hex.EncodeToString(sum[:])[:7]
}

// DefaultMAC is Docker's default MAC address for an IPv4 address:
// 02:42 followed by the address's four bytes.
func DefaultMAC(ip netip.Addr) net.HardwareAddr {
	b := ip.As4()
	return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}
}

// Attach plugs the container containerID, whose network namespace is at
// netnsPath, into bridge: a veth pair whose host end (VethName) joins the
// bridge and whose other end is created inside the namespace as ifName with
// addr, mac (nil: DefaultMAC) and mtu (0: kernel default). A valid gw adds
// the default route through it. lo is brought up too. A stale host veth of
// the same name is replaced. On error nothing is left behind.
func Attach(bridge, containerID, netnsPath, ifName string, addr netip.Prefix, gw netip.Addr,
	mac net.HardwareAddr, mtu int) (hostVeth string, err error) {
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return "", fmt.Errorf("attach to bridge %s: %w", bridge, err)
	}
	if br.Type() != "bridge" {
		return "", errdefs.Invalid("attach: %s is a %s, not a bridge", bridge, br.Type())
	}
	if mac == nil {
		mac = DefaultMAC(addr.Addr())
	}
	ns, err := netns.GetFromPath(netnsPath)
	if err != nil {
		return "", fmt.Errorf("attach: network namespace %s: %w", netnsPath, err)
	}
	defer ns.Close()

	name := VethName(containerID, bridge) // the named result is "" by the time a deferred cleanup runs
	if err := Detach(name); err != nil {
		return "", err
	}
	// The host end is up and on the bridge from the create request itself
	// (the library adds the master right after): fewer round trips. The
	// kernel ignores an alias at creation: it is set after.
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	attrs.Flags = net.FlagUp
	attrs.MasterIndex = br.Attrs().Index
	if mtu > 0 {
		attrs.MTU = mtu
	}
	veth := &netlink.Veth{LinkAttrs: attrs, PeerName: ifName, PeerNamespace: netlink.NsFd(ns),
		PeerHardwareAddr: mac}
	if mtu > 0 {
		veth.PeerMTU = uint32(mtu)
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return "", fmt.Errorf("attach: veth %s/%s: %w", name, ifName, err)
	}
	defer func() {
		if err != nil {
			_ = Detach(name)
		}
	}()
	if err := netlink.LinkSetAlias(veth, AliasPrefix+containerID); err != nil {
		return "", fmt.Errorf("attach: alias %s: %w", name, err)
	}
	// Hairpin: a container reaching its own published port through the
	// host's address sends a packet that the DNAT turns back out of the
	// bridge port it came in by; the bridge drops that unless the port is
	// in hairpin mode (Docker sets it too when no userland proxy is used).
	if err := netlink.LinkSetHairpin(veth, true); err != nil {
		return "", fmt.Errorf("attach: hairpin on %s: %w", name, err)
	}
	if err := configurePeer(ns, ifName, addr, gw); err != nil {
		return "", err
	}
	return name, nil
}

// configurePeer sets up the container end from outside, through a netlink
// handle bound to the container's namespace (no thread switching).
func configurePeer(ns netns.NsHandle, ifName string, addr netip.Prefix, gw netip.Addr) error {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("attach: netlink in container namespace: %w", err)
	}
	defer h.Close()
	lo := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "lo", Index: 1}} // lo is always 1 in a netns
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("attach: lo up: %w", err)
	}
	link, err := h.LinkByName(ifName)
	if err != nil {
		return fmt.Errorf("attach: %s: %w", ifName, err)
	}
	if err := h.AddrAdd(link, &netlink.Addr{IPNet: ipNet(addr)}); err != nil {
		return fmt.Errorf("attach: address %s on %s: %w", addr, ifName, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("attach: %s up: %w", ifName, err)
	}
	if gw.IsValid() {
		// Added, not replaced: a default route the user set in the
		// container (an internal network's member, privileged) is refused
		// with Docker's error instead of being overwritten.
		route := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: net.IP(gw.AsSlice())}
		if err := h.RouteAdd(route); err != nil {
			return fmt.Errorf("failed to set gateway: %w", err)
		}
	}
	return nil
}

// SetGateway makes ifName, inside the namespace at netnsPath, carry the
// default route via gw (replacing the route there is).
func SetGateway(netnsPath, ifName string, gw netip.Addr) error {
	return withDefaultRoute(netnsPath, ifName, gw, func(h *netlink.Handle, route *netlink.Route) error {
		if err := h.RouteReplace(route); err != nil {
			return fmt.Errorf("gateway: default route via %s on %s: %w", gw, ifName, err)
		}
		return nil
	})
}

// ClearGateway deletes the default route via gw on ifName inside the
// namespace at netnsPath, if it is there (and no other route).
func ClearGateway(netnsPath, ifName string, gw netip.Addr) error {
	err := withDefaultRoute(netnsPath, ifName, gw, func(h *netlink.Handle, route *netlink.Route) error {
		if err := h.RouteDel(route); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("gateway: delete default route via %s on %s: %w", gw, ifName, err)
		}
		return nil
	})
	if errors.Is(err, errNoLink) {
		return nil // gone with its veth already
	}
	return err
}

var errNoLink = errors.New("no such interface in the container")

// withDefaultRoute runs fn with a netlink handle bound to the namespace
// at netnsPath and the default route via gw on its ifName.
func withDefaultRoute(netnsPath, ifName string, gw netip.Addr, fn func(*netlink.Handle, *netlink.Route) error) error {
	ns, err := netns.GetFromPath(netnsPath)
	if err != nil {
		return fmt.Errorf("gateway: network namespace %s: %w", netnsPath, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("gateway: netlink in container namespace: %w", err)
	}
	defer h.Close()
	link, err := h.LinkByName(ifName)
	if err != nil {
		return fmt.Errorf("gateway: %s: %w (%w)", ifName, errNoLink, err)
	}
	return fn(h, &netlink.Route{LinkIndex: link.Attrs().Index, Gw: net.IP(gw.AsSlice())})
}

// Detach deletes a host veth, which takes its peer in the container with
// it. A missing veth is not an error.
func Detach(hostVeth string) error {
	link, err := netlink.LinkByName(hostVeth)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("detach %s: %w", hostVeth, err)
	}
	if link.Type() != "veth" {
		return errdefs.Conflict("detach: %s is a %s, not a veth", hostVeth, link.Type())
	}
	if err := netlink.LinkDel(link); err != nil && !isNotFound(err) {
		return fmt.Errorf("detach %s: %w", hostVeth, err)
	}
	return nil
}

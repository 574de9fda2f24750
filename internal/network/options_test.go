package network

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/nat"
)

// Driver options are applied (mtu, enable_ip_masquerade) or refused by
// name when Wharf cannot honour their value; never stored and ignored.
func TestNetworkOptions(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	s := openService(t, t.TempDir())
	n, err := s.Create(ctx, "small", CreateOptions{Subnet: "10.87.0.0/24", Options: map[string]string{
		OptMTU: "1400", OptMasquerade: "false", OptBridgeName: "wsmall0"}})
	must(t, err)
	if l := mustLink(t, "wsmall0"); l.Attrs().MTU != 1400 {
		t.Fatalf("bridge mtu %d, want 1400", l.Attrs().MTU)
	}
	if masquerades(t, s, "wsmall0") != 0 {
		t.Fatal("enable_ip_masquerade=false: the network masquerades")
	}
	c := newCtr(t)
	connect(t, s, "small", c, "c")
	if out, _ := c.run("ip", "link", "show", "eth0"); !strings.Contains(out, "mtu 1400") {
		t.Fatalf("container eth0:\n%s\nwant mtu 1400", out)
	}
	must(t, s.Disconnect(ctx, "small", c.id))
	must(t, s.Remove(n.ID))

	// The default masquerades.
	_, err = s.Create(ctx, "plain", CreateOptions{Subnet: "10.88.0.0/24", Options: map[string]string{OptBridgeName: "wplain0"}})
	must(t, err)
	if masquerades(t, s, "wplain0") != 1 {
		t.Fatal("no masquerade rule for a default network")
	}
	must(t, s.Remove("plain"))

	for opts, want := range map[string]string{
		"com.docker.network.bridge.enable_icc=false":           "network option com.docker.network.bridge.enable_icc=false is not supported",
		"com.docker.network.bridge.gateway_mode_ipv4=isolated": "gateway_mode_ipv4=isolated is not supported",
		OptMTU + "=12":           "invalid MTU",
		OptMasquerade + "=maybe": "invalid value",
	} {
		k, v, _ := strings.Cut(opts, "=")
		_, err := s.Create(ctx, "bad", CreateOptions{Options: map[string]string{k: v}})
		if err == nil || !strings.Contains(err.Error(), want) ||
			!(errors.Is(err, errdefs.ErrNotImplemented) || errors.Is(err, errdefs.ErrInvalid)) {
			t.Errorf("-o %s: %v, want %q", opts, err, want)
		}
	}
	// Defaults spelled out are fine, unknown options are kept as Docker keeps them.
	_, err = s.Create(ctx, "ok", CreateOptions{Options: map[string]string{"com.docker.network.bridge.enable_icc": "true", "x.y": "z"}})
	must(t, err)
	must(t, s.Remove("ok"))
}

// masquerades counts the masquerade rules of the network on bridge.
func masquerades(t *testing.T, s *Service, bridge string) int {
	rules, err := s.nat.Rules()
	must(t, err)
	n := 0
	for _, r := range rules {
		if r.Owner == nat.NetOwner(bridge) && strings.HasPrefix(r.Key, "masquerade ") {
			n++
		}
	}
	return n
}

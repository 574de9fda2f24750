package network

import (
	"context"
	"errors"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
)

// A container may ask for its own address only on a network whose subnet
// the user gave (Docker's rule): elsewhere the subnet was our pick and
// may differ on another host or after a re-create. The rule survives a
// daemon restart.
func TestUserIPNeedsUserSubnet(t *testing.T) {
	inScratchHost(t)
	ctx := context.Background()
	root := t.TempDir()
	s := openService(t, root)
	auto, err := s.Create(ctx, "auto", CreateOptions{})
	must(t, err)
	_, err = s.Create(ctx, "mine", CreateOptions{Subnet: "10.77.0.0/24"})
	must(t, err)
	c := newCtr(t)
	free := auto.IPAM.Config[0].Subnet.Addr().Next().Next().Next()
	_, err = s.Connect(ctx, "auto", c.id, c.path, EndpointOptions{Name: "c", IPv4: free.String()})
	want := "user specified IP address is supported only when connecting to networks with user configured subnets"
	if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != want {
		t.Fatalf("--ip on a network without a user subnet: %v", err)
	}
	s.Close()

	s2 := openService(t, root)
	if _, err := s2.Connect(ctx, "auto", c.id, c.path, EndpointOptions{Name: "c", IPv4: free.String()}); err == nil || err.Error() != want {
		t.Fatalf("after a restart: %v", err)
	}
	ep, err := s2.Connect(ctx, "mine", c.id, c.path, EndpointOptions{Name: "c", IPv4: "10.77.0.9"})
	must(t, err)
	if ep.IPAddress.String() != "10.77.0.9" {
		t.Fatalf("address %s, want 10.77.0.9", ep.IPAddress)
	}
	must(t, s2.Disconnect(ctx, "mine", c.id))
	must(t, s2.Remove("mine"))
	must(t, s2.Remove("auto"))
}

package e2e

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// TestNetUpstreamAttachEndsAfterExit follows moby's RunAttach (its
// TestCreateWithMultiNetworks): attach, start, read the output to its end,
// then at once inspect and remove the container's networks. Once the
// attach stream ends the exit must be handled, as with dockerd: the state
// says exited and the networks have no endpoint left (was: "has active
// endpoints", the exit still being processed).
func TestNetUpstreamAttachEndsAfterExit(t *testing.T) {
	skipNoBridgeOnReference(t)
	d, w := netSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cli, err := client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	for i := 0; i < 5; i++ {
		createNet(t, d, w, "ua1")
		createNet(t, d, w, "ua2")
		created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config:     &container.Config{Image: "busybox", Cmd: []string{"echo", "out"}, AttachStdout: true, AttachStderr: true},
			HostConfig: &container.HostConfig{NetworkMode: "ua1"},
			NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
				"ua1": {}, "ua2": {}}},
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		att, err := cli.ContainerAttach(ctx, created.ID, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
		if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start: %v", err)
		}
		if _, err := stdcopy.StdCopy(io.Discard, io.Discard, att.Reader); err != nil {
			t.Fatalf("attach stream: %v", err)
		}
		att.Close()
		insp, err := cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatalf("inspect: %v", err)
		}
		if st := insp.Container.State; st == nil || st.Status != container.StateExited {
			t.Fatalf("round %d: state right after the attach stream ended: %+v", i, st)
		}
		for _, n := range []string{"ua2", "ua1"} {
			if _, err := cli.NetworkRemove(ctx, n, client.NetworkRemoveOptions{}); err != nil {
				t.Fatalf("round %d: network rm %s right after the attach stream ended: %v", i, n, err)
			}
		}
		if _, err := cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{}); err != nil {
			t.Fatalf("rm: %v", err)
		}
	}
}

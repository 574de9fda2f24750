package distribution

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/testenv"
)

// registry-mirrors stand in for docker.io: two docker-registries, a mirror
// holding library/busybox and a fake docker.io (Client.hub).
func TestMirrors(t *testing.T) {
	mirror := testenv.StartRegistry(t)
	hub := testenv.StartRegistry(t)
	img := randomImage(t, 2, amd64)
	putImage(t, mirror.Addr()+"/library/busybox:latest", img)
	ctx := context.Background()

	// The mirror has it; docker.io is not asked.
	c := newClient(t, Config{Mirrors: []string{"http://" + mirror.Addr()}})
	c.hub = closedAddr(t)
	var ev events
	got, err := c.Pull(ctx, "busybox", PullOptions{}, ev.progress)
	if err != nil {
		t.Fatalf("pull through the mirror: %v", err)
	}
	if got.ID != configDigest(t, img) || !strings.Contains(strings.Join(got.RepoTags, " "), "busybox:latest") {
		t.Fatalf("pulled %s %v", got.ID, got.RepoTags)
	}
	if !ev.has("Pulling from library/busybox") || !ev.has("Status: Downloaded newer image for busybox:latest") {
		t.Fatalf("progress: %+v", ev.all)
	}
	if !strings.Contains(strings.Join(got.RepoDigests, " "), "busybox@"+manifestDigest(t, img).String()) {
		t.Fatalf("RepoDigests %v", got.RepoDigests)
	}

	// A dead mirror: docker.io is used.
	other := randomImage(t, 1, amd64)
	putImage(t, hub.Addr()+"/library/busybox:latest", other)
	dead := closedAddr(t)
	c = newClient(t, Config{Mirrors: []string{"http://" + dead}})
	c.hub = hub.Addr()
	if got, err := c.Pull(ctx, "busybox", PullOptions{}, nil); err != nil || got.ID != configDigest(t, other) {
		t.Fatalf("dead mirror, fallback to docker.io: %v", err)
	}

	// A mirror without the image: docker.io is used.
	c = newClient(t, Config{Mirrors: []string{"http://" + mirror.Addr()}})
	c.hub = hub.Addr()
	putImage(t, hub.Addr()+"/library/alpine:3", other)
	if got, err := c.Pull(ctx, "alpine:3", PullOptions{}, nil); err != nil || got.ID != configDigest(t, other) {
		t.Fatalf("mirror without the image, fallback to docker.io: %v", err)
	}

	// Dead mirror and unreachable docker.io: one error naming both,
	// before any progress.
	c = newClient(t, Config{Mirrors: []string{"http://" + dead}})
	gone := closedAddr(t)
	c.hub = gone
	ev = events{}
	_, err = c.Pull(ctx, "busybox", PullOptions{}, ev.progress)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), gone) || !strings.Contains(err.Error(), "mirror "+dead) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("dead mirror and docker.io: %v", err)
	}
	if len(ev.all) != 0 {
		t.Fatalf("events: %+v", ev.all)
	}
	t.Logf("error: %v", err)
}

package distribution

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/testenv"
)

// remoteDigest is what a registry serves for ref (index or manifest).
func remoteDigest(t *testing.T, ref string) digest.Digest {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	return digest.Digest(d.Digest.String())
}

// Pushing a tag pulled from a multi-platform index: the image's manifest
// when only its platform is local, the whole index once every platform is.
func TestPushIndex(t *testing.T) {
	reg := testenv.StartRegistry(t)
	arm := v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	imgAMD, imgARM := randomImage(t, 2, amd64), randomImage(t, 1, arm)
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: imgAMD, Descriptor: v1.Descriptor{Platform: &amd64}},
		mutate.IndexAddendum{Add: imgARM, Descriptor: v1.Descriptor{Platform: &arm}},
	)
	src := reg.Addr() + "/multi/src:1"
	putIndex(t, src, idx)
	ctx := context.Background()

	c := newClient(t, Config{})
	var ev events
	img, err := c.Pull(ctx, src, PullOptions{}, ev.progress)
	if err != nil {
		t.Fatal(err)
	}
	// Like Docker: the repo digest and the Digest line name the index.
	if !ev.has("Digest: "+manifestDigest(t, idx).String()) || !strings.Contains(strings.Join(img.RepoDigests, " "), "@"+manifestDigest(t, idx).String()) {
		t.Fatalf("pull of an index: digests %v, events %+v", img.RepoDigests, ev.all)
	}
	one := reg.Addr() + "/multi/one:1"
	if err := c.cfg.Images.Tag(src, one); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(ctx, one, registry.AuthConfig{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := remoteDigest(t, one); got != manifestDigest(t, imgAMD) {
		t.Fatalf("one platform local: pushed %s, want the amd64 manifest %s", got, manifestDigest(t, imgAMD))
	}

	if _, err := c.Pull(ctx, src, PullOptions{Platform: "linux/arm64"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, plat := range []string{"linux/arm64", "linux/amd64"} { // the tag on either child
		if _, err := c.Pull(ctx, src, PullOptions{Platform: plat}, nil); err != nil {
			t.Fatal(err)
		}
		all := reg.Addr() + "/multi/all:" + strings.ReplaceAll(plat, "/", "-")
		if err := c.cfg.Images.Tag(src, all); err != nil {
			t.Fatal(err)
		}
		var ev events
		if err := c.Push(ctx, all, registry.AuthConfig{}, ev.progress); err != nil {
			t.Fatal(err)
		}
		if got := remoteDigest(t, all); got != manifestDigest(t, idx) {
			t.Fatalf("all platforms local (tag on %s): pushed %s, want the index %s", plat, got, manifestDigest(t, idx))
		}
		if !ev.has(strings.ReplaceAll(plat, "/", "-") + ": digest: " + manifestDigest(t, idx).String()) {
			t.Fatalf("push progress: %+v", ev.all)
		}
	}
	// A fresh client pulls each platform from the pushed index.
	fresh := newClient(t, Config{})
	for plat, want := range map[string]v1.Image{"linux/amd64": imgAMD, "linux/arm64": imgARM} {
		got, err := fresh.Pull(ctx, reg.Addr()+"/multi/all:linux-amd64", PullOptions{Platform: plat}, nil)
		if err != nil || got.ID != configDigest(t, want) {
			t.Fatalf("pull %s of the pushed index: %v", plat, err)
		}
	}
}

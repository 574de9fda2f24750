package distribution

import (
	"context"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/layer"
)

func randomImage(t testing.TB, layers int, plat v1.Platform) v1.Image {
	t.Helper()
	img, err := random.Image(4096, int64(layers))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = plat.OS, plat.Architecture
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

func configDigest(t testing.TB, img v1.Image) digest.Digest {
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return digest.Digest(h.String())
}

func manifestDigest(t testing.TB, img interface{ Digest() (v1.Hash, error) }) digest.Digest {
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return digest.Digest(h.String())
}

func TestPullMultiLayer(t *testing.T) {
	reg := newMemRegistry(t)
	img := randomImage(t, 3, amd64)
	ref := reg.host() + "/test/multi:v1"
	putImage(t, ref, img)

	c := newClient(t, Config{})
	var ev events
	got, err := c.Pull(context.Background(), ref, PullOptions{}, ev.progress)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != configDigest(t, img) {
		t.Fatalf("image ID %s, want config digest %s", got.ID, configDigest(t, img))
	}
	if ev.count("Pull complete") != 3 || !ev.has("Pulling from test/multi") || !ev.has("Status: Downloaded newer image for "+ref) {
		t.Fatalf("progress: %+v", ev.all)
	}
	wantDigest := reg.host() + "/test/multi@" + manifestDigest(t, img).String()
	if !strings.Contains(strings.Join(got.RepoDigests, " "), wantDigest) {
		t.Fatalf("RepoDigests %v, want %s", got.RepoDigests, wantDigest)
	}
	byTag, err := c.cfg.Images.Get(ref)
	if err != nil || byTag.ID != got.ID {
		t.Fatalf("Get(%s) = %v, %v", ref, byTag, err)
	}
	if _, err := c.cfg.Images.Layers().Get(got.TopLayer); err != nil {
		t.Fatalf("top layer: %v", err)
	}
	// Compressed blobs are kept for push.
	ls, _ := img.Layers()
	for _, l := range ls {
		d, _ := l.Digest()
		if _, err := c.cfg.Images.Content().Stat(digest.Digest(d.String())); err != nil {
			t.Fatalf("blob %s not stored: %v", d, err)
		}
	}

	var again events
	if _, err := c.Pull(context.Background(), ref, PullOptions{}, again.progress); err != nil {
		t.Fatal(err)
	}
	if !again.has("Status: Image is up to date for " + ref) {
		t.Fatalf("second pull: %+v", again.all)
	}
}

func TestPullByDigest(t *testing.T) {
	reg := newMemRegistry(t)
	img := randomImage(t, 2, amd64)
	putImage(t, reg.host()+"/test/dig:v1", img)
	c := newClient(t, Config{})
	ref := reg.host() + "/test/dig@" + manifestDigest(t, img).String()
	got, err := c.Pull(context.Background(), ref, PullOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != configDigest(t, img) || len(got.RepoTags) != 0 {
		t.Fatalf("got %s tags %v", got.ID, got.RepoTags)
	}
	if _, err := c.cfg.Images.Get(ref); err != nil {
		t.Fatalf("by repo digest: %v", err)
	}
	// A digest the registry does not have.
	bad := reg.host() + "/test/dig@" + digest.FromString("nope").String()
	if _, err := c.Pull(context.Background(), bad, PullOptions{}, nil); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing digest: %v", err)
	}
}

func TestPullPlatform(t *testing.T) {
	reg := newMemRegistry(t)
	arm := v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	imgAMD, imgARM := randomImage(t, 1, amd64), randomImage(t, 1, arm)
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: imgAMD, Descriptor: v1.Descriptor{Platform: &amd64}},
		mutate.IndexAddendum{Add: imgARM, Descriptor: v1.Descriptor{Platform: &arm}},
	)
	ref := reg.host() + "/test/multiarch:1"
	putIndex(t, ref, idx)

	c := newClient(t, Config{})
	got, err := c.Pull(context.Background(), ref, PullOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != configDigest(t, imgAMD) {
		t.Fatalf("default platform picked %s, want amd64 %s", got.ID, configDigest(t, imgAMD))
	}
	got, err = c.Pull(context.Background(), ref, PullOptions{Platform: "linux/arm64"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != configDigest(t, imgARM) {
		t.Fatalf("linux/arm64 picked %s, want %s", got.ID, configDigest(t, imgARM))
	}
	_, err = c.Pull(context.Background(), ref, PullOptions{Platform: "linux/s390x"}, nil)
	if !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), "no matching manifest for linux/s390x in the manifest list entries") {
		t.Fatalf("s390x: %v", err)
	}
	// The index is kept for push.
	m, err := c.cfg.Images.Content().ReadAll(manifestDigest(t, idx))
	if err != nil || len(m) == 0 {
		t.Fatalf("index not stored: %v", err)
	}
}

func TestPullSharedLayersSkipped(t *testing.T) {
	reg := newMemRegistry(t)
	base := randomImage(t, 2, amd64)
	extra, err := random.Layer(4096, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	child, err := mutate.AppendLayers(base, extra)
	if err != nil {
		t.Fatal(err)
	}
	putImage(t, reg.host()+"/test/base:1", base)
	putImage(t, reg.host()+"/test/child:1", child)
	c := newClient(t, Config{})
	if _, err := c.Pull(context.Background(), reg.host()+"/test/base:1", PullOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	reg.reset()
	var ev events
	if _, err := c.Pull(context.Background(), reg.host()+"/test/child:1", PullOptions{}, ev.progress); err != nil {
		t.Fatal(err)
	}
	if ev.count("Already exists") != 2 || ev.count("Pull complete") != 1 {
		t.Fatalf("progress: %+v", ev.all)
	}
	if n := reg.count("GET", "/blobs/"); n != 2 { // the config and the new layer
		t.Fatalf("%d blob GETs, want 2: %v", n, reg.requests)
	}
}

func TestPullTruncatedRetried(t *testing.T) {
	reg := newMemRegistry(t)
	img := randomImage(t, 1, amd64)
	ref := reg.host() + "/test/trunc:1"
	putImage(t, ref, img)
	ls, _ := img.Layers()
	d, _ := ls[0].Digest()

	// Cut short once: the retry succeeds.
	reg.truncate[d.String()] = 1
	c := newClient(t, Config{})
	if _, err := c.Pull(context.Background(), ref, PullOptions{}, nil); err != nil {
		t.Fatalf("one truncated download should be retried: %v", err)
	}

	// Cut short every time: a clear error, nothing registered.
	reg.truncate[d.String()] = 100
	reg.reset()
	c = newClient(t, Config{})
	_, err := c.Pull(context.Background(), ref, PullOptions{}, nil)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if n := reg.count("GET", "/blobs/"+d.String()); n != 3 {
		t.Fatalf("%d layer GETs, want 3", n)
	}
	if _, err := c.cfg.Images.Get(ref); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("image registered after failed pull: %v", err)
	}
	if imgs, _ := c.cfg.Images.List(); len(imgs) != 0 {
		t.Fatalf("images after failed pull: %v", imgs)
	}
	diff, _ := ls[0].DiffID()
	if _, err := c.cfg.Images.Layers().Get(layer.ChainID("", digest.Digest(diff.String()))); err == nil {
		t.Fatal("layer of a failed pull is in the store")
	}
	if _, err := c.cfg.Images.Content().Stat(digest.Digest(d.String())); err == nil {
		t.Fatal("partial blob committed")
	}
}

func TestPullNotFound(t *testing.T) {
	reg := newMemRegistry(t)
	putImage(t, reg.host()+"/test/there:1", randomImage(t, 1, amd64))
	c := newClient(t, Config{})
	for _, ref := range []string{reg.host() + "/test/there:2", reg.host() + "/test/absent"} {
		_, err := c.Pull(context.Background(), ref, PullOptions{}, nil)
		want := "manifest for " + ref
		if !strings.Contains(ref, ":2") {
			want += ":latest"
		}
		want += " not found: manifest unknown: manifest unknown"
		if !errors.Is(err, errdefs.ErrNotFound) || err.Error() != want {
			t.Errorf("pull %s: %v, want %q", ref, err, want)
		}
	}
}

func TestPullUnknownHost(t *testing.T) {
	c := newClient(t, Config{})
	_, err := c.Pull(context.Background(), "nosuchhost.invalid/x", PullOptions{}, nil)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "no such host") || !strings.Contains(err.Error(), "nosuchhost.invalid") {
		t.Fatalf("err = %v", err)
	}
}

func TestAllTagsAndSearch(t *testing.T) {
	reg := newMemRegistry(t)
	a, b := randomImage(t, 1, amd64), randomImage(t, 1, amd64)
	putImage(t, reg.host()+"/test/tags:a", a)
	putImage(t, reg.host()+"/test/tags:b", b)
	putImage(t, reg.host()+"/other/thing:1", a)
	c := newClient(t, Config{})
	if _, err := c.Pull(context.Background(), reg.host()+"/test/tags", PullOptions{AllTags: true}, nil); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"a", "b"} {
		if _, err := c.cfg.Images.Get(reg.host() + "/test/tags:" + tag); err != nil {
			t.Errorf("tag %s: %v", tag, err)
		}
	}
	res, err := c.Search(context.Background(), reg.host()+"/tags", 10, authNone)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Name != reg.host()+"/test/tags" {
		t.Fatalf("search: %+v", res)
	}
}

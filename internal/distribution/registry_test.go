package distribution

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/testenv"
)

// Against Debian's docker-registry (distribution 2.8).

func TestPushPullRoundTrip(t *testing.T) {
	reg := testenv.StartRegistry(t)
	img := randomImage(t, 3, amd64)
	src := reg.Addr() + "/src/img:1"
	putImage(t, src, img)

	c := newClient(t, Config{})
	ctx := context.Background()
	pulled, err := c.Pull(ctx, src, PullOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dst := reg.Addr() + "/dst/img:2"
	if err := c.cfg.Images.Tag(src, dst); err != nil {
		t.Fatal(err)
	}
	var ev events
	if err := c.Push(ctx, dst, registry.AuthConfig{}, ev.progress); err != nil {
		t.Fatal(err)
	}
	md := manifestDigest(t, img)
	if ev.count("Mounted from src/img") != 3 || !ev.has("The push refers to repository ["+reg.Addr()+"/dst/img]") || !ev.has("2: digest: "+md.String()+" size: ") {
		t.Fatalf("push progress: %+v", ev.all)
	}
	var again events
	if err := c.Push(ctx, dst, registry.AuthConfig{}, again.progress); err != nil {
		t.Fatal(err)
	}
	if again.count("Layer already exists") != 3 {
		t.Fatalf("second push: %+v", again.all)
	}
	got, _ := c.cfg.Images.Get(dst)
	if !strings.Contains(strings.Join(got.RepoDigests, " "), reg.Addr()+"/dst/img@"+md.String()) {
		t.Fatalf("RepoDigests after push: %v", got.RepoDigests)
	}

	fresh := newClient(t, Config{})
	back, err := fresh.Pull(ctx, dst, PullOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != pulled.ID {
		t.Fatalf("round trip changed the image: %s != %s", back.ID, pulled.ID)
	}
}

func TestPushImported(t *testing.T) {
	reg := testenv.StartRegistry(t)
	c := newClient(t, Config{})
	ctx := context.Background()
	f, err := os.Open(testenv.BusyboxTar(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ref := reg.Addr() + "/bb:imported"
	img, err := c.cfg.Images.Import(ctx, f, ref, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var ev events
	err = c.Push(ctx, ref, registry.AuthConfig{}, ev.progress)
	if errors.Is(err, errdefs.ErrNotImplemented) {
		t.Skipf("layer store cannot make diff tars yet: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if ev.count("Pushed") != 1 {
		t.Fatalf("progress: %+v", ev.all)
	}
	fresh := newClient(t, Config{})
	back, err := fresh.Pull(ctx, ref, PullOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != img.ID {
		t.Logf("imported image pushed with a rewritten config (diff tar order differs): %s -> %s", img.ID, back.ID)
	}
	if _, err := os.Stat(fresh.cfg.Images.Layers().DiffDir(back.TopLayer) + "/bin/busybox"); err != nil {
		t.Fatalf("pulled busybox: %v", err)
	}
}

func TestBasicAuth(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithHtpasswd("alice", "s3cret"))
	ref := reg.Addr() + "/private/img:1"
	putImage(t, ref, randomImage(t, 1, amd64), remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"}))
	c := newClient(t, Config{})
	ctx := context.Background()
	good := registry.AuthConfig{Username: "alice", Password: "s3cret", ServerAddress: reg.Addr()}
	bad := registry.AuthConfig{Username: "alice", Password: "wrong", ServerAddress: reg.Addr()}

	_, err := c.Pull(ctx, ref, PullOptions{}, nil)
	// Docker 20.10's words for a basic-auth registry and no credentials.
	if want := `Get "http://` + ref[:strings.Index(ref, "/")] + `/v2/private/img/manifests/1": no basic auth credentials`; !errors.Is(err, errdefs.ErrForbidden) || err.Error() != want {
		t.Errorf("anonymous pull: %v, want %s", err, want)
	}
	_, err = c.Pull(ctx, ref, PullOptions{Auth: bad}, nil)
	if !errors.Is(err, errdefs.ErrForbidden) || err.Error() != "unauthorized: incorrect username or password" {
		t.Errorf("wrong password pull: %v", err)
	}
	if _, err := c.Pull(ctx, ref, PullOptions{Auth: good}, nil); err != nil {
		t.Fatalf("pull with credentials: %v", err)
	}
	if err := c.cfg.Images.Tag(ref, reg.Addr()+"/private/copy:1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(ctx, reg.Addr()+"/private/copy:1", bad, nil); !errors.Is(err, errdefs.ErrForbidden) {
		t.Errorf("push with wrong password: %v", err)
	}
	if err := c.Push(ctx, reg.Addr()+"/private/copy:1", good, nil); err != nil {
		t.Errorf("push with credentials: %v", err)
	}

	status, _, err := c.Login(ctx, good)
	if err != nil || status != "Login Succeeded" {
		t.Errorf("login: %q %v", status, err)
	}
	_, _, err = c.Login(ctx, bad)
	if want := "login attempt to http://" + reg.Addr() + "/v2/ failed with status: 401 Unauthorized"; !errors.Is(err, errdefs.ErrForbidden) || err.Error() != want {
		t.Errorf("login with wrong password: %v", err)
	}
}

package distribution

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/errdefs"
)

// Bearer-token auth (Docker Hub's flow) against tokenRegistry.

// seedToken puts a one-layer image at each repo:tag as alice.
func seedToken(t *testing.T, tr *tokenRegistry, refs ...string) {
	t.Helper()
	for _, r := range refs {
		putImage(t, tr.host()+"/"+r, randomImage(t, 1, amd64), remote.WithAuth(&authn.Basic{Username: tokenUser, Password: tokenPass}))
	}
}

func TestTokenAuthAnonymous(t *testing.T) {
	tr := newTokenRegistry(t)
	seedToken(t, tr, "public/x:1", "private/x:1")
	c := newClient(t, Config{})
	ctx := context.Background()

	before := len(tr.tokenAsks())
	if _, err := c.Pull(ctx, tr.host()+"/public/x:1", PullOptions{}, nil); err != nil {
		t.Fatalf("anonymous pull of a public repository: %v", err)
	}
	asks := tr.tokenAsks()[before:]
	anon := false
	for _, a := range asks {
		if a.method == "GET" && a.user == "" && a.status == 200 {
			anon = true
		}
	}
	if !anon {
		t.Errorf("no anonymous token fetched: %+v", asks)
	}

	// The token server grants nothing for private/x, the registry then says
	// 401 UNAUTHORIZED "authentication required"; dockerd 20.10 prints the
	// registry's error text as is for a registry other than docker.io.
	_, err := c.Pull(ctx, tr.host()+"/private/x:1", PullOptions{}, nil)
	if !errors.Is(err, errdefs.ErrForbidden) || err.Error() != "unauthorized: authentication required" {
		t.Errorf("anonymous pull of a private repository: %v", err)
	}

	// A pull-only token cannot push: the registry's 403 DENIED.
	if err := c.cfg.Images.Tag(tr.host()+"/public/x:1", tr.host()+"/public/x:2"); err != nil {
		t.Fatal(err)
	}
	err = c.Push(ctx, tr.host()+"/public/x:2", authNone, nil)
	if !errors.Is(err, errdefs.ErrForbidden) || err.Error() != "denied: requested access to the resource is denied" {
		t.Errorf("anonymous push: %v", err)
	}
}

func TestTokenAuthCredentials(t *testing.T) {
	tr := newTokenRegistry(t)
	seedToken(t, tr, "private/x:1")
	c := newClient(t, Config{})
	ctx := context.Background()
	good := registry.AuthConfig{Username: tokenUser, Password: tokenPass, ServerAddress: tr.host()}
	bad := registry.AuthConfig{Username: tokenUser, Password: "wrong", ServerAddress: tr.host()}
	ref := tr.host() + "/private/x:1"

	_, err := c.Pull(ctx, ref, PullOptions{Auth: bad}, nil)
	if !errors.Is(err, errdefs.ErrForbidden) || err.Error() != "unauthorized: incorrect username or password" {
		t.Errorf("pull with a wrong password: %v", err)
	}
	if asks := tr.tokenAsks(); len(asks) == 0 || asks[len(asks)-1].status != 401 {
		t.Errorf("wrong password not refused by the token endpoint: %+v", asks)
	}

	pulled, err := c.Pull(ctx, ref, PullOptions{Auth: good}, nil)
	if err != nil {
		t.Fatalf("pull with credentials: %v", err)
	}
	dst := tr.host() + "/private/copy:1"
	if err := c.cfg.Images.Tag(ref, dst); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(ctx, dst, bad, nil); !errors.Is(err, errdefs.ErrForbidden) {
		t.Errorf("push with a wrong password: %v", err)
	}
	var ev events
	if err := c.Push(ctx, dst, good, ev.progress); err != nil {
		t.Fatalf("push with credentials: %v", err)
	}
	if !ev.has("1: digest: ") {
		t.Errorf("push progress: %+v", ev.all)
	}
	back, err := newClient(t, Config{}).Pull(ctx, dst, PullOptions{Auth: good}, nil)
	if err != nil {
		t.Fatalf("pull of the pushed copy: %v", err)
	}
	if back.ID != pulled.ID {
		t.Errorf("round trip changed the image: %s != %s", back.ID, pulled.ID)
	}

	status, _, err := c.Login(ctx, good)
	if err != nil || status != "Login Succeeded" {
		t.Errorf("login: %q %v", status, err)
	}
	_, _, err = c.Login(ctx, bad)
	if !errors.Is(err, errdefs.ErrForbidden) || err.Error() != "unauthorized: incorrect username or password" {
		t.Errorf("login with a wrong password: %v", err)
	}
}

// An identity token (what `docker login` stores for registries that hand
// out refresh tokens) is exchanged by OAuth POST, grant_type=refresh_token.
func TestTokenAuthIdentityToken(t *testing.T) {
	tr := newTokenRegistry(t)
	seedToken(t, tr, "private/x:1")
	c := newClient(t, Config{})
	ctx := context.Background()
	auth := registry.AuthConfig{IdentityToken: aliceRefresh, ServerAddress: tr.host()}

	before := len(tr.tokenAsks())
	if _, err := c.Pull(ctx, tr.host()+"/private/x:1", PullOptions{Auth: auth}, nil); err != nil {
		t.Fatalf("pull with an identity token: %v", err)
	}
	asks := tr.tokenAsks()[before:]
	for _, a := range asks {
		if a.method != "POST" || a.grantType != "refresh_token" || a.user != tokenUser {
			t.Errorf("token request %+v, want POST grant_type=refresh_token", a)
		}
	}
	if len(asks) == 0 {
		t.Error("no token request")
	}
	if err := c.cfg.Images.Tag(tr.host()+"/private/x:1", tr.host()+"/private/y:1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(ctx, tr.host()+"/private/y:1", auth, nil); err != nil {
		t.Errorf("push with an identity token: %v (scopes asked: %v)", err, scopesOf(tr.tokenAsks()))
	}
	if status, _, err := c.Login(ctx, auth); err != nil || status != "Login Succeeded" {
		t.Errorf("login with an identity token: %q %v", status, err)
	}

	wrong := registry.AuthConfig{IdentityToken: "stale", ServerAddress: tr.host()}
	_, err := c.Pull(ctx, tr.host()+"/private/x:1", PullOptions{Auth: wrong}, nil)
	if !errors.Is(err, errdefs.ErrForbidden) {
		t.Errorf("pull with a refused identity token: %v", err)
	}
}

// A registry token is sent as the bearer token as is: no token request.
func TestTokenAuthRegistryToken(t *testing.T) {
	tr := newTokenRegistry(t)
	seedToken(t, tr, "private/x:1")
	c := newClient(t, Config{})
	ctx := context.Background()
	tok := tr.issue(tokenUser, map[string][]string{"private/x": {"pull"}})
	auth := registry.AuthConfig{RegistryToken: tok, ServerAddress: tr.host()}

	before := len(tr.tokenAsks())
	if _, err := c.Pull(ctx, tr.host()+"/private/x:1", PullOptions{Auth: auth}, nil); err != nil {
		t.Fatalf("pull with a registry token: %v", err)
	}
	if asks := tr.tokenAsks()[before:]; len(asks) != 0 {
		t.Errorf("registry token not used directly, token requests: %+v", asks)
	}
	if status, _, err := c.Login(ctx, auth); err != nil || status != "Login Succeeded" {
		t.Errorf("login with a registry token: %q %v", status, err)
	}

	// The same token does not reach another private repository.
	seedToken(t, tr, "private/z:1")
	_, err := c.Pull(ctx, tr.host()+"/private/z:1", PullOptions{Auth: auth}, nil)
	if !errors.Is(err, errdefs.ErrForbidden) {
		t.Errorf("pull beyond the token's scope: %v", err)
	}
}

package distribution

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/testenv"
)

// certsDir makes a certs.d root holding ca.crt for host, copied from caPath
// ("" for an empty root).
func certsDir(t *testing.T, host, caPath string) string {
	t.Helper()
	root := t.TempDir()
	if caPath == "" {
		return root
	}
	b, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, host), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, host, "ca.crt"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// An insecure registry (loopback, or listed) that speaks HTTPS is reached
// over HTTPS without verification; one that speaks HTTP over HTTP.
func TestInsecureRegistrySchemes(t *testing.T) {
	tlsReg := testenv.StartRegistry(t, testenv.WithTLS())
	plain := testenv.StartRegistry(t)
	ctx := context.Background()
	img := randomImage(t, 1, amd64)
	src := plain.Addr() + "/seed/img:1"
	putImage(t, src, img)
	for _, cfg := range []Config{
		{CertsDirs: []string{t.TempDir()}}, // loopback is insecure
		{CertsDirs: []string{t.TempDir()}, SecureLoopback: true, Insecure: []string{"127.0.0.0/8"}},
	} {
		c := newClient(t, cfg)
		if _, err := c.Pull(ctx, src, PullOptions{}, nil); err != nil {
			t.Fatalf("%+v: pull from the plain registry: %v", cfg, err)
		}
		for _, reg := range []*testenv.Registry{tlsReg, plain} {
			ref := reg.Addr() + "/ins/img:1"
			if err := c.cfg.Images.Tag(src, ref); err != nil {
				t.Fatal(err)
			}
			if err := c.Push(ctx, ref, registry.AuthConfig{}, nil); err != nil {
				t.Fatalf("%+v: push to %s: %v", cfg, reg.URL(), err)
			}
			fresh := newClient(t, cfg)
			got, err := fresh.Pull(ctx, ref, PullOptions{}, nil)
			if err != nil {
				t.Fatalf("%+v: pull from %s: %v", cfg, reg.URL(), err)
			}
			if got.ID != configDigest(t, img) {
				t.Fatalf("pulled %s, want %s", got.ID, configDigest(t, img))
			}
			scheme, _, _ := strings.Cut(reg.URL(), "://")
			if s := fresh.ts.scheme(reg.Addr()); s != scheme {
				t.Errorf("%s: remembered scheme %q", reg.URL(), s)
			}
		}
	}
}

// A registry that is not insecure is verified against the CAs of its
// certs.d directory: the right CA works, no CA or another CA is refused
// with Go's x509 text (what Docker prints), and plain HTTP is refused.
func TestRegistryTLSVerification(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithTLS())
	other := testenv.StartRegistry(t, testenv.WithTLS())
	plain := testenv.StartRegistry(t)
	ctx := context.Background()
	img := randomImage(t, 2, amd64)
	ref := reg.Addr() + "/tls/img:1"

	// The right CA in a certs dir: push and pull.
	good := newClient(t, Config{SecureLoopback: true, CertsDirs: []string{certsDir(t, reg.Addr(), reg.CAPath())}})
	putImage(t, plain.Addr()+"/seed/img:1", img)
	seed := newClient(t, Config{})
	if _, err := seed.Pull(ctx, plain.Addr()+"/seed/img:1", PullOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := seed.cfg.Images.Tag(plain.Addr()+"/seed/img:1", ref); err != nil {
		t.Fatal(err)
	}
	seed.cfg.CertsDirs, seed.cfg.SecureLoopback = good.cfg.CertsDirs, true
	seed.ts = newTransports(good.cfg.CertsDirs)
	if err := seed.Push(ctx, ref, registry.AuthConfig{}, nil); err != nil {
		t.Fatalf("push with the CA: %v", err)
	}
	if got, err := good.Pull(ctx, ref, PullOptions{}, nil); err != nil || got.ID != configDigest(t, img) {
		t.Fatalf("pull with the CA: %v", err)
	}

	// No CA, or another registry's CA: refused before any progress.
	for name, dir := range map[string]string{
		"no CA":    certsDir(t, reg.Addr(), ""),
		"other CA": certsDir(t, reg.Addr(), other.CAPath()),
	} {
		c := newClient(t, Config{SecureLoopback: true, CertsDirs: []string{dir}})
		var ev events
		_, err := c.Pull(ctx, ref, PullOptions{}, ev.progress)
		want := `Get "https://` + reg.Addr() + `/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`
		if !errors.Is(err, errdefs.ErrUnavailable) || err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: pull: %v\nwant %s", name, err, want)
		}
		if len(ev.all) != 0 {
			t.Errorf("%s: events: %+v", name, ev.all)
		}
		if _, _, err := c.Login(ctx, registry.AuthConfig{ServerAddress: reg.Addr()}); err == nil || !strings.Contains(err.Error(), "x509: certificate signed by unknown authority") {
			t.Errorf("%s: login: %v", name, err)
		}
	}

	// A secure registry speaking plain HTTP.
	c := newClient(t, Config{SecureLoopback: true, CertsDirs: []string{t.TempDir()}})
	_, err := c.Pull(ctx, plain.Addr()+"/seed/img:1", PullOptions{}, nil)
	if err == nil || !strings.Contains(err.Error(), `Get "https://`+plain.Addr()+`/v2/": `) ||
		!(strings.Contains(err.Error(), "does not look like a TLS handshake") || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")) {
		t.Errorf("plain registry, not insecure: %v", err)
	}
}

// Docker's own location: testenv's InstallCA writes
// /etc/docker/certs.d/<host:port>/ca.crt, used with the default dirs.
func TestRegistryCAInstalled(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.WithTLS())
	reg.InstallCA(t)
	c := newClient(t, Config{SecureLoopback: true})
	_, err := c.Pull(context.Background(), reg.Addr()+"/nothing/here:1", PullOptions{}, nil)
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("pull over verified TLS should reach the registry (404): %v", err)
	}
	if _, _, err := c.Login(context.Background(), registry.AuthConfig{ServerAddress: reg.Addr()}); err != nil {
		t.Fatalf("login: %v", err)
	}
}

func TestCertsDirClientPair(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "reg.example:5000")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.cert"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := newTransports([]string{root})
	if _, err := ts.get("reg.example:5000", false); err == nil || !strings.Contains(err.Error(), "client.key") {
		t.Fatalf("a client certificate without its key: %v", err)
	}
	if _, err := ts.get("other.example", false); err != nil {
		t.Fatalf("no certs dir: %v", err)
	}
}

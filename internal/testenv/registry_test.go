package testenv

import (
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMirrorParsing(t *testing.T) {
	list := "# comment\ndeb [signed-by=/k.gpg arch=amd64] http://mirror.example/debian bookworm main\ndeb http://x/debian-security bookworm-security main\n"
	if got := mirrorFromList(list); got != "http://mirror.example/debian" {
		t.Errorf("list: %q", got)
	}
	deb822 := "Types: deb\nURIs: http://a/debian-security\nSuites: bookworm-security\n\nTypes: deb\n# note\nURIs: http://b/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
	if got := mirrorFromDeb822(deb822); got != "http://b/debian" {
		t.Errorf("deb822: %q", got)
	}
	if got := mirrorFromDeb822("Types: deb\nEnabled: no\nURIs: http://c/debian\nSuites: bookworm\n"); got != "" {
		t.Errorf("disabled stanza used: %q", got)
	}
}

// TestRegistryVariants pushes the busybox archive with skopeo to a plain, an
// htpasswd and a TLS registry and reads it back through the API.
func TestRegistryVariants(t *testing.T) {
	RequireRoot(t)
	RequireBinary(t, SkopeoBinary)
	archive := BusyboxArchive(t, "busybox:latest")
	for _, tc := range []struct {
		name string
		opts []RegistryOption
	}{
		{"plain", nil},
		{"htpasswd", []RegistryOption{WithHtpasswd("alice", "s3cret")}},
		{"tls", []RegistryOption{WithTLS()}},
		{"tls+htpasswd", []RegistryOption{WithTLS(), WithHtpasswd("bob", "pw")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := StartRegistry(t, tc.opts...)
			if !strings.HasPrefix(r.Addr(), "127.0.0.1:") {
				t.Fatalf("Addr %q", r.Addr())
			}
			r.PushArchive(t, archive, "test/busybox:v1")
			if tags := r.Tags(t, "test/busybox"); len(tags) != 1 || tags[0] != "v1" {
				t.Errorf("tags %v", tags)
			}
			dg := r.ManifestDigest(t, "test/busybox", "v1")
			if len(dg) != 71 {
				t.Errorf("digest %q", dg)
			}
			if n, blobs := r.BlobBytesSent(); n != 0 || blobs != 0 {
				t.Errorf("no pull yet, access log says %d bytes in %d blobs", n, blobs)
			}
			dir := filepath.Join(t.TempDir(), "copy")
			if err := r.CopyWithSkopeo("docker://"+r.Ref("test/busybox:v1"), "dir:"+dir); err != nil {
				t.Fatal(err)
			}
			if n, blobs := r.BlobBytesSent(); n < 500_000 || blobs != 2 {
				t.Errorf("after a pull the access log says %d bytes in %d blobs (want config + ~1 MB layer)", n, blobs)
			}

			resp, err := r.HTTPClient().Get(r.URL() + "/v2/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := http.StatusOK
			if r.User != "" {
				want = http.StatusUnauthorized
			}
			if resp.StatusCode != want {
				t.Errorf("GET /v2/ anonymous: %d, want %d", resp.StatusCode, want)
			}
			if r.TLS {
				// Without the CA the certificate must not verify: the TLS variant is real.
				c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}
				if _, err := c.Get(r.URL() + "/v2/"); err == nil || !strings.Contains(err.Error(), "certificate") {
					t.Errorf("GET without the CA: %v, want a certificate error", err)
				}
			}
		})
	}
}

func TestRegistryInstallCA(t *testing.T) {
	RequireRoot(t)
	r := StartRegistry(t, WithTLS())
	r.InstallCA(t)
	p := filepath.Join(CertsDRoot, r.Addr(), "ca.crt")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	if _, err := os.Stat(filepath.Dir(p)); !os.IsNotExist(err) {
		t.Errorf("Stop left %s: %v", filepath.Dir(p), err)
	}
	if _, err := os.Stat(r.Dir); !os.IsNotExist(err) {
		t.Errorf("Stop left %s", r.Dir)
	}
}

func TestWriteDockerArchiveInterop(t *testing.T) {
	RequireBinary(t, SkopeoBinary)
	dir := t.TempDir()
	l2 := filepath.Join(dir, "l2.tar")
	if err := WriteLayerTar(l2, TarEntry{Name: "etc/", Type: '5'}, TarEntry{Name: "etc/hello", Body: "hi\n"}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "img.tar")
	if err := WriteDockerArchive(p, ImageSpec{Tags: []string{"two:layers"}, Layers: []string{BusyboxTar(t), l2}}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(SkopeoBinary, "inspect", "--config", "docker-archive:"+p).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	if strings.Count(string(out), "sha256:") != 2 || !strings.Contains(string(out), `"sh"`) {
		t.Errorf("config: %s", out)
	}
	oci := filepath.Join(dir, "oci")
	if out, err := exec.Command(SkopeoBinary, "copy", "docker-archive:"+p, "oci:"+oci+":x").CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
}

func TestDebianRootfsTar(t *testing.T) {
	p := DebianRootfsTar(t)
	st, err := os.Stat(p)
	if err != nil || st.Size() < 100<<20 {
		t.Fatalf("%s: %v (size %d)", p, err, st.Size())
	}
	out, err := exec.Command("tar", "-xOf", p, "etc/debian_version").Output()
	if err != nil || !strings.HasPrefix(string(out), "12.") {
		t.Errorf("etc/debian_version: %q %v", out, err)
	}
}

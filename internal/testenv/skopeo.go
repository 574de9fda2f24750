package testenv

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// SkopeoBinary is Debian's skopeo, the independent registry client of the tests.
const SkopeoBinary = "/usr/bin/skopeo"

// SkopeoArgs are the flags that let skopeo reach this registry as its
// source (prefix "src") or destination ("dest") of a copy, or for inspect
// (prefix ""): TLS verification off for plain HTTP or the CA directory for
// TLS, and the credentials if any.
func (r *Registry) SkopeoArgs(prefix string) []string {
	var args []string
	if prefix != "" {
		prefix += "-"
	}
	if r.TLS {
		args = append(args, "--"+prefix+"cert-dir", r.CertDir())
	} else {
		args = append(args, "--"+prefix+"tls-verify=false")
	}
	if r.User != "" {
		args = append(args, "--"+prefix+"creds", r.User+":"+r.Password)
	}
	return args
}

// Ref is "127.0.0.1:port/" + repoTag.
func (r *Registry) Ref(repoTag string) string { return r.addr + "/" + repoTag }

// PushArchive copies a docker-archive into the registry as repoTag
// ("busybox:latest") with skopeo, which gzips its layers like docker push.
func (r *Registry) PushArchive(t testing.TB, archive, repoTag string) {
	t.Helper()
	RequireBinary(t, SkopeoBinary)
	if err := r.CopyWithSkopeo("docker-archive:"+archive, "docker://"+r.Ref(repoTag)); err != nil {
		t.Fatalf("testenv: %v", err)
	}
}

// CopyWithSkopeo runs `skopeo copy src dst`, adding this registry's flags to
// whichever side is a docker:// reference to it.
func (r *Registry) CopyWithSkopeo(src, dst string, extra ...string) error {
	args := []string{"copy", "--quiet"}
	if strings.HasPrefix(src, "docker://"+r.addr+"/") {
		args = append(args, r.SkopeoArgs("src")...)
	}
	if strings.HasPrefix(dst, "docker://"+r.addr+"/") {
		args = append(args, r.SkopeoArgs("dest")...)
	}
	args = append(append(args, extra...), src, dst)
	out, err := exec.Command(SkopeoBinary, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("skopeo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// ManifestDigest asks the registry for the digest of repo:tag's manifest
// (Docker-Content-Digest of a HEAD accepting Docker and OCI manifests and
// indexes).
func (r *Registry) ManifestDigest(t testing.TB, repo, tag string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, r.URL()+"/v2/"+repo+"/manifests/"+tag, nil)
	req.Header.Set("Accept", strings.Join([]string{
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json",
		"application/vnd.oci.image.manifest.v1+json",
		"application/vnd.oci.image.index.v1+json",
	}, ", "))
	if r.User != "" {
		req.SetBasicAuth(r.User, r.Password)
	}
	resp, err := r.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("testenv: HEAD manifest: %v", err)
	}
	resp.Body.Close()
	d := resp.Header.Get("Docker-Content-Digest")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(d, "sha256:") {
		t.Fatalf("testenv: HEAD %s/manifests/%s: %s (digest %q)", repo, tag, resp.Status, d)
	}
	return d
}

// Tags lists repo's tags through the registry API (nil if the repository
// does not exist).
func (r *Registry) Tags(t testing.TB, repo string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.URL()+"/v2/"+repo+"/tags/list", nil)
	if r.User != "" {
		req.SetBasicAuth(r.User, r.Password)
	}
	resp, err := r.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("testenv: tags/list: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var body struct{ Tags []string }
	if err := decodeJSON(resp, &body); err != nil {
		t.Fatalf("testenv: tags/list %s: %v", repo, err)
	}
	return body.Tags
}

package oci

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// withBounding pins the daemon's bounding set for a test.
func withBounding(t *testing.T, caps []string) {
	t.Helper()
	old := boundingSet
	boundingSet = func() []string { return slices.Clone(caps) }
	t.Cleanup(func() { boundingSet = old })
}

// hostBoundingWithoutResource mimics this project's VMs: everything but
// CAP_SYS_RESOURCE.
func hostBoundingWithoutResource() []string {
	return slices.DeleteFunc(slices.Clone(capNames), func(c string) bool { return c == "CAP_SYS_RESOURCE" })
}

func writeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// baseRootfs makes a one-layer image with busybox-like users.
func baseRootfs(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	writeFile(t, filepath.Join(d, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n"+
		"daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"+
		"app:x:1000:1000:App:/home/app:/bin/sh\n"+
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
	writeFile(t, filepath.Join(d, "etc/group"), "root:x:0:\n"+
		"daemon:x:1:\n"+
		"wheel:x:10:root,app\n"+
		"audio:x:29:app\n"+
		"app:x:1000:\n"+
		"nogroup:x:65534:\n")
	return d
}

func baseInput(t *testing.T) Input {
	return Input{
		ID:         testID,
		Config:     &container.Config{Cmd: []string{"sh", "-c", "true"}},
		HostConfig: &container.HostConfig{},
		RootPath:   "/run/wharf/containers/x/rootfs",
		RootfsDirs: []string{baseRootfs(t)},
		Seccomp:    true,
	}
}

func mustSpec(t *testing.T, in Input) *specs.Spec {
	t.Helper()
	s, err := Spec(in)
	if err != nil {
		t.Fatalf("Spec: %v", err)
	}
	return s
}

func findMount(s *specs.Spec, dst string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dst {
			return &s.Mounts[i]
		}
	}
	return nil
}

func envValue(env []string, key string) (string, bool) {
	for _, e := range env {
		if k, v, ok := strings.Cut(e, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func nsTypes(s *specs.Spec) []specs.LinuxNamespaceType {
	var out []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		out = append(out, n.Type)
	}
	return out
}

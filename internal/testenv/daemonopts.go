package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// WithInsecureRegistry passes --insecure-registry (host:port or CIDR).
func WithInsecureRegistry(hostPort string) Option {
	return WithArgs("--insecure-registry", hostPort)
}

// WithRegistryMirror passes --registry-mirror (a URL that stands in for docker.io).
func WithRegistryMirror(url string) Option {
	return WithArgs("--registry-mirror", url)
}

// WithDaemonConfig writes cfg (marshalled to JSON: daemon.json keys such as
// "insecure-registries" and "registry-mirrors") to <dir>/daemon-test.json
// and passes it as --config-file (the last --config-file wins, for wharf and
// for the reference dockerd alike).
func WithDaemonConfig(cfg map[string]any) Option {
	return func(d *Daemon) {
		b, err := json.MarshalIndent(cfg, "", "  ")
		if err != nil {
			panic(fmt.Sprintf("testenv: WithDaemonConfig: %v", err))
		}
		p := filepath.Join(d.Dir, "daemon-test.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			panic(fmt.Sprintf("testenv: WithDaemonConfig: %v", err))
		}
		d.args = append(d.args, "--config-file", p)
	}
}

// WithTmpfsDataRoot puts the data root on a tmpfs of the given size ("40m"),
// for full-disk tests; the daemon's cleanup unmounts it (Sweep unmounts all
// under the test dir before removing it).
func WithTmpfsDataRoot(size string) Option { return func(d *Daemon) { d.tmpfsSize = size } }

func (d *Daemon) mountTmpfsDataRoot(t testing.TB) {
	t.Helper()
	if err := os.MkdirAll(d.DataRoot, 0o700); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if err := syscall.Mount("tmpfs", d.DataRoot, "tmpfs", 0, "size="+d.tmpfsSize+",mode=0700"); err != nil {
		t.Fatalf("testenv: mount tmpfs on the data root: %v", err)
	}
}

// UserConfigDir is a per-daemon client config dir (DOCKER_CONFIG) used by
// DockerCommand; our CLI gets the same one from UserCommand, so that login
// never touches root's ~/.docker.
func (d *Daemon) UserConfigDir() string { return filepath.Join(d.Dir, "docker-config") }

// UserCommand is Command with HOME=<dir>/home and DOCKER_CONFIG set to
// UserConfigDir: the client-side state (config.json, credentials) stays in
// the test's dir.
func (d *Daemon) UserCommand(args ...string) *exec.Cmd {
	cmd := d.Command(args...)
	home := filepath.Join(d.Dir, "home")
	os.MkdirAll(home, 0o700)
	cmd.Env = append(cmd.Env, "HOME="+home, "DOCKER_CONFIG="+d.UserConfigDir())
	return cmd
}

func decodeJSON(resp *http.Response, v any) error {
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

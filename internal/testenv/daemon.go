package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Docker CLIs worth pointing at our socket.
const (
	DockerCLI    = "/usr/local/bin/docker" // 28.x, API up to 1.50
	DockerCLIOld = "/usr/bin/docker"       // Debian's docker.io 20.10, API 1.41
)

// CommandTimeout bounds each CLI call, so a hung command fails its test
// instead of the whole run.
var CommandTimeout = 2 * time.Minute

// Daemon is an isolated `wharf daemon` under its own short temp dir, with its
// own socket, data root, exec root and cgroup parent.
type Daemon struct {
	t            testing.TB
	Bin          string // the wharf binary
	Dir          string // /tmp/wt-XXXXXX, removed at cleanup
	DataRoot     string
	ExecRoot     string
	CgroupParent string // "/wharf-test-<random>"
	BridgeName   string // "wt<8 hex>": the default bridge, its own nftables table
	LogPath      string
	args         []string // extra daemon flags
	tmpfsSize    string   // WithTmpfsDataRoot

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Option changes how the daemon is started.
type Option func(*Daemon)

// WithArgs adds flags to `wharf daemon`.
func WithArgs(args ...string) Option { return func(d *Daemon) { d.args = append(d.args, args...) } }

// StartDaemon starts an isolated daemon and waits until /_ping answers. Its
// cleanup (registered first, so it also runs when the start fails) stops the
// daemon, kills its supervisor and containers, unmounts and removes all it
// made, and prints the daemon's log if the test failed.
func StartDaemon(t testing.TB, opts ...Option) *Daemon {
	t.Helper()
	RequireRoot(t)
	bin := DockerCLI
	if !referenceMode() {
		bin = WharfBinary(t)
	}
	dir := ShortTempDir(t)
	b := make([]byte, 4)
	rand.Read(b)
	d := &Daemon{
		t:            t,
		Bin:          bin,
		Dir:          dir,
		DataRoot:     filepath.Join(dir, "data"),
		ExecRoot:     filepath.Join(dir, "exec"),
		CgroupParent: "/wharf-test-" + hex.EncodeToString(b),
		LogPath:      filepath.Join(dir, "daemon.log"),
	}
	if !referenceMode() {
		rand.Read(b)
		d.BridgeName = "wt" + hex.EncodeToString(b)
		d.args = append(d.args, "--bridge-name", d.BridgeName)
	}
	for _, o := range opts {
		o(d)
	}
	t.Cleanup(d.cleanup)
	if d.tmpfsSize != "" {
		d.mountTmpfsDataRoot(t)
	}
	d.start(t)
	return d
}

// Socket is the path of the API socket.
func (d *Daemon) Socket() string { return filepath.Join(d.Dir, "wharf.sock") }

// Host is the -H value for clients: unix:///tmp/wt-XXXXXX/wharf.sock.
func (d *Daemon) Host() string { return "unix://" + d.Socket() }

// Pid of the running daemon, 0 when it is not running.
func (d *Daemon) Pid() int {
	if d.cmd == nil || d.exited() {
		return 0
	}
	return d.cmd.Process.Pid
}

func (d *Daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// TestDNS is the test daemons' --dns: a loopback address where nothing
// listens, so lookups of unknown names fail fast and stay on this machine.
const TestDNS = "127.0.0.153"

func (d *Daemon) start(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(d.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== testenv: starting daemon at %s\n", time.Now().Format(time.RFC3339Nano))
	args := append([]string{"daemon",
		"--data-root", d.DataRoot,
		"--exec-root", d.ExecRoot,
		"-H", d.Host(),
		"--cgroup-parent", d.CgroupParent,
		// A file that does not exist: the host's /etc/wharf/daemon.json must not leak in.
		"--config-file", filepath.Join(filepath.Dir(d.DataRoot), "daemon.json"),
		// Names nobody on a test network has must not reach the host's
		// resolvers: tests talk only to loopback and their own namespaces.
		"--dns", TestDNS,
	}, d.args...)
	cmd := exec.Command(d.Bin, args...)
	if referenceMode() {
		cmd = d.dockerdCommand()
	}
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	// The daemon dies with the test process; its supervisor (own session) does
	// not, which is why cleanup also sweeps by exec-root.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start daemon: %v", err)
	}
	d.cmd, d.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(d.done)

	client := d.HTTPClient()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if d.exited() {
			t.Fatalf("testenv: daemon exited during start-up (%v); its log follows", cmd.ProcessState)
		}
		resp, err := client.Get("http://wharf/_ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: daemon did not answer /_ping within 30s (last: %v); its log follows", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// HTTPClient talks HTTP to the daemon's socket (any host name in the URL).
func (d *Daemon) HTTPClient() *http.Client {
	sock := d.Socket()
	return &http.Client{
		Timeout: CommandTimeout,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", sock)
		}},
	}
}

// Kill9 kills the daemon with SIGKILL and waits for it; its supervisor and
// containers are expected to live on.
func (d *Daemon) Kill9() {
	d.t.Helper()
	if d.Pid() == 0 {
		return
	}
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// Stop sends SIGTERM and waits up to 30s (then SIGKILL, and the test fails).
func (d *Daemon) Stop() {
	d.t.Helper()
	if d.Pid() == 0 {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
		d.t.Errorf("testenv: daemon ignored SIGTERM for 30s")
	}
}

// Restart stops the daemon if it runs, starts it again with the same roots
// and flags, and waits for /_ping.
func (d *Daemon) Restart() {
	d.t.Helper()
	d.Stop()
	d.start(d.t)
}

// Log returns the daemon's log so far (its last 64 KiB).
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.LogPath)
	if len(b) > 64<<10 {
		b = append([]byte("...\n"), b[len(b)-64<<10:]...)
	}
	return string(b)
}

func (d *Daemon) cleanup() {
	if d.t.Failed() {
		d.t.Logf("testenv: daemon log (%s):\n%s", d.LogPath, d.Log())
		if b, err := os.ReadFile(filepath.Join(d.ExecRoot, "supervisor.log")); err == nil {
			if len(b) > 32<<10 {
				b = b[len(b)-32<<10:]
			}
			d.t.Logf("testenv: supervisor log:\n%s", b)
		}
	}
	if d.cmd != nil {
		d.Stop()
	}
	Sweep(d.t, d.Dir, strings.TrimPrefix(d.CgroupParent, "/"))
	if d.BridgeName != "" {
		SweepNetwork(d.t, d.BridgeName)
	}
}

// cleanEnv is the environment without variables that would point clients
// elsewhere than at the -H they are given.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "WHARF_HOST", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY",
			"DOCKER_CERT_PATH", "DOCKER_API_VERSION", "DOCKER_CONFIG":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Command prepares `wharf -H <host> args...`.
func (d *Daemon) Command(args ...string) *exec.Cmd {
	if referenceMode() {
		return d.DockerCommand(d.Bin, args...)
	}
	cmd := exec.Command(d.Bin, append([]string{"-H", d.Host()}, args...)...)
	cmd.Env = cleanEnv()
	return cmd
}

// DockerCommand prepares `<docker> -H <host> args...` with a private config dir.
func (d *Daemon) DockerCommand(docker string, args ...string) *exec.Cmd {
	cmd := exec.Command(docker, append([]string{"-H", d.Host()}, args...)...)
	cmd.Env = append(cleanEnv(), "DOCKER_CONFIG="+filepath.Join(d.Dir, "docker-config"), "DOCKER_CLI_HINTS=false")
	return cmd
}

// CLI runs our CLI against the daemon and returns stdout, stderr and the
// exit code (-1 if it could not run or timed out, which also fails the test).
func (d *Daemon) CLI(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return Run(t, d.Command(args...))
}

// Docker runs the docker CLI 28 (/usr/local/bin/docker) against the daemon.
func (d *Daemon) Docker(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return Run(t, d.DockerCommand(RequireBinary(t, DockerCLI), args...))
}

// DockerOld runs Debian's docker 20.10 CLI (/usr/bin/docker) against the
// daemon; the test is skipped, saying so, when that CLI is not installed.
func (d *Daemon) DockerOld(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return Run(t, d.DockerCommand(RequireBinary(t, DockerCLIOld), args...))
}

// RequireBinary skips the test, naming the missing program, unless path is executable.
func RequireBinary(t testing.TB, path string) string {
	t.Helper()
	if st, err := os.Stat(path); err != nil || st.Mode()&0o111 == 0 {
		t.Skipf("testenv: %s is not installed", path)
	}
	return path
}

// Run runs cmd (stdin empty unless set) with CommandTimeout and returns its
// output and exit code.
func Run(t testing.TB, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Errorf("testenv: %s: %v", cmd.Path, err)
		return "", err.Error(), -1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(CommandTimeout):
		cmd.Process.Kill()
		<-done
		t.Errorf("testenv: %q timed out after %v\nstdout: %s\nstderr: %s", cmd.Args, CommandTimeout, &out, &errb)
		return out.String(), errb.String(), -1
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	default:
		t.Errorf("testenv: %q: %v", cmd.Args, err)
		return out.String(), errb.String(), -1
	}
}

// ImportBusybox imports BusyboxTar as busybox:latest (CMD ["sh"], like
// Docker Hub's busybox) and fails the test if that does not work.
func (d *Daemon) ImportBusybox(t testing.TB) {
	t.Helper()
	out, errOut, code := d.CLI(t, "import", "--change", `CMD ["sh"]`, BusyboxTar(t), "busybox:latest")
	if code != 0 {
		t.Fatalf("testenv: wharf import busybox: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// startDockerd runs Debian's dockerd 20.10 on its own socket and roots, so that
// the CLI is checked against the reference implementation of the API.
func startDockerd(t *testing.T) string {
	if os.Getenv("WHARF_TEST_DOCKERD") != "1" {
		t.Skip("set WHARF_TEST_DOCKERD=1 to run the CLI against a private dockerd")
	}
	testenv.RequireRoot(t)
	if _, err := exec.LookPath("dockerd"); err != nil {
		t.Skip("dockerd is not installed")
	}
	dir := testenv.ShortTempDir(t)
	host := "unix://" + filepath.Join(dir, "d.sock")
	cmd := exec.Command("dockerd", "-H", host, "--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"), "--pidfile", filepath.Join(dir, "pid"),
		"--bridge=none", "--iptables=false", "--ip-masq=false")
	logf, _ := os.Create(filepath.Join(dir, "dockerd.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		for _, m := range testenv.MountsUnder(dir) {
			syscall.Unmount(m, syscall.MNT_DETACH)
		}
		os.RemoveAll(dir)
	})
	for i := 0; ; i++ {
		if code, _, _ := runCLI(t, "", "-H", host, "version"); code == 0 {
			return host
		}
		if i == 150 {
			log, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
			t.Fatalf("dockerd did not come up:\n%s", log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// expect runs wharf and checks its exit code, stdout and (when set) a piece of stderr.
func expect(t *testing.T, host, stdin string, code int, stdout, stderrPart string, args ...string) string {
	t.Helper()
	got, out, errOut := runCLI(t, stdin, append([]string{"-H", host}, args...)...)
	if got != code || (stdout != "*" && out != stdout) || !strings.Contains(errOut, stderrPart) {
		t.Fatalf("wharf %v: exit %d, stdout %q, stderr %q; want %d, %q, %q", args, got, out, errOut, code, stdout, stderrPart)
	}
	return out
}

func TestAgainstDockerd(t *testing.T) {
	host := startDockerd(t)
	out := expect(t, host, "", 0, "*", "", "import", "-c", `CMD ["sh"]`, testenv.BusyboxTar(t), "busybox:latest")
	if !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("import printed %q", out)
	}
	expect(t, host, "", 0, "hi\n", "", "run", "--rm", "busybox", "echo", "hi")
	expect(t, host, "", 3, "", "", "run", "--rm", "busybox", "sh", "-c", "exit 3")
	expect(t, host, "", 127, "", "executable file not found", "run", "--rm", "busybox", "nosuch")
	expect(t, host, "", 126, "", "permission denied", "run", "--rm", "busybox", "/etc/passwd")
	expect(t, host, "piped\n", 0, "piped\n", "", "run", "-i", "--rm", "busybox", "cat")
	expect(t, host, "", 125, "", "Unable to find image '127.0.0.1:1/nosuch:latest' locally", "run", "--rm", "127.0.0.1:1/nosuch")

	id := expect(t, host, "", 0, "*", "", "run", "-d", "--name", "web", "-l", "role=web", "busybox", "sleep", "100")
	if len(strings.TrimSpace(id)) != 64 {
		t.Fatalf("run -d printed %q", id)
	}
	expect(t, host, "", 0, "web role=web\n", "", "ps", "--format", `{{.Names}} {{.Labels}}`)
	expect(t, host, "", 0, "/web true\n", "", "inspect", "--format", "{{.Name}} {{.State.Running}}", "web")
	expect(t, host, "", 0, "hello\n", "", "exec", "web", "echo", "hello")
	expect(t, host, "", 4, "", "", "exec", "web", "sh", "-c", "exit 4")
	expect(t, host, "", 0, "65534 /tmp B\n", "", "exec", "-u", "nobody", "-w", "/tmp", "-e", "A=B", "web", "sh", "-c", "echo $(id -u) $PWD $A")

	expect(t, host, "", 0, "*", "", "create", "--name", "lg", "busybox", "sh", "-c", "echo out; echo err >&2; exit 2")
	expect(t, host, "", 2, "out\n", "err\n", "start", "-a", "lg")
	expect(t, host, "", 0, "2\n", "", "wait", "lg")
	expect(t, host, "", 0, "out\n", "err\n", "logs", "lg")
	expect(t, host, "", 0, "lg\n", "", "rm", "lg")

	if docker, err := exec.LookPath("/usr/local/bin/docker"); err == nil {
		// The same listings as the stock docker CLI, byte for byte.
		for _, args := range [][]string{
			{"ps", "-a", "--no-trunc", "--format", "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}"},
			{"images", "--format", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}"},
			{"inspect", "web"},
			{"inspect", "busybox"},
			{"top", "web"},
		} {
			want, err := exec.Command(docker, append([]string{"-H", host}, args...)...).Output()
			if err != nil {
				t.Fatalf("docker %v: %v", args, err)
			}
			expect(t, host, "", 0, string(want), "", args...)
		}
	}
	expect(t, host, "", 0, "web\n", "", "stop", "-t", "1", "web")
	expect(t, host, "", 1, "web\n", "No such container: nosuch", "rm", "web", "nosuch")
}

package pid1

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary acts as wharf-init when started under that name.
func TestMain(m *testing.M) {
	if strings.HasSuffix(os.Args[0], Name) {
		os.Exit(Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func initCmd(t *testing.T, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"--"}, args...)...)
	cmd.Args[0] = Name
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatal(err)
	}
	return ee.ExitCode()
}

func TestExitCode(t *testing.T) {
	out, err := initCmd(t, "/bin/sh", "-c", "echo hi; exit 3").Output()
	if code := exitCode(t, err); code != 3 || string(out) != "hi\n" {
		t.Errorf("exit %d output %q", code, out)
	}
	if code := exitCode(t, initCmd(t, "/nonexistent").Run()); code != 127 {
		t.Errorf("missing command: exit %d", code)
	}
}

func TestForwardsSignals(t *testing.T) {
	cmd := initCmd(t, "/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := exitCode(t, err); code != 128+int(syscall.SIGTERM) {
			t.Errorf("exit %d, want 143", code)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("SIGTERM was not forwarded")
	}
}

// TestReapsOrphans runs the init as PID 1 of a new pid namespace: the
// orphaned grandchild must not stay a zombie.
func TestReapsOrphans(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a pid namespace")
	}
	cmd := initCmd(t, "/bin/sh", "-c", "(sleep 0.05 &); exec sleep 1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	children := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(cmd.Process.Pid) {
			children++
			if f[0] == "Z" {
				t.Errorf("zombie child %s of the init", e.Name())
			}
		}
	}
	if children != 1 {
		t.Errorf("init has %d children, want 1 (the command)", children)
	}
	if code := exitCode(t, cmd.Wait()); code != 0 {
		t.Errorf("exit %d", code)
	}
}

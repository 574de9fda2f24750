package supervisor

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeDaemon plays the engine: it starts the supervisor, runs a container
// from the request file, says "ready" and waits to be killed.
func fakeDaemon(execRoot, reqFile string) int {
	b, err := os.ReadFile(reqFile)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	var req CreateRequest
	if err := json.Unmarshal(b, &req); err != nil {
		fmt.Println(err)
		return 1
	}
	exe, _ := os.Executable()
	c, err := EnsureRunning(exe, execRoot)
	if err == nil {
		_, err = c.Create(context.Background(), req)
	}
	if err == nil {
		_, err = c.Start(context.Background(), req.ID)
	}
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
	return 0
}

// TestSurvivesDaemonKill: the daemon that started the supervisor dies by
// SIGKILL; the supervisor, the container, its output and its exit code
// live on and a new client finds them.
func TestSurvivesDaemonKill(t *testing.T) {
	root := t.TempDir()
	t.Cleanup(func() { stopSupervisor(root) })
	req := newRequest(t, "survivor", "sh", "-c", "echo before; read x; echo after $x; exit 9")
	req.OpenStdin = true
	reqFile := filepath.Join(t.TempDir(), "req.json")
	b, _ := json.Marshal(req)
	os.WriteFile(reqFile, b, 0o600)

	exe, _ := os.Executable()
	daemon := exec.Command(exe, "fake-daemon", root, reqFile)
	out, _ := daemon.StdoutPipe()
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		daemon.Process.Kill()
		daemon.Wait()
		t.Fatalf("fake daemon: %q", line)
	}
	daemon.Process.Signal(syscall.SIGKILL)
	daemon.Wait()

	c := ctx(t)
	cl, err := Dial(filepath.Join(root, "supervisor.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cl.Kill(context.Background(), req.ID, syscall.SIGKILL, false)
		cl.Delete(context.Background(), req.ID)
	})
	if st, err := cl.State(c, req.ID); err != nil || st.Status != StatusRunning {
		t.Fatalf("after the daemon's death: %+v %v", st, err)
	}
	for i := 0; i < 200; i++ { // attach once "before" is out, to see only what follows
		if b, _ := os.ReadFile(req.Log.Path); strings.Contains(string(b), "before") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s, err := cl.Attach(c, req.ID, AttachOptions{Stdin: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("now\n"))
	stdout, _ := demux(t, s)
	s.Close()
	if stdout != "after now\n" {
		t.Errorf("attached output %q", stdout)
	}
	st, err := cl.Wait(c, req.ID)
	if err != nil || st.ExitCode != 9 {
		t.Errorf("exit %+v %v", st, err)
	}
	logged, _ := os.ReadFile(req.Log.Path)
	if !strings.Contains(string(logged), "before") || !strings.Contains(string(logged), "after now") {
		t.Errorf("log: %s", logged)
	}
	if err := cl.Delete(c, req.ID); err != nil {
		t.Fatal(err)
	}
}

package supervisor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/jsonlog"
)

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"true"}, 0},
		{[]string{"false"}, 1},
		{[]string{"sh", "-c", "exit 7"}, 7},
	} {
		st := runCtr(t, newRequest(t, fmt.Sprintf("codes-%d", tc.code), tc.args...))
		if st.Status != StatusExited || st.ExitCode != tc.code {
			t.Errorf("%v: got %s %d, want exited %d", tc.args, st.Status, st.ExitCode, tc.code)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		code int
	}{{"nosuchcmd", 127}, {"/bin/nosuch", 127}, {"/bin/notexec", 126}, {"/etc", 126}} {
		req := newRequest(t, "cmderr", tc.cmd)
		_, err := testClient.Create(ctx(t), req)
		var ce *CommandError
		if !errors.As(err, &ce) || ce.ExitCode != tc.code || !errors.Is(err, errdefs.ErrInvalid) {
			t.Fatalf("%s: got %v, want a CommandError %d", tc.cmd, err, tc.code)
		}
		if mounted(req.Spec.Root.Path) {
			t.Errorf("%s: rootfs left mounted after a failed create", tc.cmd)
		}
		if _, err := testClient.State(ctx(t), req.ID); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("%s: a failed create left a container: %v", tc.cmd, err)
		}
	}
}

func TestOutputAndLog(t *testing.T) {
	req := newRequest(t, "output", "sh", "-c", "echo out; echo err >&2; echo out2")
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	s, err := testClient.Attach(c, req.ID, AttachOptions{Stdout: true, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := testClient.Start(c, req.ID); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := demux(t, s) // EOF when the container has exited
	if stdout != "out\nout2\n" || stderr != "err\n" {
		t.Errorf("stdout %q stderr %q", stdout, stderr)
	}
	if st, _ := testClient.State(c, req.ID); st.Status != StatusExited {
		t.Errorf("attach ended before the exit was recorded: %+v", st)
	}
	var got []string
	err = jsonlog.Read(c, req.Log.Path, jsonlog.ReadOptions{Tail: -1}, func(e jsonlog.Entry) error {
		got = append(got, e.Stream+":"+e.Log)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Two pipes: only the order within a stream is kept.
	i, j := slices.Index(got, "stdout:out\n"), slices.Index(got, "stdout:out2\n")
	if len(got) != 3 || !slices.Contains(got, "stderr:err\n") || i < 0 || j < i {
		t.Errorf("log entries %q", got)
	}
	if _, err := testClient.Attach(c, req.ID, AttachOptions{Stdout: true}); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("attach to an exited container: %v", err)
	}
}

func TestStdinOnce(t *testing.T) {
	req := newRequest(t, "stdin", "sh", "-c", "cat; echo done")
	req.OpenStdin, req.StdinOnce = true, true
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	s, err := testClient.Attach(c, req.ID, AttachOptions{Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := testClient.Start(c, req.ID); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("hello\n"))
	s.CloseWrite()
	if stdout, _ := demux(t, s); stdout != "hello\ndone\n" {
		t.Errorf("stdout %q", stdout)
	}
	if st, _ := testClient.Wait(c, req.ID); st.ExitCode != 0 {
		t.Errorf("exit %d", st.ExitCode)
	}
}

func TestTTY(t *testing.T) {
	req := newRequest(t, "tty", "sh")
	req.Tty, req.OpenStdin = true, true
	c := ctx(t)
	if _, err := testClient.Create(c, req); err != nil {
		t.Fatal(err)
	}
	if err := testClient.Resize(c, req.ID, "", 100, 40); err != nil {
		t.Fatal(err)
	}
	s, err := testClient.Attach(c, req.ID, AttachOptions{Stdin: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := testClient.Start(c, req.ID); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("stty size; tty; exit 3\n"))
	out, _ := io.ReadAll(s)
	if !strings.Contains(string(out), "40 100") || !strings.Contains(string(out), "/dev/pts/0") {
		t.Errorf("tty output %q", out)
	}
	if st, _ := testClient.Wait(c, req.ID); st.ExitCode != 3 {
		t.Errorf("exit %d", st.ExitCode)
	}
}

func TestNegativeOOMScoreAdjIgnored(t *testing.T) {
	req := newRequest(t, "oomadj", "cat", "/proc/self/oom_score_adj")
	adj := -500
	req.Spec.Process.OOMScoreAdj = &adj
	if st := runCtr(t, req); st.ExitCode != 0 {
		t.Fatalf("exit %d", st.ExitCode)
	}
	b, _ := os.ReadFile(req.Log.Path)
	if strings.Contains(string(b), "-500") {
		t.Errorf("oom_score_adj lowered: %s", b)
	}
}

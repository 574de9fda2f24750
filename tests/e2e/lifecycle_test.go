package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// TestDetachedHttpd is the tour: run -d, ps, logs -f, exec, stop, rm,
// once through each client.
func TestDetachedHttpd(t *testing.T) {
	d, w := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			name := "web-" + strings.ReplaceAll(c.name, ".", "")
			id := mustID(t, c.must(t, "run", "-d", "--name", name, "busybox", "sh", "-c",
				"mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -vv -p 8080 -h /www"))

			ps := c.must(t, "ps")
			if !strings.Contains(ps, name) || !strings.Contains(ps, id[:12]) || !strings.Contains(ps, "Up ") {
				t.Errorf("ps does not show %s running:\n%s", name, ps)
			}

			var logs syncBuffer
			follow := c.cmd(t, "logs", "-f", name)
			follow.Stdout, follow.Stderr = &logs, &logs
			if err := follow.Start(); err != nil {
				t.Fatal(err)
			}
			followed := make(chan error, 1)
			go func() { followed <- follow.Wait() }()
			t.Cleanup(func() { follow.Process.Kill() })

			// httpd may need a moment to listen: retry the request.
			var got string
			eventually(t, 10*time.Second, "httpd to answer inside the container", func() bool {
				out, _, code := c.run(t, "exec", name, "wget", "-q", "-O-", "http://127.0.0.1:8080/")
				got = out
				return code == 0
			})
			if got != "hello-web\n" {
				t.Errorf("exec wget: %q", got)
			}
			eventually(t, 10*time.Second, "logs -f to show the request", func() bool {
				return strings.Contains(logs.String(), "url:/")
			})

			if out := c.must(t, "stop", "-t", "2", name); out != name {
				t.Errorf("stop printed %q", out)
			}
			select {
			case err := <-followed:
				if err != nil {
					t.Errorf("logs -f ended with %v; output:\n%s", err, logs.String())
				}
			case <-time.After(10 * time.Second):
				t.Errorf("logs -f still running after stop")
			}
			if st := c.must(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}}", name); st != "exited false" {
				t.Errorf("after stop: %q", st)
			}
			// Stopping a stopped container is not an error.
			c.must(t, "stop", name)
			if out := c.must(t, "rm", name); out != name {
				t.Errorf("rm printed %q", out)
			}
		})
	}
	if ids := allIDs(t, w); len(ids) != 0 {
		t.Errorf("containers left: %v", ids)
	}
}

// TestInteractiveShell types into `run -it --rm busybox sh` through tmux, as
// a person at a terminal would, for each client.
func TestInteractiveShell(t *testing.T) {
	tmux := testenv.RequireBinary(t, "/usr/bin/tmux")
	d, w := setup(t)
	sock := d.Dir + "/tmux.sock"
	t.Cleanup(func() { testenv.Run(t, plain(tmux, "-S", sock, "kill-server")) })
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			cmd := c.cmd(t, "run", "-it", "--rm", "busybox", "sh")
			rc := d.Dir + "/rc-" + c.name
			var env []string
			for _, kv := range cmd.Env {
				if strings.HasPrefix(kv, "DOCKER_") || strings.HasPrefix(kv, "PATH=") {
					env = append(env, kv)
				}
			}
			line := "env -u DOCKER_HOST -u WHARF_HOST " + shellQuote(env) + " " + shellQuote(cmd.Args) +
				`; echo "rc=$?" > ` + rc
			session := "s-" + strings.ReplaceAll(c.name, ".", "")
			tm := func(args ...string) string {
				out, errOut, code := testenv.Run(t, plain(tmux, append([]string{"-S", sock}, args...)...))
				if code != 0 {
					t.Fatalf("tmux %v: %d %s", args, code, errOut)
				}
				return out
			}
			tm("new-session", "-d", "-s", session, "-x", "120", "-y", "30", line)
			screen := func() string {
				out, _, _ := testenv.Run(t, plain(tmux, "-S", sock, "capture-pane", "-p", "-t", session))
				return out
			}
			eventually(t, 20*time.Second, "the shell prompt", func() bool { return strings.Contains(screen(), "/ #") })
			tm("send-keys", "-t", session, "echo hello-$((6*7))", "Enter")
			eventually(t, 10*time.Second, "hello-42 on the screen", func() bool { return strings.Contains(screen(), "hello-42") })
			tm("send-keys", "-t", session, "exit", "Enter")
			var b []byte
			eventually(t, 20*time.Second, "the client to exit", func() bool {
				b, _ = os.ReadFile(rc)
				return len(b) > 0
			})
			if got := strings.TrimSpace(string(b)); got != "rc=0" {
				t.Errorf("client exited with %s", got)
			}
		})
	}
	eventually(t, 10*time.Second, "--rm to remove the containers", func() bool { return len(allIDs(t, w)) == 0 })
}

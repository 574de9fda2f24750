package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// termLoop runs until SIGTERM, so that stops (ours and a stopping dockerd's)
// are quick.
const termLoop = "trap 'exit 0' TERM; while :; do sleep 0.1; done"

// TestRestartPolicies: on-failure retries up to its limit, always restarts
// a container that exits 0 (ps says Restarting) until a stop, which leaves
// it exited for good.
func TestRestartPolicies(t *testing.T) {
	d, _ := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			id := mustID(t, c.must(t, "run", "-d", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3"))
			eventually(t, 15*time.Second, "on-failure:2 to give up", func() bool {
				return c.must(t, "inspect", "-f", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", id) == "exited 2 3"
			})
			time.Sleep(500 * time.Millisecond)
			if got := c.must(t, "inspect", "-f", "{{.State.Status}} {{.RestartCount}}", id); got != "exited 2" {
				t.Errorf("on-failure:2 after giving up: %q", got)
			}

			id = mustID(t, c.must(t, "run", "-d", "--restart", "always", "busybox", "sh", "-c", "exit 0"))
			eventually(t, 15*time.Second, "always to restart a clean exit", func() bool {
				n, _ := strconv.Atoi(c.must(t, "inspect", "-f", "{{.RestartCount}}", id))
				return n >= 3
			})
			// The backoff is near a second now: ps sees the wait.
			eventually(t, 15*time.Second, "ps to say Restarting", func() bool {
				ps := c.must(t, "ps", "--filter", "id="+id, "--format", "{{.Status}}")
				return strings.HasPrefix(ps, "Restarting (0) ")
			})
			c.must(t, "stop", id)
			before := c.must(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Restarting}} {{.RestartCount}}", id)
			if !strings.HasPrefix(before, "exited false false ") {
				t.Fatalf("always after stop: %q", before)
			}
			time.Sleep(2 * time.Second)
			if got := c.must(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Restarting}} {{.RestartCount}}", id); got != before {
				t.Errorf("always restarted after stop: %q, then %q", before, got)
			}
			if ps := c.must(t, "ps", "-q", "--filter", "id="+id); ps != "" {
				t.Errorf("ps lists the stopped container: %q", ps)
			}
			c.must(t, "rm", id)

			// 20.10 and ours: "Conflicting options: --restart and --rm"; 28: "conflicting options: cannot specify both --restart and --rm".
			c.wantFailure(t, "onflicting options: ", "run", "--rm", "--restart", "always", "busybox", "true")
		})
	}
}

// TestRestartPolicyRefusedByAPI: the API itself refuses --rm with a policy
// and an unknown policy (400), creating nothing.
func TestRestartPolicyRefusedByAPI(t *testing.T) {
	d, w := setup(t)
	for body, want := range map[string]string{
		`{"Image":"busybox","Cmd":["true"],"HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}}`:          "can't create 'AutoRemove' container with restart policy",
		`{"Image":"busybox","Cmd":["true"],"HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}`:                         "invalid restart policy",
		`{"Image":"busybox","Cmd":["true"],"HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-1}}}`: "cannot be negative",
	} {
		resp, err := d.HTTPClient().Post("http://wharf/containers/create", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var msg struct{ Message string }
		if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(data, &msg) != nil || !strings.Contains(msg.Message, want) {
			t.Errorf("create %s: %d %s; want 400 saying %q", body, resp.StatusCode, data, want)
		}
	}
	if ids := allIDs(t, w); len(ids) != 0 {
		t.Errorf("refused creates left %d containers", len(ids))
	}
}

// TestRestartPoliciesAcrossDaemonRestart: a running unless-stopped container
// is running after the daemon restarts; one the user stopped stays down;
// always comes back even after a user stop (Docker's rule).
func TestRestartPoliciesAcrossDaemonRestart(t *testing.T) {
	d, w := setup(t)
	w.must(t, "run", "-d", "--name", "keep", "--restart", "unless-stopped", "busybox", "sh", "-c", termLoop)
	w.must(t, "run", "-d", "--name", "down", "--restart", "unless-stopped", "busybox", "sh", "-c", termLoop)
	w.must(t, "run", "-d", "--name", "back", "--restart", "always", "busybox", "sh", "-c", termLoop)
	w.must(t, "run", "-d", "--name", "plain", "busybox", "sh", "-c", termLoop)
	w.must(t, "stop", "down", "back")

	d.Restart()
	want := map[string]string{"keep": "running", "down": "exited", "back": "running", "plain": "exited"}
	if !onReference() {
		want["plain"] = "running" // ours outlives the daemon; dockerd stops it
	}
	for name, st := range want {
		eventually(t, 15*time.Second, name+" "+st+" after the daemon restart", func() bool {
			return w.must(t, "inspect", "-f", "{{.State.Status}}", name) == st
		})
	}
	w.must(t, "stop", "keep")
	d.Restart()
	eventually(t, 15*time.Second, "keep to stay stopped after a user stop", func() bool {
		return w.must(t, "inspect", "-f", "{{.State.Status}}", "keep") == "exited"
	})
	w.must(t, "rm", "-f", "keep", "down", "back", "plain")
}

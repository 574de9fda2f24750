package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRunRmEcho(t *testing.T) {
	d, w := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := c.run(t, "run", "--rm", "busybox", "echo", "hello from "+c.name)
			if code != 0 || out != "hello from "+c.name+"\n" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
	if ids := allIDs(t, w); len(ids) != 0 {
		t.Fatalf("--rm left containers: %v", ids)
	}
}

func TestExitCodes(t *testing.T) {
	d, _ := setup(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			if _, _, code := c.run(t, "run", "--rm", "busybox", "false"); code != 1 {
				t.Errorf("false: exit %d, want 1", code)
			}
			_, errOut, code := c.run(t, "run", "--rm", "busybox", "no-such-command")
			if code != 127 || !strings.Contains(errOut, "no-such-command") {
				t.Errorf("missing command: exit %d, stderr %q; want 127 naming the command", code, errOut)
			}
			// sh is PID 1 here, and the kernel ignores a SIGKILL that a
			// namespace's init sends itself; under --init sh is PID 2 and dies.
			if _, errOut, code := c.run(t, "run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$"); code != 137 {
				t.Errorf("sh killed by SIGKILL: exit %d, want 137 (stderr %q)", code, errOut)
			}
			_, errOut, code = c.run(t, "run", "--rm", "nope")
			if code != 125 || !strings.Contains(errOut, "Unable to find image 'nope:latest' locally") {
				t.Errorf("unknown image: exit %d, stderr %q; want 125 and Docker's message", code, errOut)
			}
		})
	}
	// A container killed from outside reports 128+9.
	w := clients(d)[0]
	id := mustID(t, w.must(t, "run", "-d", "busybox", "sleep", "1000"))
	w.must(t, "kill", id)
	if got := w.must(t, "wait", id); got != "137" {
		t.Errorf("wait after kill: %q, want 137", got)
	}
	if got := w.must(t, "inspect", "-f", "{{.State.ExitCode}}", id); got != "137" {
		t.Errorf("ExitCode after kill: %q, want 137", got)
	}
	w.must(t, "rm", id)
}

func TestNamesAndPrefixes(t *testing.T) {
	d, w := setup(t)
	id := mustID(t, w.must(t, "create", "--name", "first", "busybox", "sleep", "1000"))
	if got := w.must(t, "inspect", "-f", "{{.Name}}", "first"); got != "/first" {
		t.Errorf("name: %q", got)
	}
	for _, ref := range []string{"first", id, id[:12], id[:5]} {
		if got := w.must(t, "inspect", "-f", "{{.Id}}", ref); got != id {
			t.Errorf("inspect %s: %q, want %s", ref, got, id)
		}
	}
	anon := mustID(t, w.must(t, "run", "-d", "busybox", "sleep", "1000"))
	if got := w.must(t, "inspect", "-f", "{{.Name}}", anon[:12]); !regexp.MustCompile(`^/[a-z]+_[a-z]+[0-9]*$`).MatchString(got) {
		t.Errorf("generated name %q is not adjective_surname", got)
	}
	if ps := w.must(t, "ps", "-a"); !strings.Contains(ps, "first") || !strings.Contains(ps, anon[:12]) {
		t.Errorf("ps -a lacks a container:\n%s", ps)
	}

	// A taken name: 409 from the API, naming the holder; the CLIs say so.
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := c.run(t, "run", "-d", "--name", "first", "busybox", "true")
			if code != 125 || !strings.Contains(errOut, "already in use") || !strings.Contains(errOut, id) {
				t.Errorf("taken name: exit %d, stderr %q", code, errOut)
			}
		})
	}
	resp, err := d.HTTPClient().Post("http://wharf/containers/create?name=first", "application/json",
		strings.NewReader(`{"Image":"busybox","Cmd":["true"]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var msg struct{ Message string }
	if resp.StatusCode != http.StatusConflict || json.Unmarshal(body, &msg) != nil || !strings.Contains(msg.Message, id) {
		t.Errorf("POST /containers/create taken name: %d %s", resp.StatusCode, body)
	}
	if ids := allIDs(t, w); len(ids) != 2 {
		t.Errorf("after the conflicts: %d containers, want 2", len(ids))
	}
	w.must(t, "rm", "-f", "first", anon[:12])
}

func TestInvalidFlagsCreateNothing(t *testing.T) {
	d, w := setup(t)
	w.must(t, "create", "--name", "keep", "busybox", "true")
	before := allIDs(t, w)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range [][]string{
				{"run", "-m", "1x", "busybox", "true"},
				{"run", "--cpus", "-1", "busybox", "true"},
				{"run", "-d", "--stop-signal", "SIGNOPE", "busybox", "true"},
			} {
				_, errOut, code := c.run(t, args...)
				if code != 125 || strings.TrimSpace(errOut) == "" {
					t.Errorf("%v: exit %d, stderr %q; want 125 and a message", args, code, errOut)
				}
			}
		})
	}
	if after := allIDs(t, w); !slices.Equal(before, after) {
		t.Errorf("invalid flags created containers: before %v, after %v", before, after)
	}
	w.must(t, "rm", "keep")
}

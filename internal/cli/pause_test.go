package cli

import (
	"strings"
	"testing"
)

func TestPauseUnpausePsOutput(t *testing.T) {
	d, host := startFakeDaemon(t, map[string]string{
		"POST /containers/a/pause":   ``,
		"POST /containers/b/pause":   ``,
		"POST /containers/a/unpause": ``,
		"GET /containers/json": `[{"Id":"0123456789abcdef0123456789abcdef","Names":["/web"],"Image":"busybox","Command":"top",` +
			`"Created":1,"State":"paused","Status":"Up 3 seconds (Paused)","Ports":[],"Labels":{}}]`,
	})
	code, out, errOut := runCLI(t, "", "-H", host, "pause", "a", "b")
	if code != 0 || out != "a\nb\n" {
		t.Errorf("pause: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "-H", host, "unpause", "a")
	if code != 0 || out != "a\n" {
		t.Errorf("unpause: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "-H", host, "unpause", "nosuch")
	if code != 1 || out != "" {
		t.Errorf("unpause of an unknown container: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "-H", host, "ps", "--filter", "status=paused", "--format", "{{.Names}}|{{.State}}|{{.Status}}")
	if code != 0 || out != "web|paused|Up 3 seconds (Paused)\n" {
		t.Errorf("ps: %d %q", code, out)
	}
	if got := d.reqs[len(d.reqs)-1]; !strings.Contains(got, "filters=") || !strings.Contains(got, "paused") {
		t.Errorf("ps request %q lacks the status filter", got)
	}
	code, out, _ = runCLI(t, "", "-H", host, "ps")
	if code != 0 || !strings.Contains(out, "   Up 3 seconds (Paused)   ") {
		t.Errorf("ps table: %d %q", code, out)
	}
	code, _, errOut = runCLI(t, "", "-H", host, "pause")
	if code == 0 || !strings.Contains(errOut, `"wharf pause" requires at least 1 argument.`) {
		t.Errorf("pause without args: %d %q", code, errOut)
	}
}

// TestHistoryHuman: -H after `history` is --human, as in docker; global
// options go before the command.
func TestHistoryHuman(t *testing.T) {
	_, host := startFakeDaemon(t, map[string]string{
		"GET /images/x/history": `[{"Id":"sha256:0123456789abcdef0123","Created":0,"CreatedBy":"import","Size":1500000,"Comment":""}]`,
	})
	for _, args := range [][]string{{"history", "-H=false"}, {"image", "history", "-H=false"}, {"history", "--human=false"}} {
		args = append(append([]string{"-H", host}, args...), "--format", "{{.Size}}", "x")
		if code, out, errOut := runCLI(t, "", args...); code != 0 || out != "1500000\n" {
			t.Errorf("%v: %d %q %q", args, code, out, errOut)
		}
	}
	if code, out, _ := runCLI(t, "", "-H", host, "history", "-H", "--format", "{{.Size}}", "x"); code != 0 || out != "1.5MB\n" {
		t.Errorf("history -H: %d %q", code, out)
	}
	// Like docker: the host flag after a command is unknown to it.
	if code, _, errOut := runCLI(t, "", "ps", "-H", host); code != 125 || !strings.Contains(errOut, "unknown shorthand flag: 'H' in -H") {
		t.Errorf("ps -H: %d %q", code, errOut)
	}
}

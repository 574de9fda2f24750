package cli

import (
	"strings"
	"testing"
)

func TestNetworkCommands(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef"
	d, host := startFakeDaemon(t, map[string]string{
		"GET /networks": `[{"Id":"` + id + `","Name":"front","Driver":"bridge","Scope":"local"},` +
			`{"Id":"fedcba9876543210","Name":"host","Driver":"host","Scope":"local"}]`,
		"GET /networks/front":             `{"Id":"` + id + `","Name":"front","Driver":"bridge","Scope":"local"}`,
		"POST /networks/create":           `{"Id":"` + id + `","Warning":""}`,
		"DELETE /networks/front":          ``,
		"POST /networks/prune":            `{"NetworksDeleted":["a","b"]}`,
		"POST /networks/front/connect":    ``,
		"POST /networks/front/disconnect": ``,
	})
	code, out, errOut := runCLI(t, "", "-H", host, "network", "ls")
	want := "NETWORK ID     NAME      DRIVER    SCOPE\n0123456789ab   front     bridge    local\nfedcba987654   host      host      local\n"
	if code != 0 || out != want {
		t.Errorf("ls: %d %q %q", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "", "-H", host, "network", "ls", "-q", "--no-trunc"); code != 0 || out != id+"\nfedcba9876543210\n" {
		t.Errorf("ls -q: %d %q", code, out)
	}
	if code, out, _ = runCLI(t, "", "-H", host, "network", "ls", "--filter", "driver=host", "--format", "{{.Name}}:{{.Driver}}"); code != 0 || out != "front:bridge\nhost:host\n" {
		t.Errorf("ls --format: %d %q", code, out)
	}
	if got := d.reqs[len(d.reqs)-1]; !strings.Contains(got, "filters=") || !strings.Contains(got, "host") {
		t.Errorf("ls request %q lacks the filter", got)
	}
	if code, out, _ = runCLI(t, "", "-H", host, "network", "inspect", "--format", "{{.Name}} {{.Driver}}", "front"); code != 0 || out != "front bridge\n" {
		t.Errorf("inspect: %d %q", code, out)
	}
	if code, out, _ = runCLI(t, "", "-H", host, "network", "inspect", "front", "nosuch"); code != 1 || !strings.HasPrefix(out, "[\n    {") {
		t.Errorf("inspect with a missing network: %d %q", code, out)
	}
	code, out, errOut = runCLI(t, "", "-H", host, "network", "create", "--subnet", "10.9.0.0/16", "--gateway", "10.9.0.1",
		"--internal", "-o", "com.docker.network.bridge.name=br9", "--label", "a=b", "n1")
	if code != 0 || out != id+"\n" {
		t.Errorf("create: %d %q %q", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "", "-H", host, "network", "rm", "front", "nosuch"); code != 1 || out != "front\n" {
		t.Errorf("rm: %d %q", code, out)
	}
	if code, out, _ = runCLI(t, "", "-H", host, "network", "rm", "-f", "front", "nosuch"); code != 0 || out != "front\n" {
		t.Errorf("rm -f: %d %q", code, out)
	}
	if code, out, _ = runCLI(t, "", "-H", host, "network", "prune", "-f"); code != 0 || out != "Deleted Networks:\na\nb\n\n" {
		t.Errorf("prune: %d %q", code, out)
	}
	if code, _, errOut = runCLI(t, "", "-H", host, "network", "connect", "--ip", "10.9.0.5", "--alias", "w", "front", "web"); code != 0 {
		t.Errorf("connect: %d %q", code, errOut)
	}
	if code, _, errOut = runCLI(t, "", "-H", host, "network", "disconnect", "-f", "front", "web"); code != 0 {
		t.Errorf("disconnect: %d %q", code, errOut)
	}
}

package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// runCLI runs one command line and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &CLI{In: strings.NewReader(stdin), Out: &out, Err: &errb}
	code := c.Run(args)
	return code, out.String(), errb.String()
}

const noDaemon = "unix:///nonexistent/wharf-cli-test.sock"

// Bad values must fail with 125 before any daemon is contacted: with no daemon
// at all, contacting one would end in exit 1 "Cannot connect".
func TestRunRejectsBadValuesBeforeContactingDaemon(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-m", "1x"}, `invalid argument "1x" for "-m, --memory" flag`},
		{[]string{"--memory=12qb"}, `for "-m, --memory" flag`},
		{[]string{"--cpus", "-1"}, `invalid argument "-1" for "--cpus" flag`},
		{[]string{"--cpus", "abc"}, `for "--cpus" flag`},
		{[]string{"--stop-signal", "FOO"}, "Invalid signal: FOO"},
		{[]string{"--stop-signal", "99"}, "Invalid signal: 99"},
		{[]string{"-a", "stdfoo"}, "valid streams are STDIN, STDOUT and STDERR"},
		{[]string{"-d", "-a", "stdout"}, "Conflicting options: -a and -d"},
		{[]string{"--restart", "sometimes"}, "invalid restart policy"},
		{[]string{"--rm", "--restart", "always"}, "Conflicting options: --restart and --rm"},
		{[]string{"--pids-limit", "many"}, `for "--pids-limit" flag`},
	}
	for _, tc := range cases {
		for _, verb := range []string{"run", "create"} {
			args := append([]string{"-H", noDaemon, verb}, tc.args...)
			if verb == "create" && tc.args[0] == "-d" {
				continue
			}
			code, _, stderr := runCLI(t, "", append(args, "busybox")...)
			if code != 125 || !strings.Contains(stderr, tc.want) {
				t.Errorf("%v: exit %d, stderr %q; want 125 and %q", args, code, stderr, tc.want)
			}
		}
	}
}

func TestMissingArgumentsAreUsageErrors(t *testing.T) {
	code, _, stderr := runCLI(t, "", "-H", noDaemon, "stop")
	if code != 125 || !strings.Contains(stderr, `"wharf stop" requires at least 1 argument.`) || !strings.Contains(stderr, "Usage:  wharf stop") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestConnectErrorNamesHost(t *testing.T) {
	code, _, stderr := runCLI(t, "", "-H", noDaemon, "ps")
	want := "Cannot connect to the Wharf daemon at " + noDaemon + ". Is the wharf daemon running?\n"
	if code != 1 || stderr != want {
		t.Fatalf("exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
	// run reports the same way, not as a daemon error.
	code, _, stderr = runCLI(t, "", "-H", noDaemon, "run", "busybox")
	if code != 1 || stderr != want {
		t.Fatalf("run: exit %d, stderr %q", code, stderr)
	}
}

func TestHostSelection(t *testing.T) {
	t.Setenv("WHARF_HOST", "")
	c := &CLI{}
	if got := c.host(); got != "unix:///run/wharf/wharf.sock" {
		t.Fatalf("default host %q", got)
	}
	t.Setenv("DOCKER_HOST", "unix:///docker.sock")
	if got := c.host(); got != DefaultHost {
		t.Fatalf("DOCKER_HOST must be ignored, got %q", got)
	}
	t.Setenv("WHARF_HOST", "unix:///env.sock")
	if got := c.host(); got != "unix:///env.sock" {
		t.Fatalf("WHARF_HOST: %q", got)
	}
	c.Host = "unix:///flag.sock"
	if got := c.host(); got != "unix:///flag.sock" {
		t.Fatalf("-H: %q", got)
	}
}

func TestStartExitCode(t *testing.T) {
	cases := map[string]int{
		`exec: "nosuch": executable file not found in $PATH`:         127,
		`exec: "/no/such": stat /no/such: no such file or directory`: 127,
		`exec: "/etc/passwd": permission denied`:                     126,
		`cgroup setup failed`:                                        125,
	}
	for msg, want := range cases {
		if got := startExitCode(errString(msg)); got != want {
			t.Errorf("%q: %d, want %d", msg, got, want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// parseRun parses run flags and builds the create request, as the run command does.
func parseRun(t *testing.T, args ...string) (*container.Config, *container.HostConfig, error) {
	t.Helper()
	var o containerOptions
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	f.SetInterspersed(false)
	addContainerFlags(f, &o)
	if err := f.Parse(args); err != nil {
		return nil, nil, err
	}
	rest := f.Args()
	return o.containerConfig(rest[0], rest[1:], false)
}

func TestContainerConfigFromFlags(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	os.WriteFile(envFile, []byte("# comment\n\nFROMFILE=1\nHOSTVAR\n"), 0o644)
	labelFile := filepath.Join(dir, "labels")
	os.WriteFile(labelFile, []byte("team=core\n"), 0o644)
	t.Setenv("HOSTVAR", "h")

	cfg, hc, err := parseRun(t, "-it", "--rm", "--name", "x", "-e", "A=1", "--env-file", envFile,
		"-l", "k=v", "--label-file", labelFile, "-w", "/w", "-u", "nobody", "-h", "host1",
		"--entrypoint", "", "--init", "--stop-signal", "SIGUSR1", "--stop-timeout", "3",
		"-m", "512m", "--cpus", "1.5", "--pids-limit", "10", "--network", "none",
		"-p", "127.0.0.1:8080:80", "-p", "53/udp", "-v", "/src:/dst:ro", "-v", "/anon",
		"--tmpfs", "/run:size=1m", "--cap-add", "NET_ADMIN", "--read-only",
		"busybox", "sh", "-c", "echo -n hi")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Image != "busybox" || strings.Join(cfg.Cmd, "|") != "sh|-c|echo -n hi" {
		t.Errorf("image/cmd: %q %q", cfg.Image, cfg.Cmd)
	}
	if got := strings.Join(cfg.Env, ","); got != "FROMFILE=1,HOSTVAR=h,A=1" {
		t.Errorf("env %q", got)
	}
	if cfg.Labels["k"] != "v" || cfg.Labels["team"] != "core" {
		t.Errorf("labels %v", cfg.Labels)
	}
	if len(cfg.Entrypoint) != 1 || cfg.Entrypoint[0] != "" {
		t.Errorf("--entrypoint \"\" must reset the entrypoint: %q", cfg.Entrypoint)
	}
	if !cfg.Tty || !cfg.OpenStdin || !cfg.AttachStdin || !cfg.AttachStdout || !cfg.AttachStderr || !cfg.StdinOnce {
		t.Errorf("attach: %+v", cfg)
	}
	if cfg.WorkingDir != "/w" || cfg.User != "nobody" || cfg.Hostname != "host1" || cfg.StopSignal != "SIGUSR1" || *cfg.StopTimeout != 3 {
		t.Errorf("config %+v", cfg)
	}
	if hc.Memory != 512<<20 || hc.NanoCPUs != 1_500_000_000 || *hc.PidsLimit != 10 || !*hc.Init || !hc.AutoRemove {
		t.Errorf("resources: mem %d cpus %d", hc.Memory, hc.NanoCPUs)
	}
	if hc.NetworkMode != "none" || !hc.ReadonlyRootfs || hc.CapAdd[0] != "NET_ADMIN" || hc.Tmpfs["/run"] != "size=1m" {
		t.Errorf("host config %+v", hc)
	}
	if len(hc.Binds) != 1 || hc.Binds[0] != "/src:/dst:ro" {
		t.Errorf("binds %q", hc.Binds)
	}
	if _, ok := cfg.Volumes["/anon"]; !ok {
		t.Errorf("volumes %v", cfg.Volumes)
	}
	p80, _ := network.ParsePort("80/tcp")
	b := hc.PortBindings[p80]
	if len(b) != 1 || b[0].HostPort != "8080" || b[0].HostIP.String() != "127.0.0.1" {
		t.Errorf("port bindings %v", hc.PortBindings)
	}
	p53, _ := network.ParsePort("53/udp")
	if _, ok := cfg.ExposedPorts[p53]; !ok {
		t.Errorf("exposed %v", cfg.ExposedPorts)
	}
}

func TestLogAndSecurityOptions(t *testing.T) {
	_, hc, err := parseRun(t, "--log-driver", "json-file", "--log-opt", "max-size=1k", "--log-opt", "max-file=2",
		"--security-opt", "seccomp=unconfined", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if hc.LogConfig.Type != "json-file" || hc.LogConfig.Config["max-size"] != "1k" || hc.LogConfig.Config["max-file"] != "2" {
		t.Errorf("log config %+v", hc.LogConfig)
	}
	if len(hc.SecurityOpt) != 1 || hc.SecurityOpt[0] != "seccomp=unconfined" {
		t.Errorf("security opts %q", hc.SecurityOpt)
	}
	if _, _, err := parseRun(t, "--log-opt", "novalue", "busybox"); err == nil {
		t.Error("--log-opt without = must fail")
	}
}

func TestAttachDefaults(t *testing.T) {
	cfg, _, err := parseRun(t, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AttachStdin || !cfg.AttachStdout || !cfg.AttachStderr || cfg.OpenStdin || cfg.StdinOnce || cfg.Cmd != nil {
		t.Errorf("foreground run without -i: %+v", cfg)
	}
	cfg, _, _ = parseRun(t, "-a", "STDERR", "busybox")
	if cfg.AttachStdout || !cfg.AttachStderr {
		t.Errorf("-a stderr: %+v", cfg)
	}
	var o containerOptions
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	addContainerFlags(f, &o)
	f.Parse([]string{"-i"})
	cfg, _, _ = o.containerConfig("busybox", nil, true)
	if cfg.AttachStdin || cfg.AttachStdout || cfg.StdinOnce || !cfg.OpenStdin {
		t.Errorf("-d -i attaches nothing but keeps stdin open: %+v", cfg)
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]int{"KILL": 9, "SIGTERM": 15, "usr1": 10, "2": 2} {
		if got, err := parseSignal(in); err != nil || got != want {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	for _, bad := range []string{"FOO", "0", "65", "-1", ""} {
		if _, err := parseSignal(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, stderr := runCLI(t, "", "frobnicate")
	if code != 1 || !strings.Contains(stderr, "wharf: 'frobnicate' is not a wharf command.") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestInteractiveTTYNeedsTerminal(t *testing.T) {
	for _, args := range [][]string{{"run", "-it", "busybox"}, {"exec", "-it", "c", "sh"}} {
		code, _, stderr := runCLI(t, "", append([]string{"-H", noDaemon}, args...)...)
		if code != 1 || !strings.Contains(stderr, "the input device is not a TTY") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// A daemon that goes away mid-request is not reported as "not running":
// the client's own words are kept, as the docker CLI does.
func TestConnectionLostMidRequest(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close() // accept, then hang up without answering
		}
	}()
	code, _, stderr := runCLI(t, "", "-H", "unix://"+sock, "ps")
	if code != 1 || strings.Contains(stderr, "Cannot connect") || stderr == "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

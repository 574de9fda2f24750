package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseWithFile(t *testing.T, content string, args ...string) (Options, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "daemon.json")
	if content != "" {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return parseFlags(append([]string{"--config-file", path}, args...))
}

func TestFlagsAndConfigFile(t *testing.T) {
	o, err := parseWithFile(t, "", "--data-root", "/d", "-H", "unix:///x.sock", "--debug")
	if err != nil {
		t.Fatal(err)
	}
	if o.DataRoot != "/d" || o.ExecRoot != "/run/wharf" || o.Hosts[0] != "unix:///x.sock" || !o.Debug || o.CgroupParent != "/wharf" {
		t.Errorf("missing file: %+v", o)
	}

	o, err = parseWithFile(t, `{"data-root":"/f","exec-root":"/e","hosts":["unix:///h.sock"],"cgroup-parent":"/cg",
		"log-opts":{"max-size":"1m","max-file":"5"},"debug":true}`)
	if err != nil {
		t.Fatal(err)
	}
	if o.DataRoot != "/f" || o.ExecRoot != "/e" || o.Hosts[0] != "unix:///h.sock" || o.CgroupParent != "/cg" ||
		o.LogMaxSize != 1<<20 || o.LogMaxFiles != 5 || !o.Debug {
		t.Errorf("from file: %+v", o)
	}

	for _, tc := range []struct {
		file string
		args []string
		want string
	}{
		{`{"data-root":"/f","bogus":1,"another":2}`, nil, "the following directives don't match any configuration option: another, bogus"},
		{`{"data-root":"/f"}`, []string{"--data-root", "/d"}, "specified both as a flag and in the configuration file: data-root: (from flag: /d, from file: /f)"},
		{`{"log-opts":{"max-size":"lots"}}`, nil, "invalid log-opts max-size"},
		{`{"log-opts":{"max-file":"0"}}`, nil, "invalid log-opts max-file"},
		{`{"log-opts":{"frequency":"1"}}`, nil, "unknown log opt 'frequency'"},
		{`{"data-root":`, nil, "not valid JSON"},
		{`{"debug":"yes"}`, nil, "cannot unmarshal"},
	} {
		_, err := parseWithFile(t, tc.file, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err %v, want %q", tc.file, tc.args, err, tc.want)
		}
	}
}

func TestSocketPath(t *testing.T) {
	if p, err := socketPath("unix:///tmp/a.sock"); err != nil || p != "/tmp/a.sock" {
		t.Errorf("unix: %q %v", p, err)
	}
	if _, err := socketPath("tcp://0.0.0.0:2375"); err == nil || !strings.Contains(err.Error(), "TCP listener requires TLS, not supported yet") {
		t.Errorf("tcp: %v", err)
	}
	for _, h := range []string{"/tmp/a.sock", "fd://", "npipe:////./pipe/x"} {
		if _, err := socketPath(h); err == nil {
			t.Errorf("%s: no error", h)
		}
	}
}

func TestLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.lock")
	f, err := lockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, so a second open conflicts even
	// within one process, as a second daemon would.
	if _, err := lockFile(path); err == nil || !strings.Contains(err.Error(), "another wharf daemon (pid ") {
		t.Fatalf("second lock: %v", err)
	}
	f.Close()
	f2, err := lockFile(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	f2.Close()
}

func TestListenUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.sock")
	l, err := listenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o660 || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode %v", st.Mode())
	}
	if _, err := listenUnix(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("live socket: %v", err)
	}
	l.Close()
	// A stale socket file (its daemon died) is replaced.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err = listenUnix(path)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	l.Close()
}

func TestBridgeOptions(t *testing.T) {
	o, err := parseWithFile(t, "", "--bridge-name", "wt0", "--bip", "10.99.0.0/24")
	if err != nil || o.BridgeName != "wt0" || o.BIP != "10.99.0.0/24" {
		t.Fatalf("flags: %+v, %v", o, err)
	}
	o, err = parseWithFile(t, `{"bridge":"wt1","bip":"10.98.0.0/24"}`)
	if err != nil || o.BridgeName != "wt1" || o.BIP != "10.98.0.0/24" {
		t.Fatalf("daemon.json: %+v, %v", o, err)
	}
	if _, err := parseWithFile(t, `{"bridge":"wt1"}`, "--bridge-name", "wt2"); err == nil || !strings.Contains(err.Error(), "bridge") {
		t.Errorf("bridge in flag and file: %v", err)
	}
}

func TestMTUOption(t *testing.T) {
	if o, err := parseWithFile(t, "", "--mtu", "1400"); err != nil || o.MTU != 1400 {
		t.Fatalf("--mtu: %d, %v", o.MTU, err)
	}
	if o, err := parseWithFile(t, `{"mtu":1450}`); err != nil || o.MTU != 1450 {
		t.Fatalf("mtu from file: %d, %v", o.MTU, err)
	}
	if o, err := parseWithFile(t, ""); err != nil || o.MTU != 0 {
		t.Fatalf("default mtu: %d, %v", o.MTU, err)
	}
	for _, bad := range []string{"12", "70000"} {
		if _, err := parseWithFile(t, "", "--mtu", bad); err == nil || !strings.Contains(err.Error(), "invalid --mtu") {
			t.Errorf("--mtu %s: %v", bad, err)
		}
	}
}

func TestDNSOption(t *testing.T) {
	o, err := parseWithFile(t, `{"dns":["10.0.0.2"]}`)
	if err != nil || strings.Join(o.DNS, ",") != "10.0.0.2" {
		t.Fatalf("dns from file: %v, %v", o.DNS, err)
	}
	o, err = parseWithFile(t, "", "--dns", "10.0.0.3", "--dns", "10.0.0.4")
	if err != nil || strings.Join(o.DNS, ",") != "10.0.0.3,10.0.0.4" {
		t.Fatalf("dns flags: %v, %v", o.DNS, err)
	}
	if _, err := parseWithFile(t, `{"dns":["10.0.0.2"]}`, "--dns", "10.0.0.3"); err == nil {
		t.Fatal("dns in both the file and a flag accepted")
	}
	addrs, ups, err := daemonDNS([]string{"10.0.0.3", "fd00::1"})
	if err != nil || len(addrs) != 2 || strings.Join(ups, ",") != "10.0.0.3:53,[fd00::1]:53" {
		t.Fatalf("daemonDNS: %v %v %v", addrs, ups, err)
	}
	if _, _, err := daemonDNS([]string{"dns.example"}); err == nil || !strings.Contains(err.Error(), "dns.example") {
		t.Fatalf("daemonDNS of a name: %v", err)
	}
}

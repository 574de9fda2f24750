package archive

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// dockerd is Debian's Docker 20.10 on a private socket and roots.
type dockerd struct {
	t    *testing.T
	dir  string
	host string
}

func startDockerd(t *testing.T) *dockerd {
	t.Helper()
	bin := testenv.RequireBinary(t, "/usr/sbin/dockerd")
	testenv.RequireBinary(t, "/usr/bin/docker")
	dir := testenv.ShortTempDir(t)
	d := &dockerd{t: t, dir: dir, host: "unix://" + filepath.Join(dir, "d.sock")}
	cfg := filepath.Join(dir, "daemon.json")
	os.WriteFile(cfg, []byte("{}"), 0o644)
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", d.host, "--data-root", filepath.Join(dir, "root"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "d.pid"), "--config-file", cfg, "--bridge", "none", "--iptables=false", "--ip6tables=false")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		log.Close()
		for _, m := range testenv.MountsUnder(dir) {
			syscall.Unmount(m, syscall.MNT_DETACH)
		}
		os.RemoveAll(dir)
	})
	for i := 0; ; i++ {
		if _, err := d.docker("version"); err == nil {
			return d
		}
		if i == 100 {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("dockerd did not start:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *dockerd) docker(args ...string) (string, error) {
	cmd := exec.Command("/usr/bin/docker", append([]string{"-H", d.host}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(d.dir, "cli"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (d *dockerd) must(args ...string) string {
	d.t.Helper()
	out, err := d.docker(args...)
	if err != nil {
		d.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// TestDockerdInterop: Docker 20.10 loads our archive with the same IDs and
// tags, and its own `docker save` (the legacy layout) loads into our store.
func TestDockerdInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dockerd")
	}
	s := newStore(t)
	bb, base := twoImages(t, s)
	p := saveFile(t, s, "busybox:latest", "bb:2", "base:1")
	d := startDockerd(t)

	out := d.must("load", "-i", p)
	for _, want := range []string{"Loaded image: busybox:latest", "Loaded image: bb:2", "Loaded image: base:1"} {
		if !strings.Contains(out, want) {
			t.Fatalf("docker load said %q, want %q", out, want)
		}
	}
	if id := d.must("image", "inspect", "-f", "{{.Id}}", "bb:2"); id != bb.ID.String() {
		t.Fatalf("dockerd sees bb:2 as %s, want %s", id, bb.ID)
	}
	if id := d.must("image", "inspect", "-f", "{{.Id}}", "base:1"); id != base.ID.String() {
		t.Fatalf("dockerd sees base:1 as %s, want %s", id, base.ID)
	}

	// An image Docker made itself: its config has container, container_config,
	// docker_version, a healthcheck and ports, all hashed into its v1 IDs.
	d.must("create", "--name", "c1", "-e", "X=1", "--health-cmd", "true", "-u", "nobody", "bb:2", "sh", "-c", "echo <&>")
	d.must("commit", "-c", "EXPOSE 80", "-c", "LABEL a=b", "-m", "made", "c1", "made:1")
	theirs := filepath.Join(t.TempDir(), "theirs.tar")
	d.must("save", "-o", theirs, "busybox:latest", "base:1", "made:1")
	s2 := newStore(t)
	lines, err := loadFile(t, s2, theirs)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("report %q", lines)
	}
	sameLegacyLayout(t, saveFile(t, s2, "busybox:latest", "base:1", "made:1"), theirs)
	if got := checkBusybox(t, s2, "busybox:latest"); got.ID != bb.ID {
		t.Fatalf("ID %s from docker save, want %s", got.ID, bb.ID)
	}
	if got := mustGet(t, s2, "base:1"); got.ID != base.ID {
		t.Fatalf("ID %s from docker save, want %s", got.ID, base.ID)
	}
}

// sameLegacyLayout: Docker 20.10's save of the same images has the same
// per-layer directories (v1 IDs), the same json in them, and the same
// repositories file as ours.
func sameLegacyLayout(t *testing.T, ours, theirs string) {
	t.Helper()
	o, th := entries(t, ours), entries(t, theirs)
	var items []manifestItem
	if err := json.Unmarshal(th["manifest.json"], &items); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range items {
		for _, l := range it.Layers {
			dir := path.Dir(l)
			for _, f := range []string{"/VERSION", "/json"} {
				if !bytes.Equal(o[dir+f], th[dir+f]) {
					t.Errorf("%s: ours %q, Docker 20.10's %q", dir+f, o[dir+f], th[dir+f])
				}
			}
			if _, ok := o[dir+"/layer.tar"]; !ok {
				t.Errorf("%s/layer.tar missing from ours", dir)
			}
			n++
		}
		if _, ok := o[it.Config]; !ok {
			t.Errorf("config %s missing from ours", it.Config)
		}
	}
	if n == 0 {
		t.Fatalf("Docker 20.10's manifest.json names no layers: %s", th["manifest.json"])
	}
	var or, tr map[string]map[string]string
	json.Unmarshal(o["repositories"], &or)
	json.Unmarshal(th["repositories"], &tr)
	if !reflect.DeepEqual(or, tr) {
		t.Errorf("repositories: ours %s, Docker 20.10's %s", o["repositories"], th["repositories"])
	}
}

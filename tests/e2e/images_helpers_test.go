package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// userClients are clients whose client-side state (config.json) lives in the
// daemon's test dir: ours via UserCommand, the docker CLIs via DockerCommand
// (both DOCKER_CONFIG=<dir>/docker-config), so login never touches ~root.
func userClients(d *testenv.Daemon) []tool {
	cs := clients(d)
	cs[0].cmd = func(t testing.TB, args ...string) *osexec.Cmd { return d.UserCommand(args...) }
	return cs
}

// onReference says whether the suite runs against Debian's dockerd 20.10.
func onReference() bool { return os.Getenv(testenv.ReferenceEnv) == "dockerd" }

// repoName makes a per-client repository name ("docker-20.10" -> "docker-2010").
func repoName(c tool, base string) string {
	return strings.ReplaceAll(c.name, ".", "") + "/" + base
}

// withStdin sets a command's standard input from a string.
func withStdin(cmd *osexec.Cmd, in string) *osexec.Cmd {
	cmd.Stdin = strings.NewReader(in)
	return cmd
}

// runWith runs a client command after adjusting it.
func (c tool) runWith(t testing.TB, adjust func(*osexec.Cmd), args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := c.cmd(t, args...)
	adjust(cmd)
	return testenv.Run(t, cmd)
}

// hasImage says whether ref resolves to an image in the daemon.
func hasImage(t testing.TB, c tool, ref string) bool {
	t.Helper()
	_, _, code := c.run(t, "image", "inspect", "-f", "{{.Id}}", ref)
	return code == 0
}

// configAuths reads the auths of the client config in dir.
func configAuths(t testing.TB, dir string) map[string]map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("config.json: %v\n%s", err, b)
	}
	return cfg.Auths
}

// skopeoOut runs skopeo and returns its stdout; failure fails the test.
func skopeoOut(t testing.TB, args ...string) string {
	t.Helper()
	testenv.RequireBinary(t, testenv.SkopeoBinary)
	out, errOut, code := testenv.Run(t, plain(testenv.SkopeoBinary, args...))
	if code != 0 {
		t.Fatalf("skopeo %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// configDigest is the image ID Docker gives the image in a skopeo-readable
// location: the sha256 of its raw config.
func configDigest(t testing.TB, location string, flags ...string) string {
	t.Helper()
	raw := skopeoOut(t, append(append([]string{"inspect", "--raw", "--config"}, flags...), location)...)
	return "sha256:" + sha256Hex([]byte(raw))
}

// tarNames lists the entry names of a tar file.
func tarNames(t testing.TB, path string) []string {
	t.Helper()
	out, errOut, code := testenv.Run(t, plain("tar", "-tf", path))
	if code != 0 {
		t.Fatalf("tar -tf %s: %s", path, errOut)
	}
	return strings.Fields(out)
}

// registryWithBusybox starts a plain registry holding busybox under each
// repo name given (as :latest), pushed with skopeo from our own archive.
func registryWithBusybox(t *testing.T, repos ...string) *testenv.Registry {
	t.Helper()
	r := testenv.StartRegistry(t)
	archive := testenv.BusyboxArchive(t, "busybox:latest")
	for _, repo := range repos {
		r.PushArchive(t, archive, repo+":latest")
	}
	return r
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

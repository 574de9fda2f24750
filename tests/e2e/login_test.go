package e2e

import (
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// TestLoginLogout: an htpasswd registry refuses anonymous pulls and a wrong
// password; login stores the credentials in config.json (in the test's
// DOCKER_CONFIG), pull and push then work, logout removes them.
func TestLoginLogout(t *testing.T) {
	d := testenv.StartDaemon(t)
	d.ImportBusybox(t)
	r := testenv.StartRegistry(t, testenv.WithHtpasswd("alice", "s3cret"))
	r.PushArchive(t, testenv.BusyboxArchive(t, "busybox:latest"), "private/busybox:latest")
	ref := r.Ref("private/busybox")
	for _, c := range userClients(d) {
		t.Run(c.name, func(t *testing.T) {
			if _, errOut, code := c.run(t, "pull", ref); code == 0 || !strings.Contains(strings.ToLower(errOut), "auth") {
				t.Errorf("anonymous pull: exit %d, stderr %q; want a failure about credentials", code, errOut)
			}
			_, errOut, code := c.run(t, "login", "-u", "alice", "-p", "wrong", r.Addr())
			if code == 0 || !strings.Contains(strings.ToLower(errOut), "unauthorized") {
				t.Errorf("login with a wrong password: exit %d, stderr %q; want unauthorized", code, errOut)
			}
			if auths := configAuths(t, d.UserConfigDir()); auths[r.Addr()] != nil {
				t.Errorf("a failed login stored credentials: %v", auths)
			}

			out, errOut, code := c.runWith(t, func(cmd *exec.Cmd) { withStdin(cmd, "s3cret\n") },
				"login", "-u", "alice", "--password-stdin", r.Addr())
			if code != 0 || !strings.Contains(out, "Login Succeeded") {
				t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			auth := configAuths(t, d.UserConfigDir())[r.Addr()]
			if want := base64.StdEncoding.EncodeToString([]byte("alice:s3cret")); auth == nil || auth["auth"] != want {
				t.Errorf("config.json auths[%s] = %v, want auth %s", r.Addr(), auth, want)
			}

			c.must(t, "pull", ref)
			c.must(t, "run", "--rm", ref, "true")
			mine := r.Ref(repoName(c, "mine") + ":1")
			c.must(t, "tag", "busybox", mine)
			c.must(t, "push", mine)
			if tags := r.Tags(t, repoName(c, "mine")); len(tags) != 1 || tags[0] != "1" {
				t.Errorf("registry tags after an authenticated push: %v", tags)
			}

			if out := c.must(t, "logout", r.Addr()); !strings.Contains(out, "Removing login credentials for "+r.Addr()) {
				t.Errorf("logout printed %q", out)
			}
			if auths := configAuths(t, d.UserConfigDir()); auths[r.Addr()] != nil {
				t.Errorf("logout left credentials: %v", auths)
			}
			c.must(t, "rmi", ref, mine)
			if _, _, code := c.run(t, "pull", ref); code == 0 {
				t.Errorf("pull after logout succeeded")
			}
		})
	}
}

// TestTLSRegistry pulls from and logs in to a registry served over HTTPS
// with a certificate from a test CA installed in /etc/docker/certs.d/<host:port>/.
// (127.0.0.0/8 is insecure by default in Docker, so a missing CA is not an
// error there: this checks that TLS works, not that it is enforced.)
func TestTLSRegistry(t *testing.T) {
	r := testenv.StartRegistry(t, testenv.WithTLS(), testenv.WithHtpasswd("tls", "pw"))
	r.InstallCA(t)
	r.PushArchive(t, testenv.BusyboxArchive(t, "busybox:latest"), "secure/busybox:latest")
	d := testenv.StartDaemon(t)
	ref := r.Ref("secure/busybox")
	for _, c := range userClients(d) {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := c.run(t, "login", "-u", "tls", "-p", "pw", r.Addr())
			if code != 0 || !strings.Contains(out, "Login Succeeded") {
				t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			c.must(t, "pull", ref)
			if got := c.must(t, "run", "--rm", ref, "echo", "over-tls"); got != "over-tls" {
				t.Errorf("run: %q", got)
			}
			c.must(t, "rmi", ref)
			c.must(t, "logout", r.Addr())
		})
	}
}

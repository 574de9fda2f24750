package cli

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/api/types/registry"
)

func TestAuthFileReadWrite(t *testing.T) {
	dir := t.TempDir()
	// Keys we do not know survive, and so do other registries' entries.
	orig := `{"auths":{"https://other:5000/v2/":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("o:pw")) + `"}},"credsStore":"","psFormat":"x"}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := readAuthFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := f.lookup("other:5000"); !ok || a.Username != "o" || a.Password != "pw" || a.ServerAddress != "other:5000" {
		t.Errorf("lookup by host: %+v %v", a, ok)
	}
	f.set("localhost:5000", "u", "p:w", "")
	f.set("docker.io", "hub", "secret", "")
	if err := f.save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "config.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	var got struct {
		Auths    map[string]struct{ Auth string }
		PsFormat string
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.PsFormat != "x" || got.Auths["localhost:5000"].Auth != base64.StdEncoding.EncodeToString([]byte("u:p:w")) ||
		got.Auths["https://index.docker.io/v1/"].Auth != base64.StdEncoding.EncodeToString([]byte("hub:secret")) ||
		got.Auths["https://other:5000/v2/"].Auth == "" {
		t.Errorf("saved %s", b)
	}
	f, _ = readAuthFile(dir)
	if a, ok := f.lookup("localhost:5000"); !ok || a.Username != "u" || a.Password != "p:w" {
		t.Errorf("reread: %+v", a)
	}
	if !f.remove("https://other:5000") || f.remove("nothere:1") {
		t.Error("remove")
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".config.json.*")); len(matches) != 0 {
		t.Errorf("temp files left: %v", matches)
	}
}

func TestAuthHeaderFor(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	f, _ := readAuthFile(dir)
	f.set("localhost:5000", "u", "pw", "")
	f.set("", "hub", "hpw", "")
	if err := f.save(); err != nil {
		t.Fatal(err)
	}
	decode := func(h string) registry.AuthConfig {
		var a registry.AuthConfig
		b, err := base64.URLEncoding.DecodeString(h)
		if err != nil || json.Unmarshal(b, &a) != nil {
			t.Fatalf("bad header %q", h)
		}
		return a
	}
	if a := decode(authHeaderFor("localhost:5000/a/b:1")); a.Username != "u" || a.Password != "pw" || a.ServerAddress != "localhost:5000" {
		t.Errorf("private: %+v", a)
	}
	if a := decode(authHeaderFor("busybox")); a.Username != "hub" || a.ServerAddress != "https://index.docker.io/v1/" {
		t.Errorf("hub: %+v", a)
	}
	if h := authHeaderFor("elsewhere:1/x"); h != "" {
		t.Errorf("unknown registry got %q", h)
	}
}

// fakeDaemon answers a few API routes on a unix socket and records requests.
type fakeDaemon struct {
	mu   sync.Mutex
	reqs []string
	auth []string
}

func startFakeDaemon(t *testing.T, routes map[string]string) (*fakeDaemon, string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDaemon{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.51")
		path := r.URL.Path
		if i := strings.Index(path[1:], "/"); strings.HasPrefix(path, "/v1.") && i > 0 {
			path = path[i+1:]
		}
		d.mu.Lock()
		d.reqs = append(d.reqs, r.Method+" "+path+"?"+r.URL.RawQuery)
		d.auth = append(d.auth, r.Header.Get(registry.AuthHeader))
		d.mu.Unlock()
		body, ok := routes[r.Method+" "+path]
		if !ok {
			if path == "/_ping" {
				w.Write([]byte("OK"))
				return
			}
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return d, "unix://" + sock
}

func TestPullSendsStoredAuthAndRendersProgress(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	d, host := startFakeDaemon(t, map[string]string{
		"POST /images/create": `{"status":"Pulling fs layer","progressDetail":{},"id":"abc123def456"}` + "\n" +
			`{"status":"Pull complete","progressDetail":{},"id":"abc123def456"}` + "\n" +
			`{"status":"Digest: sha256:aa"}` + "\n" + `{"status":"Status: Downloaded newer image for localhost:5000/x:latest"}` + "\n",
		"POST /auth": `{"Status":"Login Succeeded"}`,
	})
	code, out, errOut := runCLI(t, "pw\n", "-H", host, "login", "-u", "me", "--password-stdin", "localhost:5000")
	if code != 0 || out != "Login Succeeded\n" {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "-H", host, "pull", "localhost:5000/x")
	if code != 0 || !strings.HasPrefix(out, "Using default tag: latest\n") || !strings.Contains(out, "abc123def456: Pull complete") ||
		!strings.HasSuffix(out, "Status: Downloaded newer image for localhost:5000/x:latest\n") {
		t.Fatalf("pull: %d %q %q", code, out, errOut)
	}
	last := len(d.reqs) - 1
	if d.reqs[last] != "POST /images/create?fromImage=localhost%3A5000%2Fx&tag=latest" {
		t.Errorf("pull request %q", d.reqs[last])
	}
	b, _ := base64.URLEncoding.DecodeString(d.auth[last])
	if !strings.Contains(string(b), `"username":"me"`) || !strings.Contains(string(b), `"password":"pw"`) {
		t.Errorf("auth header %q", b)
	}
	code, out, _ = runCLI(t, "", "-H", host, "pull", "-q", "localhost:5000/x:1")
	if code != 0 || out != "localhost:5000/x:1\n" {
		t.Errorf("pull -q: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "-H", host, "logout", "localhost:5000")
	if code != 0 || out != "Removing login credentials for localhost:5000\n" {
		t.Errorf("logout: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "-H", host, "logout", "localhost:5000")
	if code != 0 || out != "Not logged in to localhost:5000\n" {
		t.Errorf("logout again: %d %q", code, out)
	}
}

func TestPullErrorInStream(t *testing.T) {
	_, host := startFakeDaemon(t, map[string]string{
		"POST /images/create": `{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}` + "\n",
	})
	code, _, errOut := runCLI(t, "", "-H", host, "pull", "x:1")
	if code != 1 || !strings.Contains(errOut, "manifest unknown") {
		t.Errorf("pull error: %d %q", code, errOut)
	}
}

func TestHistorySearchPruneOutput(t *testing.T) {
	_, host := startFakeDaemon(t, map[string]string{
		"GET /images/x/history": `[{"Id":"sha256:0123456789abcdef0123","Created":0,"CreatedBy":"/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / ","Size":1500000,"Comment":"hi","Tags":["x:latest"]},` +
			`{"Id":"<missing>","Created":0,"CreatedBy":"import","Size":0,"Comment":""}]`,
		"GET /images/search":         `[{"name":"localhost:5000/app","description":"","star_count":0,"is_official":false}]`,
		"POST /images/prune":         `{"ImagesDeleted":[{"Untagged":"a:1"},{"Deleted":"sha256:1"}],"SpaceReclaimed":2000}`,
		"GET /containers/c1/changes": `[{"Kind":0,"Path":"/tmp"},{"Kind":1,"Path":"/tmp/a"},{"Kind":2,"Path":"/etc/x"}]`,
	})
	code, out, _ := runCLI(t, "", "-H", host, "history", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}", "x")
	want := "0123456789ab|/bin/sh -c #(nop) ADD file:0123456789abcdef0…|1.5MB|hi\n<missing>|import|0B|\n"
	if code != 0 || out != want {
		t.Errorf("history: %d %q want %q", code, out, want)
	}
	code, out, _ = runCLI(t, "", "-H", host, "image", "history", "-q", "--no-trunc", "x")
	if code != 0 || out != "sha256:0123456789abcdef0123\n<missing>\n" {
		t.Errorf("history -q: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "-H", host, "history", "--human=false", "--format", "{{.Size}}", "x")
	if code != 0 || out != "1500000\n0\n" {
		t.Errorf("history -H=false: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "-H", host, "search", "localhost:5000/app")
	if code != 0 || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "localhost:5000/app") {
		t.Errorf("search: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "-H", host, "image", "prune", "-f", "-a")
	if code != 0 || out != "Deleted Images:\nuntagged: a:1\ndeleted: sha256:1\n\nTotal reclaimed space: 2kB\n" {
		t.Errorf("prune: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "n\n", "-H", host, "image", "prune")
	if code != 0 || !strings.Contains(out, "Are you sure you want to continue? [y/N]") || !strings.HasSuffix(out, "Total reclaimed space: 0B\n") {
		t.Errorf("prune declined: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "-H", host, "diff", "c1")
	if code != 0 || out != "C /tmp\nA /tmp/a\nD /etc/x\n" {
		t.Errorf("diff: %d %q", code, out)
	}
}

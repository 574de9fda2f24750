package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wharf/wharf/internal/testenv"
)

// lyingProxy is a reverse proxy in front of a registry that can serve
// another manifest than the one asked for, and cut blob bodies short.
type lyingProxy struct {
	addr string

	mu        sync.Mutex
	manifests map[string][]byte // request path -> body served instead
	cutBlobs  bool              // blob GETs of more than cutAfter bytes stop there
	blobGets  map[string]int    // blob path -> GETs seen
}

const cutAfter = 64 << 10

func startLyingProxy(t *testing.T, r *testenv.Registry) *lyingProxy {
	t.Helper()
	target, _ := url.Parse(r.URL())
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &lyingProxy{manifests: map[string][]byte{}, blobGets: map[string]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		p.mu.Lock()
		body, lie := p.manifests[q.URL.Path]
		cut := p.cutBlobs && q.Method == http.MethodGet && strings.Contains(q.URL.Path, "/blobs/sha256:")
		if q.Method == http.MethodGet && strings.Contains(q.URL.Path, "/blobs/sha256:") {
			p.blobGets[q.URL.Path]++
		}
		p.mu.Unlock()
		switch {
		case lie:
			// The registry's headers, another manifest's body.
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			// By digest: claim the digest asked for; by tag: the body's own.
			dgst := q.URL.Path[strings.LastIndex(q.URL.Path, "/")+1:]
			if !strings.HasPrefix(dgst, "sha256:") {
				dgst = "sha256:" + sha256Hex(body)
			}
			w.Header().Set("Docker-Content-Digest", dgst)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			if q.Method == http.MethodGet {
				w.Write(body)
			}
		case cut:
			rp.ModifyResponse = nil
			rec := &cutWriter{ResponseWriter: w, left: cutAfter}
			rp.ServeHTTP(rec, q)
		default:
			rp.ServeHTTP(w, q)
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return p
}

// cutWriter passes the first `left` bytes of a body through, then fails the
// writes, so the server drops the connection short of Content-Length.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.ErrClosedPipe
	}
	if len(b) > c.left {
		n, _ := c.ResponseWriter.Write(b[:c.left])
		c.left = 0
		if f, ok := c.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		return n, io.ErrClosedPipe
	}
	c.left -= len(b)
	return c.ResponseWriter.Write(b)
}

func (p *lyingProxy) ref(repo string) string { return p.addr + "/" + repo }

// TestPullManifestDigestMismatch: a pull by digest where the registry
// answers with another (valid) manifest is rejected and registers nothing.
func TestPullManifestDigestMismatch(t *testing.T) {
	r := registryWithBusybox(t, "busybox")
	other := filepath.Join(t.TempDir(), "other.tar")
	if err := testenv.WriteDockerArchive(other, testenv.ImageSpec{Tags: []string{"busybox:other"}, Cmd: []string{"echo", "impostor"}, Layers: []string{testenv.BusyboxTar(t)}}); err != nil {
		t.Fatal(err)
	}
	r.PushArchive(t, other, "busybox:other")
	want := r.ManifestDigest(t, "busybox", "latest")
	impostor := fetchManifest(t, r, "busybox", "other")

	p := startLyingProxy(t, r)
	p.manifests["/v2/busybox/manifests/"+want] = impostor
	d := testenv.StartDaemon(t)
	for _, c := range clients(d) {
		t.Run(c.name, func(t *testing.T) {
			listBefore := imageList(t, c)
			storeBefore := storeEntries(d.DataRoot)
			_, errOut, code := c.run(t, "pull", p.ref("busybox@"+want))
			if code == 0 {
				t.Fatalf("pull of %s accepted another manifest", want)
			}
			if !strings.Contains(errOut, want) {
				t.Errorf("pull error does not name the digest asked for:\n%s", errOut)
			}
			// Docker's words.
			if docker := "manifest verification failed for digest " + want; !strings.Contains(errOut, docker) {
				t.Errorf("pull error lacks %q:\n%s", docker, errOut)
			}
			if got := imageList(t, c); !slices.Equal(got, listBefore) {
				t.Errorf("images after the rejected pull:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(listBefore, "\n"))
			}
			if !onReference() {
				if got := storeEntries(d.DataRoot); !slices.Equal(got, storeBefore) {
					t.Errorf("the rejected pull left blobs or layers:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(storeBefore, "\n"))
				}
			}
		})
	}
}

// TestPullTruncatedLayer: a registry that cuts every layer download short
// makes the pull retry the layer, then fail with a clear error; nothing is
// registered and the daemon still pulls from a sane registry.
func TestPullTruncatedLayer(t *testing.T) {
	r := registryWithBusybox(t, "busybox")
	p := startLyingProxy(t, r)
	p.cutBlobs = true
	var opts []testenv.Option
	if onReference() {
		// Docker's default is 5 attempts, 5 s apart and growing: keep it short.
		opts = append(opts, testenv.WithArgs("--max-download-attempts", "2"))
	}
	d := testenv.StartDaemon(t, opts...)
	w := clients(d)[0]
	listBefore := imageList(t, w)
	_, errOut, code := w.run(t, "pull", p.ref("busybox"))
	if code == 0 {
		t.Fatalf("pull through a proxy that truncates layers succeeded")
	}
	t.Logf("truncated download: %s", strings.TrimSpace(errOut))
	if !strings.Contains(errOut, "unexpected EOF") {
		t.Errorf("pull error does not say the download ended early:\n%s", errOut)
	}
	p.mu.Lock()
	gets := fmt.Sprint(p.blobGets)
	retried := false
	for _, n := range p.blobGets {
		retried = retried || n >= 2
	}
	p.mu.Unlock()
	if !retried {
		t.Errorf("no blob download was retried: %s", gets)
	}
	if got := imageList(t, w); !slices.Equal(got, listBefore) {
		t.Errorf("images after the failed pull:\n%s", strings.Join(got, "\n"))
	}
	if !onReference() {
		for _, leftover := range tempsUnder(d.DataRoot) {
			t.Errorf("the failed pull left a temp: %s", leftover)
		}
	}
	w.must(t, "pull", r.Ref("busybox"))
}

// TestPullLayerSizeMismatch: a manifest whose layer descriptor gives a size
// the blob does not have is rejected, and nothing is registered.
func TestPullLayerSizeMismatch(t *testing.T) {
	if onReference() {
		t.Skip("dockerd 20.10 does not check layer sizes (it pulls this image); the issue asks for a rejection")
	}
	r := registryWithBusybox(t, "busybox")
	var m map[string]any
	if err := json.Unmarshal(fetchManifest(t, r, "busybox", "latest"), &m); err != nil {
		t.Fatal(err)
	}
	layer := m["layers"].([]any)[0].(map[string]any)
	layer["size"] = layer["size"].(float64) + 1000
	bad, _ := json.Marshal(m)
	p := startLyingProxy(t, r)
	p.manifests["/v2/busybox/manifests/latest"] = bad
	d := testenv.StartDaemon(t)
	w := clients(d)[0]
	listBefore := imageList(t, w)
	_, errOut, code := w.run(t, "pull", p.ref("busybox"))
	t.Logf("layer size mismatch: exit %d, %s", code, strings.TrimSpace(errOut))
	if code == 0 {
		t.Errorf("pull of a manifest whose layer size is wrong succeeded")
	}
	if got := imageList(t, w); !slices.Equal(got, listBefore) {
		t.Errorf("images after the rejected pull:\n%s", strings.Join(got, "\n"))
	}
}

// fetchManifest returns the raw Docker schema 2 manifest of repo:tag.
func fetchManifest(t *testing.T, r *testenv.Registry, repo, tag string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.URL()+"/v2/"+repo+"/manifests/"+tag, nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	resp, err := r.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest %s:%s: %v %s", repo, tag, err, resp.Status)
	}
	return b
}

package distribution

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/api/types/registry"

	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/layer"
	"github.com/wharf/wharf/internal/testenv"
)

// newClient is a distribution client over fresh stores in a temp dir.
func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	testenv.RequireRoot(t)
	root := t.TempDir()
	ls, err := layer.NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	is, err := image.NewStore(root, ls)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Images = is
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// memRegistry is ggcr's in-memory registry behind a middleware that can
// count and break requests.
type memRegistry struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string       // "GET /v2/..."
	truncate map[string]int // blob digest -> how many more GETs to cut short
}

func newMemRegistry(t testing.TB) *memRegistry {
	m := &memRegistry{truncate: map[string]int{}}
	inner := ggcrregistry.New(ggcrregistry.Logger(nopLogger()))
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.requests = append(m.requests, r.Method+" "+r.URL.Path)
		cut := false
		for d, n := range m.truncate {
			if n > 0 && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
				m.truncate[d] = n - 1
				cut = true
			}
		}
		m.mu.Unlock()
		if cut {
			inner.ServeHTTP(&truncWriter{ResponseWriter: w}, r)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *memRegistry) host() string { return strings.TrimPrefix(m.URL, "http://") }

func (m *memRegistry) count(method, suffix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.requests {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, suffix) {
			n++
		}
	}
	return n
}

func (m *memRegistry) reset() {
	m.mu.Lock()
	m.requests = nil
	m.mu.Unlock()
}

// truncWriter sends only half of a body, then the handler's connection is
// closed by the short Content-Length.
type truncWriter struct {
	http.ResponseWriter
	want, sent int64
}

func (w *truncWriter) Write(p []byte) (int, error) {
	if w.want == 0 {
		w.want = 1
		if cl := w.Header().Get("Content-Length"); cl != "" {
			var n int64
			for _, ch := range cl {
				n = n*10 + int64(ch-'0')
			}
			w.want = n / 2
		}
	}
	if w.sent >= w.want {
		return 0, http.ErrHandlerTimeout
	}
	if int64(len(p)) > w.want-w.sent {
		p = p[:w.want-w.sent]
	}
	n, err := w.ResponseWriter.Write(p)
	w.sent += int64(n)
	if w.sent >= w.want {
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	return n, err
}

// putImage writes img to ref ("host/repo:tag") with ggcr.
func putImage(t testing.TB, ref string, img v1.Image, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

// events records progress events.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) progress(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

func (e *events) count(status string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if strings.HasPrefix(ev.Status, status) {
			n++
		}
	}
	return n
}

func (e *events) has(status string) bool { return e.count(status) > 0 }

func nopLogger() *log.Logger { return log.New(io.Discard, "", 0) }

var authNone = registry.AuthConfig{}

func putIndex(t testing.TB, ref string, idx v1.ImageIndex) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("push index %s: %v", ref, err)
	}
}

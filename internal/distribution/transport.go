package distribution

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DefaultCertsDirs are where per-registry certificates are looked for
// (<dir>/<host[:port]>/*.crt CAs, *.cert + *.key client pairs), Docker's
// first.
var DefaultCertsDirs = []string{"/etc/docker/certs.d", "/etc/wharf/certs.d"}

// transports holds one http.Transport per host and TLS mode (kept-alive
// connections make the many small requests of a pull cheap), and the
// scheme that worked for each insecure registry.
type transports struct {
	dirs []string

	mu      sync.Mutex
	byKey   map[string]*tlsEntry
	schemes map[string]string // insecure host -> "https" or "http"
}

type tlsEntry struct {
	rt      *http.Transport
	sig     string    // the certificate files it was built from
	checked time.Time // when sig was last compared with the files
	err     error     // a broken certificate directory
}

// certsRecheck bounds how stale a host's certificates may be: a CA put in
// certs.d is used within this time, without a restart.
const certsRecheck = 5 * time.Second

func newTransports(dirs []string) *transports {
	if dirs == nil {
		dirs = DefaultCertsDirs
	}
	return &transports{dirs: dirs, byKey: map[string]*tlsEntry{}, schemes: map[string]string{}}
}

// get returns the transport for host: its certs.d CAs and client
// certificates, verification skipped when skipVerify.
func (ts *transports) get(host string, skipVerify bool) (http.RoundTripper, error) {
	key := fmt.Sprintf("%s|%t", host, skipVerify)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	e := ts.byKey[key]
	if e != nil && time.Since(e.checked) < certsRecheck {
		return e.rt, e.err
	}
	sig := ts.signature(host)
	if e != nil && e.sig == sig {
		e.checked = time.Now()
		return e.rt, e.err
	}
	if e != nil && e.rt != nil {
		e.rt.CloseIdleConnections()
	}
	cfg, err := ts.tlsConfig(host, skipVerify)
	e = &tlsEntry{sig: sig, checked: time.Now(), err: err}
	if err == nil {
		t := remote.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		t.ResponseHeaderTimeout = 60 * time.Second
		t.TLSClientConfig = cfg
		e.rt = t
	}
	ts.byKey[key] = e
	return e.rt, e.err
}

// certFiles lists host's certificate files, over all directories.
func (ts *transports) certFiles(host string) []string {
	var out []string
	for _, d := range ts.dirs {
		ents, err := os.ReadDir(filepath.Join(d, host))
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			if strings.HasSuffix(n, ".crt") || strings.HasSuffix(n, ".cert") || strings.HasSuffix(n, ".key") {
				out = append(out, filepath.Join(d, host, n))
			}
		}
	}
	sort.Strings(out)
	return out
}

func (ts *transports) signature(host string) string {
	var b strings.Builder
	for _, f := range ts.certFiles(host) {
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", f, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}

// tlsConfig follows Docker's certs.d layout: every *.crt is a CA added to
// the system roots, every *.cert needs the *.key of the same name.
func (ts *transports) tlsConfig(host string, skipVerify bool) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: skipVerify, MinVersion: tls.VersionTLS12}
	var pool *x509.CertPool
	for _, f := range ts.certFiles(host) {
		switch {
		case strings.HasSuffix(f, ".crt"):
			if pool == nil {
				if pool, _ = x509.SystemCertPool(); pool == nil {
					pool = x509.NewCertPool()
				}
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if !pool.AppendCertsFromPEM(b) {
				return nil, fmt.Errorf("%s: no PEM certificate in the file", f)
			}
		case strings.HasSuffix(f, ".cert"):
			key := strings.TrimSuffix(f, ".cert") + ".key"
			pair, err := tls.LoadX509KeyPair(f, key)
			if err != nil {
				return nil, fmt.Errorf("client certificate %s (with key %s): %w", f, key, err)
			}
			cfg.Certificates = append(cfg.Certificates, pair)
		case strings.HasSuffix(f, ".key"):
			if _, err := os.Stat(strings.TrimSuffix(f, ".key") + ".cert"); err != nil {
				return nil, fmt.Errorf("missing client certificate %s.cert for key %s", strings.TrimSuffix(f, ".key"), f)
			}
		}
	}
	cfg.RootCAs = pool // nil: the system roots
	return cfg, nil
}

func (ts *transports) scheme(host string) string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.schemes[host]
}

func (ts *transports) setScheme(host, scheme string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if scheme == "" {
		delete(ts.schemes, host)
	} else {
		ts.schemes[host] = scheme
	}
}

// registryRT carries the requests of one registry operation. ggcr builds
// URLs with its own idea of the scheme (http for loopback, private and
// name.Insecure registries); this picks the real one like Docker: https
// with verification for a secure registry; for an insecure one https
// without verification first, then plain http, the one that worked being
// remembered per host. Responses keep ggcr's scheme in their Request so
// its ping, realm and pagination checks see what they expect.
type registryRT struct {
	ts       *transports
	host     string // the registry, "host[:port]"
	view     string // ggcr's scheme for it
	force    string // a mirror's URL scheme, or ""
	insecure bool
	others   func(host string) bool // insecure(host) for other hosts (redirects, token realms)
}

func (t *registryRT) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		rt, err := t.ts.get(req.URL.Host, t.others(req.URL.Host))
		if err != nil {
			return nil, err
		}
		return rt.RoundTrip(req)
	}
	switch {
	case t.force != "":
		return t.send(req, t.force)
	case !t.insecure:
		return t.send(req, "https")
	}
	if s := t.ts.scheme(t.host); s != "" {
		resp, err := t.send(req, s)
		if err != nil {
			t.ts.setScheme(t.host, "") // probe again next time
		}
		return resp, err
	}
	resp, err := t.send(req, "https")
	if err == nil {
		t.ts.setScheme(t.host, "https")
		return resp, nil
	}
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, err
		}
		body, berr := req.GetBody()
		if berr != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = body
	}
	resp, err = t.send(req, "http")
	if err == nil {
		t.ts.setScheme(t.host, "http")
	}
	return resp, err
}

func (t *registryRT) send(req *http.Request, scheme string) (*http.Response, error) {
	rt, err := t.ts.get(t.host, t.insecure)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = scheme
	resp, err := rt.RoundTrip(out)
	if err != nil {
		// The URL really asked for, as Docker prints it (Get "https://...").
		return nil, &url.Error{Op: urlOp(req.Method), URL: out.URL.String(), Err: err}
	}
	seen := *req
	u := *req.URL
	u.Scheme = t.view
	seen.URL = &u
	resp.Request = &seen
	return resp, nil
}

func urlOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// innerURLError digs out the innermost *url.Error: the http.Client wraps
// registryRT's (real URL) in one with ggcr's URL.
func innerURLError(err error) *url.Error {
	var found *url.Error
	for {
		var u *url.Error
		if !errors.As(err, &u) {
			return found
		}
		found, err = u, u.Err
	}
}

package testenv

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RegistryBinary is Debian's docker-registry (distribution 2.8).
const RegistryBinary = "/usr/bin/docker-registry"

// Registry is a docker-registry on 127.0.0.1:<free port> with its storage in
// its own temp dir.
type Registry struct {
	Dir      string // config, storage, certs, log; removed at Stop
	User     string // set by WithHtpasswd
	Password string
	TLS      bool

	addr   string
	caPEM  string // CA certificate path when TLS
	cmd    *exec.Cmd
	done   chan struct{}
	log    *os.File
	logMu  sync.Mutex
	stopMu sync.Mutex
	certsD string // /etc/docker/certs.d/<addr>, when InstallCA made it
}

// RegistryOption changes how the registry is started.
type RegistryOption func(*Registry)

// WithHtpasswd protects the registry with basic auth (htpasswd -Bbn, realm
// "wharf-test").
func WithHtpasswd(user, pass string) RegistryOption {
	return func(r *Registry) { r.User, r.Password = user, pass }
}

// WithTLS serves HTTPS with a server certificate for 127.0.0.1 signed by a
// fresh test CA (see CAPath and InstallCA).
func WithTLS() RegistryOption { return func(r *Registry) { r.TLS = true } }

// StartRegistry starts a registry and waits until /v2/ answers; cleanup stops
// it and removes its files (and an installed CA).
func StartRegistry(t testing.TB, opts ...RegistryOption) *Registry {
	t.Helper()
	RequireBinary(t, RegistryBinary)
	r, err := NewRegistry(opts...)
	if r != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("testenv: registry access log (%s):\n%s", r.LogPath(), tail(r.AccessLog(), 8<<10))
			}
			r.Stop()
		})
	}
	if err != nil {
		t.Fatalf("testenv: start registry: %v", err)
	}
	return r
}

// NewRegistry is StartRegistry for programs (benchmarks): the caller Stops it.
// On error the returned registry, if any, still needs Stop.
func NewRegistry(opts ...RegistryOption) (*Registry, error) {
	if _, err := exec.LookPath(RegistryBinary); err != nil {
		return nil, fmt.Errorf("%s is not installed (apt-get install docker-registry apache2-utils)", RegistryBinary)
	}
	dir, err := os.MkdirTemp("", "wharf-registry-")
	if err != nil {
		return nil, err
	}
	r := &Registry{Dir: dir}
	for _, o := range opts {
		o(r)
	}
	port, err := freePort()
	if err != nil {
		return r, err
	}
	r.addr = "127.0.0.1:" + strconv.Itoa(port)
	cfg, err := r.writeConfig()
	if err != nil {
		return r, err
	}
	r.log, err = os.Create(r.LogPath())
	if err != nil {
		return r, err
	}
	cmd := exec.Command(RegistryBinary, "serve", cfg)
	cmd.Stdout, cmd.Stderr = r.log, r.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return r, err
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(r.done) }()
	return r, r.waitReady()
}

// Addr is "127.0.0.1:port".
func (r *Registry) Addr() string { return r.addr }

// URL is the base URL: http:// or https:// plus Addr.
func (r *Registry) URL() string {
	if r.TLS {
		return "https://" + r.addr
	}
	return "http://" + r.addr
}

// CAPath is the PEM file of the test CA that signed the server certificate
// ("" without TLS). It is alone in its directory (CertDir), which therefore
// works as a --cert-dir for skopeo and as a certs.d/<host:port> directory.
func (r *Registry) CAPath() string { return r.caPEM }

// CertDir is the directory holding ca.crt ("" without TLS).
func (r *Registry) CertDir() string {
	if r.caPEM == "" {
		return ""
	}
	return filepath.Dir(r.caPEM)
}

// LogPath is the registry's log, which includes its access log (combined
// format, one line per request with the bytes sent).
func (r *Registry) LogPath() string { return filepath.Join(r.Dir, "registry.log") }

// Log returns the registry log so far.
func (r *Registry) Log() string {
	b, _ := os.ReadFile(r.LogPath())
	return string(b)
}

// InstallCA copies the CA to /etc/docker/certs.d/<host:port>/ca.crt, where
// Docker (and Wharf, which follows Docker's convention) look for a registry's
// CA; the port is unique to this registry, and Stop removes the directory.
func (r *Registry) InstallCA(t testing.TB) {
	t.Helper()
	if r.caPEM == "" {
		t.Fatalf("testenv: InstallCA on a registry without TLS")
	}
	dir := filepath.Join(CertsDRoot, r.addr)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	b, err := os.ReadFile(r.caPEM)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "ca.crt"), b, 0o644)
	}
	if err != nil {
		t.Fatalf("testenv: install CA: %v", err)
	}
	r.stopMu.Lock()
	r.certsD = dir
	r.stopMu.Unlock()
}

// CertsDRoot is Docker's per-registry certificate directory.
const CertsDRoot = "/etc/docker/certs.d"

// Stop kills the registry, waits for it and removes its files. Idempotent.
func (r *Registry) Stop() {
	r.stopMu.Lock()
	defer r.stopMu.Unlock()
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
		r.cmd = nil
	}
	if r.log != nil {
		r.log.Close()
		r.log = nil
	}
	if r.certsD != "" {
		os.RemoveAll(r.certsD)
		r.certsD = ""
	}
	if r.Dir != "" {
		os.RemoveAll(r.Dir)
	}
}

func (r *Registry) writeConfig() (string, error) {
	storage := filepath.Join(r.Dir, "storage")
	if err := os.Mkdir(storage, 0o755); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n")
	fmt.Fprintf(&b, "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n", storage)
	fmt.Fprintf(&b, "http:\n  addr: %s\n  secret: wharf-test-secret\n", r.addr)
	if r.TLS {
		cert, key, err := writeTestPKI(filepath.Join(r.Dir, "certs"))
		if err != nil {
			return "", err
		}
		r.caPEM = filepath.Join(r.Dir, "certs", "ca", "ca.crt")
		fmt.Fprintf(&b, "  tls:\n    certificate: %s\n    key: %s\n", cert, key)
	}
	if r.User != "" {
		out, err := exec.Command("htpasswd", "-Bbn", r.User, r.Password).Output()
		if err != nil {
			return "", fmt.Errorf("htpasswd (apt-get install apache2-utils): %w", err)
		}
		hp := filepath.Join(r.Dir, "htpasswd")
		if err := os.WriteFile(hp, []byte(strings.TrimSpace(string(out))+"\n"), 0o600); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "auth:\n  htpasswd:\n    realm: wharf-test\n    path: %s\n", hp)
	}
	cfg := filepath.Join(r.Dir, "config.yml")
	return cfg, os.WriteFile(cfg, []byte(b.String()), 0o644)
}

// waitReady polls GET /v2/ until it answers 200 or 401 (10 s).
func (r *Registry) waitReady() error {
	client := r.HTTPClient()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-r.done:
			return fmt.Errorf("docker-registry exited at start-up:\n%s", tail(r.Log(), 4096))
		default:
		}
		resp, err := client.Get(r.URL() + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("registry at %s not ready after 10s (last: %v):\n%s", r.addr, err, tail(r.Log(), 4096))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// HTTPClient trusts the registry's CA (if any); no credentials.
func (r *Registry) HTTPClient() *http.Client {
	tr := &http.Transport{}
	if r.caPEM != "" {
		pool := x509.NewCertPool()
		if b, err := os.ReadFile(r.caPEM); err == nil {
			pool.AppendCertsFromPEM(b)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// accessLine matches the combined-format access log: "METHOD PATH HTTP/x" STATUS BYTES.
var accessLine = regexp.MustCompile(`"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP/[0-9.]+" (\d{3}) (\d+|-)`)

// Request is one line of the registry's access log.
type Request struct {
	Method, Path string
	Status       int
	Bytes        int64 // response body bytes sent
}

// AccessLog is the registry log without its structured lines: one line per
// request, and errors.
func (r *Registry) AccessLog() string {
	var b strings.Builder
	for _, line := range strings.Split(r.Log(), "\n") {
		if strings.HasPrefix(line, "time=") && !strings.Contains(line, "level=error") && !strings.Contains(line, "level=fatal") {
			continue
		}
		if i := strings.Index(line, " http.request.useragent="); i > 0 {
			line = line[:i] // the rest repeats the request
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// Requests parses the access log so far.
func (r *Registry) Requests() []Request {
	var reqs []Request
	sc := bufio.NewScanner(strings.NewReader(r.Log()))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := accessLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		st, _ := strconv.Atoi(m[3])
		n, _ := strconv.ParseInt(m[4], 10, 64)
		reqs = append(reqs, Request{Method: m[1], Path: m[2], Status: st, Bytes: n})
	}
	return reqs
}

// BlobBytesSent sums the bytes of successful blob GETs in the access log:
// what pulls downloaded.
func (r *Registry) BlobBytesSent() (n int64, blobs int) {
	for _, q := range r.Requests() {
		if q.Method == "GET" && strings.Contains(q.Path, "/blobs/sha256:") && q.Status/100 == 2 {
			n += q.Bytes
			blobs++
		}
	}
	return n, blobs
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}

package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errdefs"
)

func newTestServer(t *testing.T) (*httptest.Server, *fakeBackend, *fakeImages) {
	t.Helper()
	b := &fakeBackend{}
	imgs := &fakeImages{}
	srv := httptest.NewServer(New(Config{Containers: b, Exec: b, Images: imgs, System: SystemInfo{ID: "X", Version: "0.0-test", Seccomp: true}}))
	t.Cleanup(srv.Close)
	return srv, b, imgs
}

type reply struct {
	code   int
	body   string
	header http.Header
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b), resp.Header}
}

func message(t *testing.T, r reply) string {
	t.Helper()
	var m struct{ Message string }
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	return m.Message
}

func TestPing(t *testing.T) {
	srv, _, _ := newTestServer(t)
	for _, method := range []string{"GET", "HEAD"} {
		for _, path := range []string{"/_ping", "/v1.41/_ping"} {
			r := call(t, srv, method, path, "")
			if r.code != 200 {
				t.Fatalf("%s %s: %d", method, path, r.code)
			}
			if got := r.header.Get("API-Version"); got != APIVersion {
				t.Errorf("API-Version = %q", got)
			}
			if r.header.Get("OSType") != "linux" || r.header.Get("Docker-Experimental") != "false" || r.header.Get("Pragma") != "no-cache" {
				t.Errorf("headers: %v", r.header)
			}
			want := "OK"
			if method == "HEAD" {
				want = ""
			}
			if r.body != want {
				t.Errorf("%s body %q", method, r.body)
			}
		}
	}
}

func TestVersionNegotiation(t *testing.T) {
	srv, _, _ := newTestServer(t)
	for _, tc := range []struct {
		path string
		code int
		msg  string
	}{
		{"/containers/json", 200, ""},
		{"/v1.24/containers/json", 200, ""},
		{"/v1.38/containers/json", 200, ""},
		{"/v1.41/containers/json", 200, ""},
		{"/v1.51/containers/json", 200, ""},
		{"/v1.99/containers/json", 400, "client version 1.99 is too new. Maximum supported API version is 1.51"},
		{"/v2.0/version", 400, "client version 2.0 is too new. Maximum supported API version is 1.51"},
		{"/v1.12/containers/json", 400, "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"},
		{"/v1.41/nope", 404, "page not found"},
		{"/nope", 404, "page not found"},
	} {
		r := call(t, srv, "GET", tc.path, "")
		if r.code != tc.code {
			t.Errorf("%s: code %d, want %d (%s)", tc.path, r.code, tc.code, r.body)
			continue
		}
		if tc.msg != "" {
			if got := message(t, r); got != tc.msg {
				t.Errorf("%s: message %q, want %q", tc.path, got, tc.msg)
			}
		}
	}
	// A wrong method on a known path is an unknown route, as in Docker.
	r := call(t, srv, "GET", "/containers/create", "")
	if r.code != 404 || message(t, r) != "page not found" {
		t.Errorf("GET /containers/create: %d %s", r.code, r.body)
	}
}

func TestVersionAndInfo(t *testing.T) {
	srv, _, _ := newTestServer(t)
	var v struct{ Version, ApiVersion, MinAPIVersion, Os, GoVersion, KernelVersion string }
	if err := json.Unmarshal([]byte(call(t, srv, "GET", "/version", "").body), &v); err != nil {
		t.Fatal(err)
	}
	if v.ApiVersion != "1.51" || v.MinAPIVersion != "1.24" || v.Os != "linux" || v.Version != "0.0-test" || v.KernelVersion == "" {
		t.Errorf("version: %+v", v)
	}
	var info struct {
		ID, Driver, OSType, CgroupDriver, CgroupVersion  string
		Containers, ContainersRunning, ContainersStopped int
		SecurityOptions                                  []string
		NCPU                                             int
		MemTotal                                         int64
	}
	if err := json.Unmarshal([]byte(call(t, srv, "GET", "/v1.44/info", "").body), &info); err != nil {
		t.Fatal(err)
	}
	if info.ID != "X" || info.Driver != "overlay2" || info.OSType != "linux" || info.CgroupDriver != "cgroupfs" ||
		(info.CgroupVersion != "1" && info.CgroupVersion != "2") || info.Containers != 3 || info.ContainersRunning != 1 ||
		info.ContainersStopped != 2 || info.NCPU < 1 || info.MemTotal <= 0 {
		t.Errorf("info: %+v", info)
	}
	if len(info.SecurityOptions) == 0 || info.SecurityOptions[0] != "name=seccomp,profile=builtin" {
		t.Errorf("SecurityOptions %v", info.SecurityOptions)
	}
	if r := call(t, srv, "GET", "/v1.44/plugins", ""); r.code != 200 || strings.TrimSpace(r.body) != "[]" {
		t.Errorf("plugins: %d %q", r.code, r.body)
	}
	// moby's integration suite lists volumes in every test's setup.
	if r := call(t, srv, "GET", "/v1.51/volumes", ""); r.code != 200 || !strings.Contains(r.body, `"Volumes":[]`) {
		t.Errorf("volumes: %d %q", r.code, r.body)
	}
}

func TestErrorMapping(t *testing.T) {
	srv, b, _ := newTestServer(t)
	for _, tc := range []struct {
		err  error
		code int
	}{
		{errdefs.NotFound("No such container: x"), 404},
		{errdefs.Invalid("bad"), 400},
		{errdefs.Conflict("taken"), 409},
		{errdefs.Unavailable("later"), 503},
		{errdefs.NotImplemented("nope"), 501},
		{errdefs.Forbidden("no"), 403},
		{fmt.Errorf("wrapped: %w", errdefs.NotFound("No such container: y")), 404},
		{fmt.Errorf("disk on fire"), 500},
	} {
		b.inspect = func(string) (*container.InspectResponse, error) { return nil, tc.err }
		r := call(t, srv, "GET", "/containers/x/json", "")
		if r.code != tc.code || message(t, r) != tc.err.Error() {
			t.Errorf("%v: %d %s", tc.err, r.code, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%v: Content-Type %q", tc.err, ct)
		}
	}
	b.stop = func(string, string, *int) error { return errdefs.NotModified("already stopped") }
	if r := call(t, srv, "POST", "/containers/x/stop", ""); r.code != 304 || r.body != "" {
		t.Errorf("not modified: %d %q", r.code, r.body)
	}
}

func TestFiltersDecoding(t *testing.T) {
	got, err := decodeFilters(`{"name":["a","b"],"status":{"running":true,"exited":false}}`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got["name"], ",") != "a,b" || strings.Join(got["status"], ",") != "running" {
		t.Errorf("filters %v", got)
	}
	for _, bad := range []string{`{"name":`, `["x"]`, `{"name":3}`} {
		if _, err := decodeFilters(bad); !errorsIsInvalid(err) {
			t.Errorf("%s: err %v, want invalid", bad, err)
		}
	}

	srv, b, _ := newTestServer(t)
	var opts ListOptions
	b.list = func(o ListOptions) ([]container.Summary, error) { opts = o; return nil, nil }
	r := call(t, srv, "GET", `/v1.41/containers/json?all=1&limit=2&size=true&filters=%7B%22name%22%3A%7B%22web%22%3Atrue%7D%7D`, "")
	if r.code != 200 || strings.TrimSpace(r.body) != "[]" {
		t.Fatalf("list: %d %s", r.code, r.body)
	}
	if !opts.All || opts.Limit != 2 || !opts.Size || strings.Join(opts.Filters["name"], ",") != "web" {
		t.Errorf("options %+v", opts)
	}
	if r := call(t, srv, "GET", `/containers/json?filters=nope`, ""); r.code != 400 {
		t.Errorf("bad filters: %d", r.code)
	}
}

func errorsIsInvalid(err error) bool { return err != nil && statusOf(err) == 400 }

func TestCreateBodies(t *testing.T) {
	srv, b, _ := newTestServer(t)
	for _, tc := range []struct{ body, msg string }{
		{"", "invalid JSON: got EOF while reading request body"},
		{"{", "invalid JSON: unexpected EOF"},
		{`{"Image":"busybox","Env":"A=1"}`, "cannot unmarshal string"},
		{`{"Image":"busybox","HostConfig":{"Memory":"1g"}}`, "cannot unmarshal string"},
		{`{}`, "config cannot be empty"},
		{`{"Image":"busybox"} {}`, "unexpected content after JSON"},
	} {
		r := call(t, srv, "POST", "/containers/create?name=web", tc.body)
		if r.body == "" { // call() sends no Content-Type for an empty body
			t.Fatalf("%q: empty reply", tc.body)
		}
		if r.code != 400 || !strings.Contains(message(t, r), tc.msg) {
			t.Errorf("%q: %d %s, want 400 with %q", tc.body, r.code, r.body, tc.msg)
		}
	}
	var gotName string
	var gotCfg *container.Config
	b.create = func(name string, cfg *container.Config, hc *container.HostConfig) (container.CreateResponse, error) {
		gotName, gotCfg = name, cfg
		if hc == nil {
			t.Error("nil HostConfig passed to backend")
		}
		return container.CreateResponse{ID: "c1"}, nil
	}
	r := call(t, srv, "POST", "/v1.41/containers/create?name=web", `{"Image":"busybox","Cmd":["true"]}`)
	if r.code != 201 || !strings.Contains(r.body, `"Id":"c1"`) || !strings.Contains(r.body, `"Warnings":[]`) {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	if gotName != "web" || gotCfg.Image != "busybox" || gotCfg.Cmd[0] != "true" {
		t.Errorf("backend got %q %+v", gotName, gotCfg)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/containers/create", strings.NewReader(`{"Image":"x"}`))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("text/plain body: %d", resp.StatusCode)
	}
}

func TestContainerRoutes(t *testing.T) {
	srv, b, _ := newTestServer(t)
	for _, tc := range []struct {
		method, path string
		code         int
		call         string
	}{
		{"POST", "/v1.41/containers/abc/start", 204, "start abc"},
		{"POST", "/containers/abc/stop?t=3", 204, "stop abc"},
		{"POST", "/containers/abc/kill?signal=HUP", 204, "kill abc HUP"},
		{"POST", "/containers/abc/restart", 204, "restart abc"},
		{"DELETE", "/containers/abc?force=1&v=1", 204, "remove abc"},
		{"POST", "/containers/abc/resize?h=24&w=80", 200, "resize abc"},
		{"GET", "/containers/abc/top?ps_args=aux", 200, "top abc aux"},
		{"POST", "/containers/abc/rename?name=new", 204, "rename abc new"},
		{"POST", "/containers/abc/exec", 400, ""},
		{"POST", "/exec/e1/resize?h=1&w=2", 200, "exec-resize e1"},
		{"POST", "/containers/abc/resize?h=x&w=80", 400, ""},
		{"POST", "/containers/abc/stop?t=soon", 400, ""},
		{"POST", "/containers/abc/wait?condition=never", 400, ""},
		{"GET", "/containers/abc/logs", 400, ""},
	} {
		b.calls = nil
		r := call(t, srv, tc.method, tc.path, "")
		if r.code != tc.code {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.code, r.body)
		}
		if tc.call != "" && (len(b.calls) != 1 || b.calls[0] != tc.call) {
			t.Errorf("%s %s: calls %q, want %q", tc.method, tc.path, b.calls, tc.call)
		}
	}
	r := call(t, srv, "POST", "/containers/abc/exec", `{"Cmd":["sh"],"AttachStdin":true}`)
	if r.code != 201 || !strings.Contains(r.body, `"Id":"e1"`) {
		t.Errorf("exec create: %d %s", r.code, r.body)
	}
}

// The wait header must reach the client before the container exits.
func TestWaitFlushesHeader(t *testing.T) {
	srv, b, _ := newTestServer(t)
	ch := make(chan container.WaitResponse, 1)
	b.wait = func(string, container.WaitCondition) (<-chan container.WaitResponse, error) { return ch, nil }
	type result struct {
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := srv.Client().Post(srv.URL+"/containers/abc/wait?condition=next-exit", "", nil)
		done <- result{resp, err}
	}()
	var resp *http.Response
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatal(res.err)
		}
		resp = res.resp
	case <-time.After(5 * time.Second):
		ch <- container.WaitResponse{}
		t.Fatal("wait did not flush its header before the container exited")
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || b.calls[0] != "wait abc next-exit" {
		t.Fatalf("wait: %d %v", resp.StatusCode, b.calls)
	}
	ch <- container.WaitResponse{StatusCode: 42}
	var w container.WaitResponse
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil || w.StatusCode != 42 {
		t.Fatalf("wait body %+v %v", w, err)
	}
	b.wait = func(string, container.WaitCondition) (<-chan container.WaitResponse, error) {
		return nil, errdefs.NotFound("No such container: zz")
	}
	if r := call(t, srv, "POST", "/containers/zz/wait", ""); r.code != 404 {
		t.Errorf("wait missing: %d", r.code)
	}
}

func TestLogsStream(t *testing.T) {
	srv, b, _ := newTestServer(t)
	for _, tty := range []bool{false, true} {
		var got LogsOptions
		b.logs = func(ref string, o LogsOptions) (*OutputStream, error) {
			got = o
			return &OutputStream{Tty: tty, WriteTo: func(ctx context.Context, w io.Writer) error {
				_, err := io.WriteString(w, "hello")
				return err
			}}, nil
		}
		r := call(t, srv, "GET", "/containers/abc/logs?stdout=1&follow=1&tail=5&since=10", "")
		if r.code != 200 || r.body != "hello" {
			t.Fatalf("logs: %d %q", r.code, r.body)
		}
		if want := streamType(tty); r.header.Get("Content-Type") != want {
			t.Errorf("tty=%v: Content-Type %q", tty, r.header.Get("Content-Type"))
		}
		if !got.Stdout || got.Stderr || !got.Follow || got.Tail != "5" || got.Since != "10" {
			t.Errorf("options %+v", got)
		}
	}
}

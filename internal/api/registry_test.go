package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/distribution"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
)

// fakeRegistry plays a distribution client: Pull replays events.
type fakeRegistry struct {
	refs   []string
	opts   []distribution.PullOptions
	auths  []registry.AuthConfig
	events []distribution.Event
	err    error
}

func (f *fakeRegistry) Pull(ctx context.Context, ref string, opts distribution.PullOptions, p distribution.Progress) (*image.Image, error) {
	f.refs, f.opts = append(f.refs, ref), append(f.opts, opts)
	for _, e := range f.events {
		p(e)
	}
	if f.err != nil {
		return nil, f.err
	}
	return &image.Image{ID: "sha256:feed"}, nil
}

func (f *fakeRegistry) Push(ctx context.Context, ref string, auth registry.AuthConfig, p distribution.Progress) error {
	f.refs, f.auths = append(f.refs, ref), append(f.auths, auth)
	for _, e := range f.events {
		p(e)
	}
	return f.err
}

func (f *fakeRegistry) Login(ctx context.Context, a registry.AuthConfig) (string, string, error) {
	f.auths = append(f.auths, a)
	if a.Password != "pw" {
		return "", "", errdefs.Forbidden("unauthorized: incorrect username or password")
	}
	return "Login Succeeded", "tok", nil
}

func (f *fakeRegistry) Search(ctx context.Context, term string, limit int, a registry.AuthConfig) ([]registry.SearchResult, error) {
	f.refs = append(f.refs, term)
	return []registry.SearchResult{{Name: "a", StarCount: 5, IsOfficial: true}, {Name: "b", StarCount: 1}, {Name: "c", StarCount: 9}}, nil
}

func newRegistryServer(t *testing.T, reg *fakeRegistry) (*httptest.Server, *fakeBackend, *fakeImages) {
	t.Helper()
	b, imgs := &fakeBackend{}, &fakeImages{}
	srv := httptest.NewServer(New(Config{Containers: b, Exec: b, Images: imgs, Registry: reg, Archive: &fakeArchive{imgs: imgs},
		System: SystemInfo{Version: "0.0-test"}}))
	t.Cleanup(srv.Close)
	return srv, b, imgs
}

func request(t *testing.T, srv *httptest.Server, method, path string, header http.Header, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b), resp.Header}
}

func authHeader(t *testing.T, a registry.AuthConfig) http.Header {
	b, _ := json.Marshal(a)
	return http.Header{registry.AuthHeader: {base64.URLEncoding.EncodeToString(b)}}
}

func lines(body string) []string { return strings.Split(strings.TrimSpace(body), "\r\n") }

func TestPullProgressStream(t *testing.T) {
	reg := &fakeRegistry{events: []distribution.Event{
		{ID: "abc123def456", Status: "Pulling fs layer"},
		{ID: "abc123def456", Status: "Downloading", Current: 1200000, Total: 3400000},
		{ID: "abc123def456", Status: "Pull complete"},
		{Status: "Digest: sha256:0123"},
		{Status: "Status: Downloaded newer image for busybox:latest"},
	}}
	srv, _, _ := newRegistryServer(t, reg)
	h := authHeader(t, registry.AuthConfig{Username: "u", Password: "p", ServerAddress: "localhost:5000"})
	r := request(t, srv, "POST", "/v1.41/images/create?fromImage=busybox&tag=latest&platform=linux/amd64", h, "")
	if r.code != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("pull: %d %s", r.code, r.body)
	}
	got := lines(r.body)
	want := []string{
		`{"status":"Pulling fs layer","progressDetail":{},"id":"abc123def456"}`,
		`{"status":"Downloading","progressDetail":{"current":1200000,"total":3400000},"progress":"[=================\u003e                                ] 1.2MB/3.4MB","id":"abc123def456"}`,
		`{"status":"Pull complete","progressDetail":{},"id":"abc123def456"}`,
		`{"status":"Digest: sha256:0123"}`,
		`{"status":"Status: Downloaded newer image for busybox:latest"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stream:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if reg.refs[0] != "docker.io/library/busybox:latest" || reg.opts[0].Platform != "linux/amd64" || reg.opts[0].AllTags {
		t.Errorf("pull got %q %+v", reg.refs, reg.opts)
	}
	if a := reg.opts[0].Auth; a.Username != "u" || a.Password != "p" || a.ServerAddress != "localhost:5000" {
		t.Errorf("auth not decoded: %+v", a)
	}

	// No tag: every tag; a digest in tag: pull by digest.
	request(t, srv, "POST", "/images/create?fromImage=localhost:5000/x", nil, "")
	d := "sha256:" + strings.Repeat("a", 64)
	request(t, srv, "POST", "/images/create?fromImage=x&tag="+d, nil, "")
	if !reg.opts[1].AllTags || reg.refs[1] != "localhost:5000/x" || reg.refs[2] != "docker.io/library/x@"+d || reg.opts[2].AllTags {
		t.Errorf("refs %q opts %+v", reg.refs, reg.opts)
	}

	if r := request(t, srv, "POST", "/images/create?fromImage=x", http.Header{registry.AuthHeader: {"!!"}}, ""); r.code != 400 {
		t.Errorf("bad auth header: %d %s", r.code, r.body)
	}
}

func TestPullErrors(t *testing.T) {
	// An error before any progress is a plain HTTP error, which makes
	// `docker run` print Docker's message.
	reg := &fakeRegistry{err: errdefs.NotFound("pull access denied for nope, repository does not exist or may require 'docker login'")}
	srv, _, _ := newRegistryServer(t, reg)
	r := request(t, srv, "POST", "/images/create?fromImage=nope&tag=latest", nil, "")
	if r.code != 404 || message(t, r) != reg.err.Error() {
		t.Errorf("early error: %d %s", r.code, r.body)
	}
	// After the stream started: an error line.
	reg.events = []distribution.Event{{ID: "abc", Status: "Pulling fs layer"}}
	reg.err = errdefs.Unavailable("read: connection reset")
	r = request(t, srv, "POST", "/images/create?fromImage=x&tag=1", nil, "")
	got := lines(r.body)
	if r.code != 200 || got[len(got)-1] != `{"errorDetail":{"message":"read: connection reset"},"error":"read: connection reset"}` {
		t.Errorf("late error: %d %q", r.code, r.body)
	}
	// The daemon makes the final status line when distribution did not.
	reg.err, reg.events = nil, nil
	r = request(t, srv, "POST", "/images/create?fromImage=localhost:5000/a/b&tag=v1", nil, "")
	if strings.TrimSpace(r.body) != `{"status":"Status: Downloaded newer image for localhost:5000/a/b:v1"}` {
		t.Errorf("fallback status: %q", r.body)
	}
}

func TestPushStream(t *testing.T) {
	reg := &fakeRegistry{events: []distribution.Event{
		{Status: "The push refers to repository [localhost:5000/x]"},
		{ID: "abc123def456", Status: "Pushed"},
		{Status: "v1: digest: sha256:beef size: 527"},
	}}
	srv, _, _ := newRegistryServer(t, reg)
	h := authHeader(t, registry.AuthConfig{Username: "u", Password: "p"})
	r := request(t, srv, "POST", "/images/localhost:5000/x/push?tag=v1", h, "")
	got := lines(r.body)
	if r.code != 200 || len(got) != 4 || got[2] != `{"status":"v1: digest: sha256:beef size: 527"}` ||
		got[3] != `{"aux":{"Tag":"v1","Digest":"sha256:beef","Size":527}}` {
		t.Fatalf("push: %d\n%s", r.code, r.body)
	}
	if reg.refs[0] != "localhost:5000/x:v1" || reg.auths[0].Username != "u" {
		t.Errorf("push got %q %+v", reg.refs, reg.auths)
	}
	request(t, srv, "POST", "/images/localhost:5000/x/push", nil, "")
	if reg.refs[1] != "localhost:5000/x" {
		t.Errorf("push without tag: %q", reg.refs[1])
	}
}

func TestLoginAndSearch(t *testing.T) {
	reg := &fakeRegistry{}
	srv, _, _ := newRegistryServer(t, reg)
	r := call(t, srv, "POST", "/auth", `{"username":"u","password":"pw","serveraddress":"localhost:5000"}`)
	if r.code != 200 || strings.TrimSpace(r.body) != `{"IdentityToken":"tok","Status":"Login Succeeded"}` {
		t.Errorf("login: %d %s", r.code, r.body)
	}
	if r := call(t, srv, "POST", "/auth", `{"username":"u","password":"bad"}`); r.code != 403 {
		t.Errorf("bad login: %d %s", r.code, r.body)
	}
	r = call(t, srv, "GET", "/images/search?term=localhost:5000/a&limit=2&filters="+`%7B%22stars%22%3A%5B%222%22%5D%7D`, "")
	var res []registry.SearchResult
	if err := json.Unmarshal([]byte(r.body), &res); err != nil || len(res) != 2 || res[0].Name != "a" || res[1].Name != "c" {
		t.Errorf("search: %d %s", r.code, r.body)
	}
	if r := call(t, srv, "GET", "/images/search?term=x&filters="+`%7B%22bogus%22%3A%5B%221%22%5D%7D`, ""); r.code != 400 {
		t.Errorf("bad filter: %d", r.code)
	}
	if r := call(t, srv, "GET", "/images/search?term=x&limit=500", ""); r.code != 400 {
		t.Errorf("bad limit: %d", r.code)
	}
}

// fakeArchive writes the names it is asked for; Load reports one line per
// line of the body.
type fakeArchive struct{ imgs *fakeImages }

func (f *fakeArchive) Save(ctx context.Context, refs []string, w io.Writer) error {
	_, err := io.WriteString(w, "TAR:"+strings.Join(refs, ","))
	if refs[0] == "broken:1" {
		return errdefs.Unavailable("layer sha256:x: input/output error")
	}
	return err
}

func (f *fakeArchive) Load(ctx context.Context, r io.Reader, report func(string)) error {
	b, _ := io.ReadAll(r)
	if string(b) == "bad" {
		return errdefs.Invalid("unexpected EOF")
	}
	for _, l := range strings.Split(string(b), ",") {
		report("Loaded image: " + l)
	}
	return nil
}

func TestSaveLoad(t *testing.T) {
	srv, _, imgs := newRegistryServer(t, &fakeRegistry{})
	imgs.imgs = []*image.Image{{ID: "sha256:1", RepoTags: []string{"a:1"}}, {ID: "sha256:2", RepoTags: []string{"b:2"}}}
	r := call(t, srv, "GET", "/images/get?names=a:1&names=b:2", "")
	if r.code != 200 || r.header.Get("Content-Type") != "application/x-tar" || r.body != "TAR:a:1,b:2" {
		t.Errorf("save: %d %q %q", r.code, r.header.Get("Content-Type"), r.body)
	}
	r = call(t, srv, "GET", "/images/a:1/get", "")
	if r.code != 200 || r.body != "TAR:a:1" {
		t.Errorf("save one: %d %q", r.code, r.body)
	}
	// An error early in the archive is still a plain HTTP error.
	imgs.imgs = append(imgs.imgs, &image.Image{ID: "sha256:3", RepoTags: []string{"broken:1"}})
	if r := call(t, srv, "GET", "/images/broken:1/get", ""); r.code != 503 || message(t, r) != "layer sha256:x: input/output error" {
		t.Errorf("save error: %d %q", r.code, r.body)
	}
	if r := call(t, srv, "GET", "/images/get?names=a:1&names=zz", ""); r.code != 404 {
		t.Errorf("save unknown: %d %s", r.code, r.body)
	}
	r = request(t, srv, "POST", "/images/load?quiet=1", http.Header{"Content-Type": {"application/x-tar"}}, "x:1,y:2")
	if r.code != 200 || r.header.Get("Content-Type") != "application/json" ||
		r.body != "{\"stream\":\"Loaded image: x:1\\n\"}\r\n{\"stream\":\"Loaded image: y:2\\n\"}\r\n" {
		t.Errorf("load: %d %q", r.code, r.body)
	}
	if r := request(t, srv, "POST", "/images/load", nil, "bad"); r.code != 400 {
		t.Errorf("bad load: %d %s", r.code, r.body)
	}
}

// History and Prune make fakeImages an imageHistorian and imagePruner.
func (f *fakeImages) History(ref string) ([]image.HistoryItem, error) {
	if _, err := f.Get(ref); err != nil {
		return nil, err
	}
	return []image.HistoryItem{{ID: "sha256:1", Created: 5, CreatedBy: "/bin/sh -c #(nop) CMD", Tags: []string{"docker.io/library/a:1"}, Size: 0},
		{ID: "<missing>", CreatedBy: "import", Size: 42, Comment: "c"}}, nil
}

func (f *fakeImages) Prune(ctx context.Context, all bool, inUse func(digest.Digest) string) ([]image.DeleteResult, int64, error) {
	f.calls = append(f.calls, "prune "+map[bool]string{true: "all", false: "dangling"}[all]+" "+inUse("sha256:1"))
	return []image.DeleteResult{{Untagged: "docker.io/library/a:1"}, {Deleted: "sha256:1"}}, 42, nil
}

func (f *fakeBackend) InUse(id digest.Digest) string { return "ctr-" + string(id) }

func TestHistoryAndPrune(t *testing.T) {
	srv, _, imgs := newRegistryServer(t, &fakeRegistry{})
	imgs.imgs = []*image.Image{{ID: "sha256:1", RepoTags: []string{"a:1"}}}
	r := call(t, srv, "GET", "/images/a:1/history", "")
	want := `[{"Comment":"","Created":5,"CreatedBy":"/bin/sh -c #(nop) CMD","Id":"sha256:1","Size":0,"Tags":["a:1"]},{"Comment":"c","Created":0,"CreatedBy":"import","Id":"\u003cmissing\u003e","Size":42,"Tags":[]}]`
	if r.code != 200 || strings.TrimSpace(r.body) != want {
		t.Errorf("history: %d %s", r.code, r.body)
	}
	r = call(t, srv, "POST", "/images/prune?filters="+`%7B%22dangling%22%3A%5B%22false%22%5D%7D`, "")
	if r.code != 200 || strings.TrimSpace(r.body) != `{"ImagesDeleted":[{"Untagged":"a:1"},{"Deleted":"sha256:1"}],"SpaceReclaimed":42}` ||
		imgs.calls[len(imgs.calls)-1] != "prune all ctr-sha256:1" {
		t.Errorf("prune: %d %s %q", r.code, r.body, imgs.calls)
	}
	call(t, srv, "POST", "/images/prune", "")
	if imgs.calls[len(imgs.calls)-1] != "prune dangling ctr-sha256:1" {
		t.Errorf("prune dangling: %q", imgs.calls)
	}
	if r := call(t, srv, "POST", "/images/prune?filters="+`%7B%22x%22%3A%5B%221%22%5D%7D`, ""); r.code != 400 {
		t.Errorf("bad prune filter: %d", r.code)
	}
}

func TestImageListFilters(t *testing.T) {
	srv, _, imgs := newRegistryServer(t, &fakeRegistry{})
	t0 := time.Unix(1000, 0)
	imgs.imgs = []*image.Image{
		{ID: "sha256:1", RepoTags: []string{"docker.io/library/old:1"}, Created: t0},
		{ID: "sha256:2", RepoTags: []string{"localhost:5000/mid:1"}, Created: t0.Add(time.Hour), RepoDigests: []string{"localhost:5000/mid@sha256:aa"}},
		{ID: "sha256:3", RepoTags: []string{"docker.io/library/new:1"}, Created: t0.Add(2 * time.Hour)},
		{ID: "sha256:4", Created: t0.Add(3 * time.Hour)},
	}
	ids := func(q string) string {
		r := call(t, srv, "GET", "/images/json?filters="+q, "")
		var out []struct {
			ID          string `json:"Id"`
			RepoDigests []string
		}
		if err := json.Unmarshal([]byte(r.body), &out); err != nil {
			return r.body
		}
		var s []string
		for _, o := range out {
			s = append(s, o.ID+strings.Join(o.RepoDigests, ""))
		}
		return strings.Join(s, " ")
	}
	for q, want := range map[string]string{
		`{"before":["docker.io/library/new:1"]}`:                    "sha256:2localhost:5000/mid@sha256:aa sha256:1",
		`{"since":["docker.io/library/old:1"]}`:                     "sha256:4 sha256:3 sha256:2localhost:5000/mid@sha256:aa",
		`{"since":["docker.io/library/old:1"],"dangling":["true"]}`: "sha256:4",
		`{"reference":["localhost:5000/*"]}`:                        "sha256:2localhost:5000/mid@sha256:aa",
		`{"reference":["n*"]}`:                                      "sha256:3",
	} {
		if got := ids(q); got != want {
			t.Errorf("%s: got %q want %q", q, got, want)
		}
	}
	if r := call(t, srv, "GET", `/images/json?filters={"bogus":["1"]}`, ""); r.code != 400 {
		t.Errorf("unknown filter: %d", r.code)
	}
	if r := call(t, srv, "GET", `/images/json?filters={"before":["nope"]}`, ""); r.code != 404 {
		t.Errorf("before unknown image: %d", r.code)
	}
}

// The container-files side of fakeBackend.
func (f *fakeBackend) ContainerCommit(ctx context.Context, ref string, o CommitOptions) (string, error) {
	cfg, _ := json.Marshal(o.Config)
	f.record("commit " + ref + " " + o.Ref + " " + o.Author + " " + o.Comment + " " + strings.Join(o.Changes, "|") + " " +
		map[bool]string{true: "pause", false: "nopause"}[o.Pause] + " " + string(cfg))
	return "sha256:new", nil
}

func (f *fakeBackend) ContainerChanges(ctx context.Context, ref string) ([]container.FilesystemChange, error) {
	return []container.FilesystemChange{{Path: "/tmp", Kind: container.ChangeModify}, {Path: "/tmp/a", Kind: container.ChangeAdd}}, nil
}

func (f *fakeBackend) ContainerExport(ctx context.Context, ref string) (io.ReadCloser, error) {
	if ref == "nope" {
		return nil, errdefs.NotFound("No such container: nope")
	}
	return io.NopCloser(strings.NewReader("rootfs-tar")), nil
}

func TestCommitDiffExport(t *testing.T) {
	srv, b, _ := newRegistryServer(t, &fakeRegistry{})
	r := call(t, srv, "POST", "/commit?container=c1&repo=me/img&tag=v2&comment=hi&author=A&changes=CMD+sh&changes=ENV+X%3D1&pause=0", `{"Cmd":["ls"]}`)
	if r.code != 201 || strings.TrimSpace(r.body) != `{"Id":"sha256:new"}` {
		t.Fatalf("commit: %d %s", r.code, r.body)
	}
	if got := b.calls[len(b.calls)-1]; !strings.HasPrefix(got, "commit c1 me/img:v2 A hi CMD sh|ENV X=1 nopause {") || !strings.Contains(got, `"Cmd":["ls"]`) {
		t.Errorf("commit call %q", got)
	}
	// No body, no pause parameter: pause, nil config.
	request(t, srv, "POST", "/commit?container=c1", nil, "")
	if got := b.calls[len(b.calls)-1]; got != "commit c1     pause null" {
		t.Errorf("commit call %q", got)
	}
	if r := call(t, srv, "POST", "/commit?container=c1&repo=Bad!", ""); r.code != 400 {
		t.Errorf("bad repo: %d", r.code)
	}
	r = call(t, srv, "GET", "/containers/c1/changes", "")
	if r.code != 200 || strings.TrimSpace(r.body) != `[{"Kind":0,"Path":"/tmp"},{"Kind":1,"Path":"/tmp/a"}]` {
		t.Errorf("changes: %d %s", r.code, r.body)
	}
	r = call(t, srv, "GET", "/containers/c1/export", "")
	if r.code != 200 || r.body != "rootfs-tar" || r.header.Get("Content-Type") != "application/x-tar" {
		t.Errorf("export: %d %q", r.code, r.body)
	}
	if r := call(t, srv, "GET", "/containers/nope/export", ""); r.code != 404 {
		t.Errorf("export unknown: %d", r.code)
	}
}

func TestInfoRegistryConfig(t *testing.T) {
	b := &fakeBackend{}
	cfg := &registry.ServiceConfig{Mirrors: []string{"https://m.example/"}, IndexConfigs: map[string]*registry.IndexInfo{
		"docker.io": {Name: "docker.io", Mirrors: []string{"https://m.example/"}, Secure: true, Official: true}}}
	srv := httptest.NewServer(New(Config{Containers: b, Exec: b, Images: &fakeImages{}, System: SystemInfo{Registry: cfg}}))
	defer srv.Close()
	r := call(t, srv, "GET", "/info", "")
	var info struct{ RegistryConfig registry.ServiceConfig }
	if err := json.Unmarshal([]byte(r.body), &info); err != nil || info.RegistryConfig.IndexConfigs["docker.io"] == nil ||
		info.RegistryConfig.Mirrors[0] != "https://m.example/" {
		t.Errorf("info: %s", r.body)
	}
}

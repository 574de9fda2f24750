package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/image"
)

func testImages(imgs *fakeImages) {
	a := &image.Image{ID: "sha256:aaa", RepoTags: []string{"docker.io/library/busybox:latest", "localhost:5000/a/b:c"}, Size: 10, Created: time.Unix(100, 0)}
	a.Config.Config.Labels = map[string]string{"k": "v"}
	b := &image.Image{ID: "sha256:bbb", Size: 20, Created: time.Unix(50, 0)}
	imgs.imgs = []*image.Image{b, a}
}

func TestImageList(t *testing.T) {
	srv, _, imgs := newTestServer(t)
	testImages(imgs)
	var list []map[string]any
	r := call(t, srv, "GET", "/images/json", "")
	if err := json.Unmarshal([]byte(r.body), &list); err != nil || len(list) != 2 {
		t.Fatalf("list %s %v", r.body, err)
	}
	if list[0]["Id"] != "sha256:aaa" || list[0]["Containers"].(float64) != -1 || list[0]["ParentId"] != "" {
		t.Errorf("first %v", list[0])
	}
	if tags := list[0]["RepoTags"].([]any); tags[0] != "busybox:latest" || tags[1] != "localhost:5000/a/b:c" {
		t.Errorf("tags %v", tags)
	}
	if tags := list[1]["RepoTags"].([]any); len(tags) != 0 {
		t.Errorf("untagged at 1.51: %v", tags)
	}
	if _, ok := list[0]["VirtualSize"]; ok {
		t.Error("VirtualSize at 1.51")
	}
	r = call(t, srv, "GET", "/v1.41/images/json", "")
	list = nil
	_ = json.Unmarshal([]byte(r.body), &list)
	if tags := list[1]["RepoTags"].([]any); len(tags) != 1 || tags[0] != "<none>:<none>" || list[1]["VirtualSize"].(float64) != 20 {
		t.Errorf("untagged at 1.41: %v", list[1])
	}
	for q, n := range map[string]int{
		`{"dangling":["true"]}`:     1,
		`{"reference":["busy*"]}`:   1,
		`{"reference":["nomatch"]}`: 0,
		`{"label":["k=v"]}`:         1,
	} {
		list = nil
		_ = json.Unmarshal([]byte(call(t, srv, "GET", "/images/json?filters="+q, "").body), &list)
		if len(list) != n {
			t.Errorf("filter %s: %d images", q, len(list))
		}
	}
}

func TestImageRoutesWithSlashes(t *testing.T) {
	srv, _, imgs := newTestServer(t)
	testImages(imgs)
	r := call(t, srv, "GET", "/v1.41/images/localhost:5000/a/b:c/json", "")
	if r.code != 200 || imgs.calls[0] != "get localhost:5000/a/b:c" {
		t.Fatalf("inspect: %d %s %v", r.code, r.body, imgs.calls)
	}
	var insp struct {
		Id       string
		RepoTags []string
		RootFS   struct{ Type string }
	}
	_ = json.Unmarshal([]byte(r.body), &insp)
	if insp.Id != "sha256:aaa" || insp.RepoTags[0] != "busybox:latest" {
		t.Errorf("inspect %+v", insp)
	}
	if r := call(t, srv, "GET", "/images/nope/json", ""); r.code != 404 || message(t, r) != "No such image: nope" {
		t.Errorf("missing: %d %s", r.code, r.body)
	}
	if r := call(t, srv, "POST", "/images/localhost:5000/a/b:c/tag?repo=me/x&tag=1", ""); r.code != 201 || imgs.calls[len(imgs.calls)-1] != "tag localhost:5000/a/b:c me/x:1" {
		t.Errorf("tag: %d %v", r.code, imgs.calls)
	}
	if r := call(t, srv, "POST", "/images/busybox/tag?repo=Bad/Name", ""); r.code != 400 {
		t.Errorf("bad tag: %d", r.code)
	}
	r = call(t, srv, "DELETE", "/images/localhost:5000/a/b:c?force=1", "")
	if r.code != 200 || imgs.calls[len(imgs.calls)-1] != "delete localhost:5000/a/b:c" ||
		!strings.Contains(r.body, `"Deleted":"sha256:1"`) {
		t.Errorf("delete: %d %s %v", r.code, r.body, imgs.calls)
	}
	if r := call(t, srv, "GET", "/images/localhost:5000/no/pe/history", ""); r.code != 404 || imgs.calls[len(imgs.calls)-1] != "get localhost:5000/no/pe" {
		t.Errorf("history: %d", r.code)
	}
}

func TestImageImport(t *testing.T) {
	srv, _, imgs := newTestServer(t)
	r := call(t, srv, "POST", "/images/create?fromSrc=-&repo=me/img&tag=v1&changes=CMD+sh&changes=ENV+A%3D1", "tar-bytes")
	if r.code != 200 || strings.TrimSpace(r.body) != `{"status":"sha256:feed"}` {
		t.Fatalf("import: %d %q", r.code, r.body)
	}
	if strings.Join(imgs.imports, "|") != "tar-bytes|me/img:v1|CMD sh|ENV A=1" {
		t.Errorf("import got %q", imgs.imports)
	}
	if r := call(t, srv, "POST", "/images/create?fromSrc=-", "bad"); r.code != 400 {
		t.Errorf("bad tar: %d %s", r.code, r.body)
	}
}

func TestImageImportFromURL(t *testing.T) {
	srv, _, imgs := newTestServer(t)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rootfs.tar" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("remote-tar"))
	}))
	defer files.Close()
	r := call(t, srv, "POST", "/images/create?fromSrc="+url.QueryEscape(files.URL+"/rootfs.tar")+"&repo=web", "")
	lines := strings.Split(strings.TrimSpace(r.body), "\n")
	if r.code != 200 || strings.TrimSpace(lines[len(lines)-1]) != `{"status":"sha256:feed"}` || imgs.imports[0] != "remote-tar" || imgs.imports[1] != "web:latest" {
		t.Fatalf("import: %d %q %q", r.code, r.body, imgs.imports)
	}
	r = call(t, srv, "POST", "/images/create?fromSrc="+url.QueryEscape(files.URL+"/missing"), "")
	if r.code != 503 || !strings.Contains(r.body, "404") {
		t.Errorf("missing source: %d %q", r.code, r.body)
	}
}

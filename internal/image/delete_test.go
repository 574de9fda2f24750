package image

import (
	"errors"
	"fmt"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

func results(rs []DeleteResult) string {
	var out string
	for _, r := range rs {
		if r.Untagged != "" {
			out += "Untagged: " + r.Untagged + "\n"
		}
		if r.Deleted != "" {
			out += "Deleted: " + r.Deleted + "\n"
		}
	}
	return out
}

func notUsed(digest.Digest) string { return "" }

func TestDeleteByTagAndID(t *testing.T) {
	s, ls, _ := newStores(t)
	img := imp(t, s, rootfsTar(t, ""), "busybox")
	short := img.ID.Encoded()[:12]
	if err := s.Tag("busybox", "box:v1"); err != nil {
		t.Fatal(err)
	}
	// By ID with two tags: needs force.
	_, err := s.Delete(short, false, notUsed)
	want := fmt.Sprintf("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", short)
	if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
		t.Fatalf("delete by ID: %v", err)
	}
	// By tag: untag only while another tag remains.
	rs, err := s.Delete("box:v1", false, notUsed)
	if err != nil || results(rs) != "Untagged: box:v1\n" {
		t.Fatalf("untag: %q %v", results(rs), err)
	}
	s.Tag("busybox", "box:v2")
	rs, err = s.Delete(img.ID.String(), true, notUsed)
	wantRes := "Untagged: box:v2\nUntagged: busybox:latest\nDeleted: " + img.ID.String() + "\nDeleted: " + img.TopLayer.String() + "\n"
	if err != nil || sortLines(results(rs)) != sortLines(wantRes) {
		t.Fatalf("force delete:\n%s%v\nwant\n%s", results(rs), err, wantRes)
	}
	if _, err := s.Get(short); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("deleted image still found: %v", err)
	}
	if l, _ := ls.List(); len(l) != 0 {
		t.Fatalf("layer not released: %v", l)
	}
	// By its last tag: untag and delete.
	img = imp(t, s, rootfsTar(t, ""), "busybox")
	rs, err = s.Delete("busybox", false, notUsed)
	if err != nil || results(rs) != "Untagged: busybox:latest\nDeleted: "+img.ID.String()+"\nDeleted: "+img.TopLayer.String()+"\n" {
		t.Fatalf("delete last tag: %q %v", results(rs), err)
	}
	if _, err := s.Delete("busybox", false, notUsed); !errors.Is(err, errdefs.ErrNotFound) || err.Error() != "No such image: busybox" {
		t.Fatalf("delete missing: %v", err)
	}
}

func sortLines(s string) string {
	m := map[string]int{}
	for _, l := range splitLines(s) {
		m[l]++
	}
	return fmt.Sprint(m)
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

func TestDeleteInUse(t *testing.T) {
	s, ls, _ := newStores(t)
	img := imp(t, s, rootfsTar(t, ""), "busybox")
	short := img.ID.Encoded()[:12]
	cid := "0123456789abcdef0123"
	used := func(id digest.Digest) string {
		if id == img.ID {
			return cid
		}
		return ""
	}
	if err := ls.CreateRW(cid, img.TopLayer); err != nil {
		t.Fatal(err)
	}
	_, err := s.Delete("busybox", false, used)
	want := fmt.Sprintf(`conflict: unable to remove repository reference "busybox" (must force) - container 0123456789ab is using its referenced image %s`, short)
	if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
		t.Fatalf("by name: %v", err)
	}
	_, err = s.Delete(short, false, used)
	want = fmt.Sprintf("conflict: unable to delete %s (must be forced) - image is being used by stopped container 0123456789ab", short)
	if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
		t.Fatalf("by ID: %v", err)
	}
	rs, err := s.Delete(short, true, used)
	if err != nil || results(rs) != "Untagged: busybox:latest\nDeleted: "+img.ID.String()+"\n" {
		t.Fatalf("force: %q %v", results(rs), err)
	}
	// The container still sits on the layer: it must survive, also a restart's GC.
	if _, err := ls.Get(img.TopLayer); err != nil {
		t.Fatalf("layer of a container released: %v", err)
	}
	if _, err := NewStore(ls2root(t, s), ls); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Get(img.TopLayer); err != nil {
		t.Fatalf("layer of a container released at restart: %v", err)
	}
	if err := ls.RemoveRW(cid); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(ls2root(t, s), ls); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Get(img.TopLayer); err == nil {
		t.Fatal("orphan layer not collected at restart")
	}
}

func ls2root(t *testing.T, s *Store) string {
	t.Helper()
	return s.root[:len(s.root)-len("/images")]
}

func TestSharedLayerRefcount(t *testing.T) {
	s, ls, _ := newStores(t)
	tarb := rootfsTar(t, "")
	a := imp(t, s, tarb, "a", "CMD a")
	b := imp(t, s, tarb, "b", "CMD b")
	if a.ID == b.ID || a.TopLayer != b.TopLayer {
		t.Fatalf("ids %s %s layers %s %s", a.ID, b.ID, a.TopLayer, b.TopLayer)
	}
	rs, err := s.Delete("a", false, notUsed)
	if err != nil || results(rs) != "Untagged: a:latest\nDeleted: "+a.ID.String()+"\n" {
		t.Fatalf("delete a: %q %v", results(rs), err)
	}
	if _, err := ls.Get(b.TopLayer); err != nil {
		t.Fatal("shared layer released while b uses it")
	}
	rs, err = s.Delete("b", false, notUsed)
	if err != nil || results(rs) != "Untagged: b:latest\nDeleted: "+b.ID.String()+"\nDeleted: "+b.TopLayer.String()+"\n" {
		t.Fatalf("delete b: %q %v", results(rs), err)
	}
}

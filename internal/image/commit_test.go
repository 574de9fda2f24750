package image

import (
	"archive/tar"
	"bytes"
	"context"
	"reflect"
	"testing"
)

func fileTar(t *testing.T, name, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if name != "" {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	tw.Close()
	return buf.Bytes()
}

func TestCommitAndHistory(t *testing.T) {
	s, ls, root := newStores(t)
	base, _, _ := registerTar(t, s, rootfsTar(t, ""), "base", "")
	ctr := []byte(`{"Hostname":"abc","Cmd":["sh","-c","echo hi > /f"],"Env":["PATH=/bin","B=2"],"Labels":{"l":"1"},"ExposedPorts":{"80/tcp":{}},"Image":"base"}`)
	img, err := s.Commit(context.Background(), base, bytes.NewReader(fileTar(t, "f", "hi\n")), CommitOptions{
		Ref: "committed:v1", Author: "me <me@x>", Comment: "a message", Config: ctr,
		Changes: []string{"ENV C=3", `ENTRYPOINT ["/bin/sh"]`},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := img.Config
	if img.Parent != base.ID || c.Author != "me <me@x>" || len(c.RootFS.DiffIDs) != 2 || len(c.History) != 3 {
		t.Fatalf("image %+v", img)
	}
	if !reflect.DeepEqual(c.Config.Env, []string{"PATH=/bin", "B=2", "C=3"}) || !reflect.DeepEqual(c.Config.Cmd, []string{"sh", "-c", "echo hi > /f"}) ||
		!reflect.DeepEqual(c.Config.Entrypoint, []string{"/bin/sh"}) || c.Config.Labels["l"] != "1" || c.Config.ExposedPorts == nil {
		t.Fatalf("config %+v", c.Config)
	}
	h, err := s.History("committed:v1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || h[0].ID != img.ID.String() || !reflect.DeepEqual(h[0].Tags, []string{"committed:v1"}) ||
		h[0].Comment != "a message" || h[0].CreatedBy != "sh -c echo hi > /f" || h[0].Size != 3 {
		t.Fatalf("top entry %+v", h[0])
	}
	// The parent's top entry (empty CMD) names the parent; the base layer is <missing>.
	if h[1].ID != base.ID.String() || h[1].Size != 0 || h[1].CreatedBy != `CMD ["sh"]` || h[2].ID != "<missing>" || h[2].Size == 0 {
		t.Fatalf("history %+v", h)
	}
	// An empty diff still makes a layer; commit without parent works.
	empty, err := s.Commit(context.Background(), img, bytes.NewReader(fileTar(t, "", "")), CommitOptions{})
	if err != nil || len(empty.Config.RootFS.DiffIDs) != 3 || empty.Config.Config.Entrypoint[0] != "/bin/sh" {
		t.Fatalf("empty commit: %+v %v", empty, err)
	}
	if _, err := s.Commit(context.Background(), nil, bytes.NewReader(fileTar(t, "g", "")), CommitOptions{Ref: "scratchy"}); err != nil {
		t.Fatal(err)
	}
	// Parent survives a restart.
	s2, err := NewStore(root, ls)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Get("committed:v1"); err != nil || got.Parent != base.ID {
		t.Fatalf("after restart: %v %v", got, err)
	}
	// Prune keeps a dangling image that is a parent... `empty` is dangling
	// and a head: it goes; img is tagged: it stays.
	rs, _, err := s2.Prune(context.Background(), false, notUsed)
	if err != nil || len(rs) == 0 || rs[0].Deleted != empty.ID.String() {
		t.Fatalf("prune: %q %v", results(rs), err)
	}
}

package content

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errdefs"
)

func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

func TestPutReadStatDelete(t *testing.T) {
	s, root := newStore(t)
	b := []byte(`{"hello":"world"}`)
	d, err := s.Put(b)
	if err != nil {
		t.Fatal(err)
	}
	if d != digest.FromBytes(b) {
		t.Fatalf("digest %s", d)
	}
	if _, err := os.Stat(filepath.Join(root, "content/blobs/sha256", d.Encoded())); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadAll(d)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("ReadAll: %q %v", got, err)
	}
	if n, err := s.Stat(d); err != nil || n != int64(len(b)) {
		t.Fatalf("Stat: %d %v", n, err)
	}
	if _, err := s.Put(b); err != nil { // again: fine
		t.Fatal(err)
	}
	var seen []digest.Digest
	if err := s.Walk(func(d digest.Digest, _ int64) error { seen = append(seen, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != d {
		t.Fatalf("Walk: %v", seen)
	}
	if err := s.Delete(d); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(d); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Open after delete: %v", err)
	}
	if _, err := s.Stat("sha256:../../etc"); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad digest: %v", err)
	}
}

func ingestEmpty(t *testing.T, root string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, "content/ingest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Fatalf("ingest not empty: %v", ents)
	}
}

func TestMismatchRejected(t *testing.T) {
	s, root := newStore(t)
	want := digest.FromString("other")
	w, err := s.Writer(want, -1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("data"))
	_, _, err = w.Commit()
	if !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("Commit with wrong digest: %v", err)
	}
	if _, err := s.Stat(want); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("expected blob visible: %v", err)
	}
	if _, err := s.Stat(digest.FromString("data")); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("actual blob visible: %v", err)
	}
	// Wrong size: short and long.
	w, _ = s.Writer(digest.FromString("data"), 5)
	w.Write([]byte("data"))
	if _, _, err := w.Commit(); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("short: %v", err)
	}
	w, _ = s.Writer("", 3)
	if _, err := w.Write([]byte("data")); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("long: %v", err)
	}
	w.Close()
	// Close without Commit discards.
	w, _ = s.Writer("", -1)
	w.Write([]byte("x"))
	w.Close()
	ingestEmpty(t, root)
	n := 0
	s.Walk(func(digest.Digest, int64) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d blobs visible", n)
	}
}

func TestConcurrentWritersSameDigest(t *testing.T) {
	s, root := newStore(t)
	data := bytes.Repeat([]byte("layer data "), 100000)
	d := digest.FromBytes(data)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := s.Writer(d, int64(len(data)))
			if err != nil {
				errs[i] = err
				return
			}
			defer w.Close()
			for off := 0; off < len(data); off += 4096 {
				if _, err := w.Write(data[off:min(off+4096, len(data))]); err != nil {
					errs[i] = err
					return
				}
			}
			_, _, errs[i] = w.Commit()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ReadAll(d)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("blob wrong: %v", err)
	}
	ingestEmpty(t, root)
}

func TestCrashLeftoversCleaned(t *testing.T) {
	s, root := newStore(t)
	w, err := s.Writer("", -1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half a blob")) // the process "dies" here
	if _, err := NewStore(root); err != nil {
		t.Fatal(err)
	}
	ingestEmpty(t, root)
	n := 0
	s.Walk(func(digest.Digest, int64) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d blobs visible", n)
	}
}

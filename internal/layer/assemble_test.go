package layer

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/tar/asm"
	"github.com/vbatts/tar-split/tar/storage"
)

// Metadata recorded before CRC-32C (tar-split's own, crc64 checksums)
// still gives back the tar, and still catches a changed file.
func TestDiffTarReadsCrc64Metadata(t *testing.T) {
	s, _ := newStore(t)
	input := shuffledTar(t, 7)
	l, err := s.Apply("", bytes.NewReader(input))
	must(t, err)
	var meta bytes.Buffer
	zw := gzip.NewWriter(&meta)
	its, err := asm.NewInputTarStream(bytes.NewReader(input), storage.NewJSONPacker(zw), storage.NewDiscardFilePutter())
	must(t, err)
	_, err = io.Copy(io.Discard, its)
	must(t, err)
	must(t, zw.Close())
	if !bytes.Contains(gunzip(t, meta.Bytes()), []byte(`"payload":"`)) {
		t.Fatal("no checksums in tar-split's metadata")
	}
	must(t, os.WriteFile(filepath.Join(s.dir(l.ChainID), splitFile), meta.Bytes(), 0o600))

	out := readAll(t, func() (io.ReadCloser, error) { return s.DiffTar(l.ChainID) })
	if got := digest.FromBytes(out); got != l.DiffID {
		t.Fatalf("DiffTar from crc64 metadata gives %s, layer %s", got, l.DiffID)
	}
	must(t, os.WriteFile(filepath.Join(s.DiffDir(l.ChainID), "d3/f2"), []byte("tampered"), 0o644))
	rc, err := s.DiffTar(l.ChainID)
	must(t, err)
	defer rc.Close()
	if _, err := io.ReadAll(rc); err == nil {
		t.Fatal("changed file not detected with crc64 metadata")
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	must(t, err)
	out, err := io.ReadAll(zr)
	must(t, err)
	return out
}

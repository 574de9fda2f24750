package archive

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/testenv"
)

// TestDebianRoundTrip times load and save of the ~200 MB Debian image.
func TestDebianRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("200 MB image")
	}
	rootfs := testenv.DebianRootfsTar(t)
	p := filepath.Join(t.TempDir(), "debian.tar")
	if err := testenv.WriteDockerArchive(p, testenv.ImageSpec{Tags: []string{"debian:bookworm"}, Layers: []string{rootfs}}); err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	start := time.Now()
	if _, err := loadFile(t, s, p); err != nil {
		t.Fatal(err)
	}
	loaded := time.Since(start)
	img := mustGet(t, s, "debian:bookworm")
	f, err := os.Create(filepath.Join(t.TempDir(), "saved.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start = time.Now()
	if err := Save(t.Context(), s, []string{"debian:bookworm"}, f); err != nil {
		t.Fatal(err)
	}
	saved := time.Since(start)
	n, _ := f.Seek(0, io.SeekCurrent)
	t.Logf("load %v, save %v (%d MB), layer kept: %v", loaded.Round(time.Millisecond), saved.Round(time.Millisecond), n>>20, img.Manifest != "")
	f.Seek(0, io.SeekStart)
	s2 := newStore(t)
	if _, err := loadFile(t, s2, f.Name()); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s2, "debian:bookworm"); got.ID != img.ID {
		t.Fatalf("ID %s after round trip, want %s", got.ID, img.ID)
	}
}

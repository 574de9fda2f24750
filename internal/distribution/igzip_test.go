package distribution

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/wharf/wharf/internal/errdefs"
)

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// inflate runs decompress the way apply does: read to the end, then drain.
func inflate(t *testing.T, ext bool, blob []byte) ([]byte, error) {
	t.Helper()
	old := noIgzip
	noIgzip = !ext
	t.Cleanup(func() { noIgzip = old })
	raw := newAheadReader(bytes.NewReader(blob), 1<<20, 4)
	defer raw.Close()
	dec, closeDec, err := decompress(raw)
	if err != nil {
		return nil, err
	}
	if _, isExt := dec.(*extInflate); isExt != ext {
		t.Fatalf("igzip used: %v, want %v", isExt, ext)
	}
	out, err := io.ReadAll(drainAfter{dec, raw})
	raw.stop()
	raw.Close()
	closeDec()
	return out, err
}

// TestInflaters: igzip (when installed) and the in-process inflate agree,
// take concatenated members, and reject a bad CRC and a truncated stream.
func TestInflaters(t *testing.T) {
	modes := []bool{false}
	if igzipPath() != "" {
		modes = append(modes, true)
	} else {
		t.Log("igzip is not installed (Debian: isal): only the in-process inflate is tested")
	}
	data := make([]byte, 3<<20)
	rand.Read(data[:1<<20]) // and 2 MB of zeros
	blob := append(gz(t, data), gz(t, []byte("second member"))...)
	want := append(append([]byte{}, data...), "second member"...)
	bad := bytes.Clone(blob)
	bad[len(bad)-len(gz(t, []byte("second member")))-8] ^= 1 // first member's CRC
	for _, ext := range modes {
		got, err := inflate(t, ext, blob)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("igzip %v: %d bytes, %v; want %d bytes", ext, len(got), err, len(want))
		}
		if _, err := inflate(t, ext, bad); err == nil {
			t.Errorf("igzip %v: a bad CRC was accepted", ext)
		} else if ext && !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("igzip %v: bad CRC: %v, want an invalid-argument error", ext, err)
		}
		if _, err := inflate(t, ext, blob[:len(blob)/2]); err == nil {
			t.Errorf("igzip %v: a truncated stream was accepted", ext)
		}
	}
}

// TestIgzipStopped: a consumer that gives up mid-stream (a hostile tar
// failing the unpack) leaves no igzip process or goroutine blocked.
func TestIgzipStopped(t *testing.T) {
	if igzipPath() == "" {
		t.Skip("igzip is not installed (Debian: isal)")
	}
	data := make([]byte, 64<<20)
	raw := newAheadReader(bytes.NewReader(gz(t, data)), 1<<20, 4)
	dec, closeDec, err := decompress(raw)
	if err != nil {
		t.Fatal(err)
	}
	x := dec.(*extInflate)
	if _, err := io.ReadFull(dec, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	raw.stop()
	raw.Close()
	closeDec()
	if x.cmd.ProcessState == nil {
		t.Fatalf("%v was not waited for", x)
	}
}

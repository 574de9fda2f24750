package layer

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// shuffledTar writes a layer the way another tool might: entries in a
// random order (files before their dirs), mixed header formats, user and
// group names, sub-second and access times, whiteouts and an opaque dir.
func shuffledTar(t *testing.T, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	type e struct {
		h    tar.Header
		body string
	}
	var ents []e
	for d := 0; d < 8; d++ {
		dir := fmt.Sprintf("d%d/", d)
		ents = append(ents, e{h: tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755}})
		for f := 0; f < 20; f++ {
			body := strings.Repeat(fmt.Sprint(d, f), rng.Intn(3000))
			ents = append(ents, e{h: tar.Header{Name: fmt.Sprintf("%sf%d", dir, f), Typeflag: tar.TypeReg,
				Mode: 0o644, Size: int64(len(body)), Uname: "user", Gname: "group", Uid: 1000, Gid: 1000}, body: body})
		}
		ents = append(ents, e{h: tar.Header{Name: dir + "sym", Typeflag: tar.TypeSymlink, Linkname: "f1"}},
			e{h: tar.Header{Name: dir + ".wh.old", Typeflag: tar.TypeReg, Mode: 0o600}})
	}
	ents = append(ents, e{h: tar.Header{Name: "opq/", Typeflag: tar.TypeDir, Mode: 0o700}},
		e{h: tar.Header{Name: "opq/.wh..wh..opq", Typeflag: tar.TypeReg}},
		e{h: tar.Header{Name: "./dot/empty", Typeflag: tar.TypeReg, Mode: 0o400}})
	rng.Shuffle(len(ents), func(i, j int) { ents[i], ents[j] = ents[j], ents[i] })
	// A hardlink must follow its target.
	ents = append(ents, e{h: tar.Header{Name: "d3/hard", Typeflag: tar.TypeLink, Linkname: "d3/f2"}})

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	formats := []tar.Format{tar.FormatGNU, tar.FormatPAX, tar.FormatUSTAR}
	for i, x := range ents {
		x.h.ModTime = time.Unix(1_600_000_000+int64(i), int64(rng.Intn(1e9)))
		x.h.Format = formats[rng.Intn(len(formats))]
		if x.h.Format != tar.FormatUSTAR {
			x.h.AccessTime = x.h.ModTime.Add(time.Hour)
		} else {
			x.h.ModTime = x.h.ModTime.Truncate(time.Second)
		}
		must(t, tw.WriteHeader(&x.h))
		io.WriteString(tw, x.body)
	}
	must(t, tw.Close())
	buf.Write(make([]byte, 4096)) // trailing zeros after the end marker, as some tools write
	return buf.Bytes()
}

func TestDiffTarGivesBackTheAppliedTar(t *testing.T) {
	s, _ := newStore(t)
	for seed := int64(1); seed <= 3; seed++ {
		input := shuffledTar(t, seed)
		in := input
		if seed == 2 {
			in = gz(t, input)
		}
		l, err := s.Apply("", bytes.NewReader(in))
		must(t, err)
		if l.DiffID != digest.FromBytes(input) {
			t.Fatalf("seed %d: DiffID %s, tar %s", seed, l.DiffID, digest.FromBytes(input))
		}
		out := readAll(t, func() (io.ReadCloser, error) { return s.DiffTar(l.ChainID) })
		if got := digest.FromBytes(out); got != l.DiffID {
			t.Fatalf("seed %d: DiffTar gives %s (%d bytes), layer %s (%d bytes)", seed, got, len(out), l.DiffID, len(input))
		}
	}
}

func TestDiffTarDebianRootfs(t *testing.T) {
	const p = "/var/cache/wharf-test/debian-bookworm.tar"
	f, err := os.Open(p)
	if err != nil {
		t.Skip("no cached Debian rootfs:", err)
	}
	defer f.Close()
	s, _ := newStore(t)
	l, err := s.Apply("", f)
	must(t, err)
	rc, err := s.DiffTar(l.ChainID)
	must(t, err)
	defer rc.Close()
	h := digest.SHA256.Digester()
	_, err = io.Copy(h.Hash(), rc)
	must(t, err)
	if h.Digest() != l.DiffID {
		t.Fatalf("DiffTar gives %s, layer %s", h.Digest(), l.DiffID)
	}
}

// Tars whose bytes the files cannot give back still apply; their layers
// fall back to the canonical walk.
func TestDiffTarLossyFallsBack(t *testing.T) {
	s, _ := newStore(t)
	cases := map[string][]ent{
		"same path twice":    {{name: "a", body: "one"}, {name: "a", body: "two"}},
		"whiteout with data": {{name: ".wh.x", body: "junk"}},
		"replaced by a dir":  {{name: "a", body: "one"}, {name: "a/", typ: '5'}},
	}
	for name, ents := range cases {
		t.Run(name, func(t *testing.T) {
			l, err := s.Apply("", bytes.NewReader(mkTar(t, ents...)))
			must(t, err)
			if _, err := os.Stat(filepath.Join(s.dir(l.ChainID), splitFile)); !os.IsNotExist(err) {
				t.Fatalf("tar-split metadata kept: %v", err)
			}
			out := readAll(t, func() (io.ReadCloser, error) { return s.DiffTar(l.ChainID) })
			if len(tarNames(t, out)) == 0 {
				t.Fatal("empty canonical tar")
			}
		})
	}
}

// A file changed behind the store's back makes DiffTar fail, not lie.
func TestDiffTarDetectsChangedFile(t *testing.T) {
	s, _ := newStore(t)
	l, err := s.Apply("", bytes.NewReader(mkTar(t, ent{name: "d/", typ: '5'}, ent{name: "d/f", body: "original"})))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(s.DiffDir(l.ChainID), "d/f"), []byte("tampered"), 0o644))
	rc, err := s.DiffTar(l.ChainID)
	must(t, err)
	defer rc.Close()
	if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "d/f") {
		t.Fatalf("changed file not detected: %v", err)
	}
}

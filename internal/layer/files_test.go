package layer

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Entries that depend on files still queued for the workers: the result is
// what a sequential unpack gives.
func TestApplyQueuedDependencies(t *testing.T) {
	s, _ := newStore(t)
	var ents []ent
	for i := 0; i < 200; i++ { // keep the workers busy
		ents = append(ents, ent{name: fmt.Sprintf("many/f%03d", i), body: strings.Repeat("x", i*100)})
	}
	big := strings.Repeat("B", maxQueuedFile+1)
	ents = append(ents,
		ent{name: "dup", body: "first"}, ent{name: "dup", body: "second"},
		ent{name: "becomes-dir", body: "file"}, ent{name: "becomes-dir/", typ: '5'}, ent{name: "becomes-dir/in", body: "in"},
		ent{name: "target", body: "shared", mode: 0o640}, ent{name: "hard", typ: '1', link: "target"},
		ent{name: "gone", body: "g"}, ent{name: ".wh.gone"},
		ent{name: "many/", typ: '5', mode: 0o711},
		ent{name: "big", body: big},
	)
	l, err := s.Apply("", bytes.NewReader(mkTar(t, ents...)))
	must(t, err)
	d := s.DiffDir(l.ChainID)
	for name, want := range map[string]string{"dup": "second", "becomes-dir/in": "in", "hard": "shared", "many/f199": strings.Repeat("x", 19900), "big": big} {
		if b, err := os.ReadFile(d + "/" + name); err != nil || string(b) != want {
			t.Errorf("%s: %d bytes, %v", name, len(b), err)
		}
	}
	var st unix.Stat_t
	must(t, unix.Lstat(d+"/hard", &st))
	if st.Nlink != 2 || st.Mode&0o777 != 0o640 || st.Mtim.Sec != mtime.Unix() {
		t.Errorf("hard: nlink %d mode %o mtime %d", st.Nlink, st.Mode, st.Mtim.Sec)
	}
	must(t, unix.Lstat(d+"/gone", &st))
	if !isWhiteout(&st) {
		t.Errorf("gone: mode %o, not a whiteout", st.Mode)
	}
	must(t, unix.Lstat(d+"/many", &st))
	if st.Mode&0o777 != 0o711 || st.Mtim.Sec != mtime.Unix() {
		t.Errorf("many/: mode %o mtime %d (set before its files were written?)", st.Mode, st.Mtim.Sec)
	}
	if ents, _ := os.ReadDir(d + "/many"); len(ents) != 200 {
		t.Errorf("many/ has %d files", len(ents))
	}
}

// A worker's error names its entry and stops the unpack.
func TestApplyWorkerErrorNamesEntry(t *testing.T) {
	s, _ := newStore(t)
	long := "d/" + strings.Repeat("n", 300) // ENAMETOOLONG on create
	tarb := mkTar(t, ent{name: "ok", body: "x"}, ent{name: long, body: "x"}, ent{name: "after", body: "x"})
	_, err := s.Apply("", bytes.NewReader(tarb))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", long)) {
		t.Fatalf("error %v does not name the entry", err)
	}
}

// NewStore marks the layers dir so ext4 spreads new layers over block
// groups (see spreadInodes).
func TestNewStoreSpreadsLayers(t *testing.T) {
	_, root := newStore(t)
	f, err := os.Open(root + "/layers")
	must(t, err)
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Skip("no inode flags here:", err)
	}
	if flags&fsTopdirFL == 0 {
		t.Fatalf("layers dir flags %#x lack FS_TOPDIR_FL", flags)
	}
}

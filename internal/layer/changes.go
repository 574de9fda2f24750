package layer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// Change is one line of `docker diff`: Kind 0 modified, 1 added, 2 deleted
// (Docker's container.ChangeType values).
type Change struct {
	Path string
	Kind uint8
}

// Change kinds, as Docker's container.ChangeType.
const (
	ChangeModify uint8 = 0
	ChangeAdd    uint8 = 1
	ChangeDelete uint8 = 2
)

// RWChanges lists what a container changed against its image, like
// `docker diff`: whiteouts are deletions; a name absent from every lower
// layer is an addition, one present a modification (a directory only if
// its mode, size or mtime differ); an opaque dir is modified and the lower
// entries it hides are deleted; the parents of every change are listed as
// modified (as `docker diff` shows "C /etc" for a changed /etc/passwd).
// Sorted by path.
func (s *Store) RWChanges(id string) ([]Change, error) {
	dirs, err := s.Dirs(id)
	if err != nil {
		return nil, err
	}
	upper, lowers := dirs[0], dirs[1:]
	changes := map[string]uint8{}
	var walk func(rel string) error
	walk = func(rel string) error {
		ents, err := os.ReadDir(filepath.Join(upper, rel))
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := filepath.Join(rel, e.Name())
			p := filepath.Join(upper, name)
			var st unix.Stat_t
			if err := unix.Lstat(p, &st); err != nil {
				continue // gone while we walk
			}
			isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
			switch lower := lowerStat(lowers, name); {
			case isWhiteout(&st):
				changes["/"+name] = ChangeDelete
			case lower == nil:
				changes["/"+name] = ChangeAdd
			case isDir && isOpaque(p):
				changes["/"+name] = ChangeModify
				if err := hiddenBelow(lowers, name, upper, changes); err != nil {
					return err
				}
			case isDir && isDirStat(lower) && sameDir(&st, lower):
				// only a parent of changes, listed below if so
			default:
				changes["/"+name] = ChangeModify
			}
			if isDir && !isWhiteout(&st) {
				if err := walk(name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	for p := range changes {
		for d := filepath.Dir(p); d != "/"; d = filepath.Dir(d) {
			if _, ok := changes[d]; ok {
				break
			}
			changes[d] = ChangeModify
		}
	}
	out := make([]Change, 0, len(changes))
	for p, k := range changes {
		out = append(out, Change{Path: p, Kind: k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// lowerStat finds name in the merged lower layers (top first): nil when a
// whiteout hides it or no layer has it.
func lowerStat(lowers []string, name string) *unix.Stat_t {
	for _, l := range lowers {
		var st unix.Stat_t
		if unix.Lstat(filepath.Join(l, name), &st) == nil {
			if isWhiteout(&st) {
				return nil
			}
			return &st
		}
		if dir := filepath.Dir(name); dir != "." && isOpaque(filepath.Join(l, dir)) {
			return nil
		}
	}
	return nil
}

func isDirStat(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }

func sameDir(st, lower *unix.Stat_t) bool {
	return st.Mode == lower.Mode && st.Size == lower.Size &&
		time.Unix(st.Mtim.Unix()).Equal(time.Unix(lower.Mtim.Unix()))
}

// hiddenBelow marks deleted what the lowers hold in dir name that the opaque
// upper dir does not.
func hiddenBelow(lowers []string, name, upper string, changes map[string]uint8) error {
	seen := map[string]bool{}
	for _, l := range lowers {
		ents, err := os.ReadDir(filepath.Join(l, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // this layer (the init layer, say) does not touch the dir
		}
		if err != nil {
			break // not a dir in this layer: nothing lower shows through
		}
		for _, e := range ents {
			n := e.Name()
			if seen[n] {
				continue
			}
			seen[n] = true
			var st unix.Stat_t
			if unix.Lstat(filepath.Join(l, name, n), &st) == nil && isWhiteout(&st) {
				continue
			}
			if _, err := os.Lstat(filepath.Join(upper, name, n)); err != nil {
				changes["/"+filepath.Join(name, n)] = ChangeDelete
			}
		}
		if isOpaque(filepath.Join(l, name)) {
			break
		}
	}
	return nil
}

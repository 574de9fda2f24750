package jsonlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pollInterval is how often a follower looks for new lines. Polling keeps
// the reader portable and simple; 50 ms is below what a person notices.
const pollInterval = 50 * time.Millisecond

// errStop ends reading once an entry passes Until.
var errStop = errors.New("past until")

type reader struct {
	path string
	opts ReadOptions
	emit func(Entry) error

	tail []Entry // ring of the last Tail entries while reading history
	head int     // next slot of tail to overwrite once it is full
	hist bool    // reading history (Tail applies)

	f       *os.File // the live file being followed
	ino     uint64
	off     int64
	partial []byte
}

func (r *reader) run(ctx context.Context) error {
	r.hist = true
	// Pin the live file first: a rotation after this moment shows up as
	// path.1 having our inode, which we then skip as history.
	r.openLive()
	for _, name := range rotatedFiles(r.path) {
		if r.f != nil && inode(name) == r.ino {
			continue
		}
		if err := r.readFile(name); err != nil {
			return r.done(err)
		}
	}
	if r.f != nil {
		if err := r.drain(); err != nil {
			return r.done(err)
		}
	}
	r.hist = false
	for i := range r.tail {
		if err := r.deliver(r.tail[(r.head+i)%len(r.tail)]); err != nil {
			return r.done(err)
		}
	}
	r.tail = nil
	if !r.opts.Follow {
		r.closeLive()
		return nil
	}
	return r.done(r.follow(ctx))
}

func (r *reader) done(err error) error {
	r.closeLive()
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

func (r *reader) follow(ctx context.Context) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if err := r.catchUp(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.opts.Done:
			// The writer wrote its last entry before Done closed.
			return r.catchUp()
		case <-t.C:
		}
	}
}

// catchUp reads what was appended, following a rotation or truncation.
func (r *reader) catchUp() error {
	if r.f == nil {
		if !r.openLive() {
			return nil
		}
		return r.drain()
	}
	if err := r.drain(); err != nil {
		return err
	}
	cur := inode(r.path)
	if cur == r.ino {
		if st, err := r.f.Stat(); err == nil && st.Size() < r.off {
			// Truncated in place (max-file 1): start over.
			r.off, r.partial = 0, nil
			return r.drain()
		}
		return nil
	}
	// Rotated: our file is now path.k; read any newer rotated files that
	// appeared after it (several rotations between two polls), then the
	// new live file.
	var newer []string
	for i := 1; ; i++ {
		name := r.path + "." + strconv.Itoa(i)
		ino := inode(name)
		if ino == 0 || ino == r.ino {
			break
		}
		newer = append(newer, name)
	}
	r.closeLive()
	for i := len(newer) - 1; i >= 0; i-- {
		if err := r.readFile(newer[i]); err != nil {
			return err
		}
	}
	if r.openLive() {
		return r.drain()
	}
	return nil
}

func (r *reader) openLive() bool {
	f, err := os.Open(r.path)
	if err != nil {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return false
	}
	r.f, r.ino, r.off, r.partial = f, st.Sys().(*syscall.Stat_t).Ino, 0, nil
	return true
}

func (r *reader) closeLive() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// drain reads complete lines from the live file; an unterminated last line
// is kept for the next call.
func (r *reader) drain() error {
	buf := make([]byte, 64*1024)
	for {
		n, err := r.f.ReadAt(buf, r.off)
		if n > 0 {
			r.off += int64(n)
			r.partial = append(r.partial, buf[:n]...)
			i := bytes.LastIndexByte(r.partial, '\n')
			if i >= 0 {
				if lerr := r.lines(r.partial[:i+1]); lerr != nil {
					return lerr
				}
				r.partial = append(r.partial[:0], r.partial[i+1:]...)
			}
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readFile reads a whole (rotated, no longer written) file.
func (r *reader) readFile(name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	return r.lines(b)
}

func (r *reader) lines(b []byte) error {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b) - 1
		}
		line := b[:i+1]
		b = b[i+1:]
		var e Entry
		if len(bytes.TrimSpace(line)) == 0 || json.Unmarshal(line, &e) != nil {
			continue // a torn line from a crash; Docker skips them too
		}
		if err := r.add(e); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) add(e Entry) error {
	if r.hist && r.opts.Tail >= 0 {
		if r.opts.Tail == 0 {
			return nil
		}
		if len(r.tail) < r.opts.Tail {
			r.tail = append(r.tail, e)
			return nil
		}
		r.tail[r.head] = e
		r.head = (r.head + 1) % len(r.tail)
		return nil
	}
	return r.deliver(e)
}

func (r *reader) deliver(e Entry) error {
	if !r.opts.Since.IsZero() && e.Time.Before(r.opts.Since) {
		return nil
	}
	if !r.opts.Until.IsZero() && e.Time.After(r.opts.Until) {
		return errStop
	}
	return r.emit(e)
}

// rotatedFiles lists path.N files, oldest (highest N) first.
func rotatedFiles(path string) []string {
	matches, _ := filepath.Glob(path + ".*")
	type nf struct {
		n    int
		name string
	}
	var fs []nf
	for _, m := range matches {
		n, err := strconv.Atoi(strings.TrimPrefix(m, path+"."))
		if err == nil && n > 0 {
			fs = append(fs, nf{n, m})
		}
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].n > fs[j].n })
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

func inode(name string) uint64 {
	st, err := os.Stat(name)
	if err != nil {
		return 0
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

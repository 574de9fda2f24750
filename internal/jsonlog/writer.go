package jsonlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// maxPartial bounds how much of an unterminated line is held back; past it
// the bytes are written as an entry without "\n", as Docker does at 16 KiB.
const maxPartial = 16 * 1024

// Writer appends entries and rotates by size. Safe for concurrent use.
//
// A line split across Write calls is held until its newline arrives (so a
// pipe read boundary does not cut entries); Flush or Close writes what is
// held.
type Writer struct {
	mu       sync.Mutex
	path     string
	maxSize  int64
	maxFiles int
	f        *os.File
	size     int64
	partial  map[string][]byte
	buf      []byte
}

// NewWriter opens (appending) path. maxSize <= 0 disables rotation; maxFiles
// counts the live file too.
func NewWriter(path string, maxSize int64, maxFiles int) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if maxFiles < 1 {
		maxFiles = 1
	}
	return &Writer{path: path, maxSize: maxSize, maxFiles: maxFiles, f: f,
		size: st.Size(), partial: map[string][]byte{}}, nil
}

// Write records one chunk of a stream; a chunk is split at newlines into entries.
func (w *Writer) Write(stream string, p []byte, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return os.ErrClosed
	}
	held := w.partial[stream]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			held = append(held, p...)
			if len(held) >= maxPartial {
				if err := w.writeEntry(stream, held, t); err != nil {
					return err
				}
				held = held[:0]
			}
			break
		}
		line := p[:i+1]
		if len(held) > 0 {
			line = append(held, line...)
			held = held[:0]
		}
		if err := w.writeEntry(stream, line, t); err != nil {
			return err
		}
		p = p[i+1:]
	}
	w.partial[stream] = held
	return nil
}

// Flush writes the held unterminated lines (e.g. at a stream's EOF).
func (w *Writer) Flush(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked(t)
}

func (w *Writer) flushLocked(t time.Time) error {
	if w.f == nil {
		return nil
	}
	for _, s := range []string{"stdout", "stderr"} {
		if len(w.partial[s]) > 0 {
			if err := w.writeEntry(s, w.partial[s], t); err != nil {
				return err
			}
			w.partial[s] = w.partial[s][:0]
		}
	}
	return nil
}

// Close flushes held lines and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	ferr := w.flushLocked(time.Now())
	err := w.f.Close()
	w.f = nil
	if ferr != nil {
		return ferr
	}
	return err
}

func (w *Writer) writeEntry(stream string, line []byte, t time.Time) error {
	b := w.buf[:0]
	b = append(b, `{"log":`...)
	s, err := json.Marshal(string(line))
	if err != nil {
		return err
	}
	b = append(b, s...)
	b = append(b, `,"stream":`...)
	b = strconv.AppendQuote(b, stream)
	b = append(b, `,"time":"`...)
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, "\"}\n"...)
	w.buf = b
	if w.maxSize > 0 && w.size > 0 && w.size+int64(len(b)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	return err
}

// rotate shifts path.(n-1) <- ... <- path.1 <- path and starts an empty path.
// With maxFiles 1 the live file is truncated instead.
func (w *Writer) rotate() error {
	if w.maxFiles <= 1 {
		if err := w.f.Truncate(0); err != nil {
			return err
		}
		w.size = 0
		return nil
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	w.f = nil
	for i := w.maxFiles - 1; i >= 1; i-- {
		from := w.path
		if i > 1 {
			from = fmt.Sprintf("%s.%d", w.path, i-1)
		}
		to := fmt.Sprintf("%s.%d", w.path, i)
		if err := os.Rename(from, to); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	w.f, w.size = f, 0
	return nil
}

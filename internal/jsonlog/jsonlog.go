// Package jsonlog writes and reads Docker's json-file log format: one JSON
// object per line, {"log":"...\n","stream":"stdout","time":"RFC3339Nano"},
// rotated to path.1, path.2, ... It uses the standard library only, because
// the supervisor writes with it.
package jsonlog

import (
	"context"
	"time"

	"github.com/wharf/wharf/internal/errdefs"
)

// CONTRACT (writer used by the supervisor, reader by the engine).

// Entry is one log line.
type Entry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"` // "stdout" or "stderr"
	Time   time.Time `json:"time"`
}

// Writer appends entries and rotates by size. Safe for concurrent use.
type Writer struct{}

// NewWriter opens (appending) path. maxSize <= 0 disables rotation; maxFiles
// counts the live file too.
func NewWriter(path string, maxSize int64, maxFiles int) (*Writer, error) {
	return nil, errdefs.NotImplemented("jsonlog: NewWriter")
}

// Write records one chunk of a stream; a chunk is split at newlines into entries.
func (w *Writer) Write(stream string, p []byte, t time.Time) error {
	return errdefs.NotImplemented("jsonlog: Write")
}

func (w *Writer) Close() error { return nil }

// ReadOptions select entries. Tail < 0 means all.
type ReadOptions struct {
	Tail   int
	Since  time.Time // zero: no lower bound
	Until  time.Time // zero: no upper bound
	Follow bool
	// Done, when Follow is set, is closed when the container has stopped:
	// the reader then drains what is left and returns.
	Done <-chan struct{}
}

// Read emits matching entries across the rotated files, oldest first, and
// with Follow keeps reading (across rotations) until ctx ends or Done closes.
func Read(ctx context.Context, path string, opts ReadOptions, emit func(Entry) error) error {
	return errdefs.NotImplemented("jsonlog: Read")
}

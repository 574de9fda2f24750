// Package jsonlog writes and reads Docker's json-file log format: one JSON
// object per line, {"log":"...\n","stream":"stdout","time":"RFC3339Nano"},
// rotated to path.1, path.2, ... It uses the standard library only, because
// the supervisor writes with it.
package jsonlog

import (
	"context"
	"time"
)

// CONTRACT (writer used by the supervisor, reader by the engine).

// Entry is one log line.
type Entry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"` // "stdout" or "stderr"
	Time   time.Time `json:"time"`
}

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
// Like Docker, Tail counts the last entries on disk before Since/Until filter
// them. It returns nil when ctx ends or Done closes, or emit's error.
func Read(ctx context.Context, path string, opts ReadOptions, emit func(Entry) error) error {
	r := &reader{path: path, opts: opts, emit: emit}
	return r.run(ctx)
}

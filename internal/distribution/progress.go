package distribution

import (
	"io"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// shortID is the 12-hex layer ID Docker shows in progress lines.
func shortID(d digest.Digest) string {
	e := d.Encoded()
	if len(e) > 12 {
		return e[:12]
	}
	return e
}

// reporter sends events, serialized (Progress need not be safe for
// concurrent use) and never to a nil func.
type reporter struct {
	mu sync.Mutex
	p  Progress
}

func (r *reporter) send(id, status string, current, total int64) {
	if r == nil || r.p == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p(Event{ID: id, Status: status, Current: current, Total: total})
}

func (r *reporter) status(id, status string) { r.send(id, status, 0, 0) }

// counter counts bytes read through it and reports them as status at most
// ten times a second.
type counter struct {
	r      io.Reader
	rep    *reporter
	id     string
	status string
	total  int64
	n      int64
	last   time.Time
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if now := time.Now(); now.Sub(c.last) >= 100*time.Millisecond {
		c.last = now
		c.rep.send(c.id, c.status, c.n, c.total)
	}
	return n, err
}

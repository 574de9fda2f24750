package supervisor

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/wharf/wharf/internal/jsonlog"
)

// hub owns one process's stdio: it pumps output to the log and to every
// attached connection, and feeds attachers' input to the process's stdin.
// Two goroutines per process with pipes (one with a pty), 8 KiB each.
type hub struct {
	tty       bool
	stdinOnce bool
	log       *jsonlog.Writer // nil: not logged (execs)

	mu      sync.Mutex
	stdin   *os.File // process stdin (pipe write end or pty master); nil when closed
	subs    []*sub
	pumps   int
	closed  bool
	drained chan struct{} // closed when every pump has reached EOF
	srcs    []*os.File
}

type sub struct {
	conn           net.Conn
	stdout, stderr bool
}

const (
	streamStdout = 1
	streamStderr = 2
)

func newHub(tty, stdinOnce bool, log *jsonlog.Writer, stdin *os.File) *hub {
	return &hub{tty: tty, stdinOnce: stdinOnce, log: log, stdin: stdin, drained: make(chan struct{})}
}

// start pumps each non-nil source; the pty master counts as stdout.
func (h *hub) start(stdout, stderr *os.File) {
	h.mu.Lock()
	for _, f := range []*os.File{stdout, stderr} {
		if f != nil {
			h.pumps++
			h.srcs = append(h.srcs, f)
		}
	}
	if h.pumps == 0 {
		close(h.drained)
	}
	h.mu.Unlock()
	if stdout != nil {
		go h.pump(stdout, streamStdout)
	}
	if stderr != nil {
		go h.pump(stderr, streamStderr)
	}
}

func (h *hub) pump(f *os.File, stream byte) {
	buf := make([]byte, 8+8192) // room for the stdcopy header in front
	name := "stdout"
	if stream == streamStderr {
		name = "stderr"
	}
	for {
		n, err := f.Read(buf[8:])
		if n > 0 {
			h.emit(stream, name, buf[:8+n])
		}
		if err != nil { // EOF, or EIO from a pty whose slave side is gone
			break
		}
	}
	f.Close()
	h.mu.Lock()
	h.pumps--
	if h.pumps == 0 {
		close(h.drained)
	}
	h.mu.Unlock()
}

// emit writes a chunk (frame[8:]) to the log and to the attachers.
func (h *hub) emit(stream byte, name string, frame []byte) {
	data := frame[8:]
	if h.log != nil {
		_ = h.log.Write(name, data, time.Now().UTC())
	}
	frame[0] = stream
	frame[1], frame[2], frame[3] = 0, 0, 0
	binary.BigEndian.PutUint32(frame[4:], uint32(len(data)))
	out := frame
	if h.tty {
		out = data
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.subs[:0]
	for _, s := range h.subs {
		if (stream == streamStdout && !s.stdout) || (stream == streamStderr && !s.stderr) {
			kept = append(kept, s)
			continue
		}
		if _, err := s.conn.Write(out); err != nil {
			s.conn.Close()
			continue
		}
		kept = append(kept, s)
	}
	h.subs = kept
}

// attach adds a connection; with stdin, its input is fed to the process.
// A hub that has finished closes the connection at once (EOF).
func (h *hub) attach(conn net.Conn, opts AttachOptions, input io.Reader) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		conn.Close()
		return
	}
	h.subs = append(h.subs, &sub{conn: conn, stdout: opts.Stdout, stderr: opts.Stderr})
	feed := opts.Stdin && h.stdin != nil
	h.mu.Unlock()
	if feed {
		go h.feed(input)
	}
}

func (h *hub) feed(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			h.mu.Lock()
			w := h.stdin
			h.mu.Unlock()
			if w == nil {
				return
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			break
		}
	}
	// The attacher's stdin ended. A pty master is the output too: never
	// close it here.
	if h.stdinOnce && !h.tty {
		h.closeStdin()
	}
}

func (h *hub) closeStdin() {
	h.mu.Lock()
	if h.stdin != nil && !h.tty {
		h.stdin.Close()
	}
	h.stdin = nil
	h.mu.Unlock()
}

// drain waits (up to grace) for the output to reach EOF; past grace
// (a background child still holds the pipes) the output is cut.
func (h *hub) drain(grace time.Duration) {
	select {
	case <-h.drained:
		return
	case <-time.After(grace):
	}
	h.mu.Lock()
	for _, f := range h.srcs {
		f.Close() // unblocks the pumps
	}
	h.mu.Unlock()
	<-h.drained
}

// close ends every attacher's stream and releases the stdio and the log.
func (h *hub) close() {
	h.closeStdin()
	h.mu.Lock()
	h.closed = true
	for _, s := range h.subs {
		s.conn.Close()
	}
	h.subs = nil
	h.mu.Unlock()
	if h.log != nil {
		h.log.Close()
	}
}

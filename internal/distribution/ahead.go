package distribution

import (
	"io"
	"sync"
)

// aheadReader reads its source in its own goroutine, up to depth chunks
// ahead of its consumer: each stage of a pull (network and blob file,
// inflate, unpack) then runs on its own core without waiting for the
// next one to ask, unlike io.Pipe which hands over one write at a time.
type aheadReader struct {
	chunks chan []byte
	done   chan struct{}
	once   sync.Once
	err    error // set before chunks is closed
	cur    []byte
	buf    []byte // cur's backing buffer, back to the pool when read
	pool   *sync.Pool
	exited chan struct{}
}

func newAheadReader(src io.Reader, chunk, depth int) *aheadReader {
	a := &aheadReader{
		chunks: make(chan []byte, depth),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
		pool:   &sync.Pool{New: func() any { return make([]byte, chunk) }},
	}
	go a.fill(src)
	return a
}

func (a *aheadReader) fill(src io.Reader) {
	defer close(a.exited)
	defer close(a.chunks)
	for {
		b := a.pool.Get().([]byte)
		n, err := io.ReadAtLeast(src, b, len(b))
		if n > 0 {
			select {
			case a.chunks <- b[:n]:
			case <-a.done:
				return
			}
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if err != nil {
			a.err = err
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.buf != nil {
			a.pool.Put(a.buf[:cap(a.buf)])
			a.buf = nil
		}
		b, ok := <-a.chunks
		if !ok {
			return 0, a.err
		}
		a.cur, a.buf = b, b
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// WriteTo hands whole chunks to w (bufio.Reader and io.Copy use it).
func (a *aheadReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(a.cur) == 0 {
			if a.buf != nil {
				a.pool.Put(a.buf[:cap(a.buf)])
				a.buf = nil
			}
			b, ok := <-a.chunks
			if !ok {
				if a.err == io.EOF {
					return total, nil
				}
				return total, a.err
			}
			a.cur, a.buf = b, b
		}
		n, err := w.Write(a.cur)
		total += int64(n)
		a.cur = a.cur[n:]
		if err != nil {
			return total, err
		}
	}
}

// stop tells the producer to quit at its next chunk.
func (a *aheadReader) stop() { a.once.Do(func() { close(a.done) }) }

// Close stops the producer and waits for it: its source may be closed
// afterwards.
func (a *aheadReader) Close() error {
	a.stop()
	<-a.exited
	return nil
}

// drainAfter reads r and, at its end, the rest of raw, so that the
// compressed stream is read to its end (gzip trailer, blob digest) before
// the consumer sees EOF.
type drainAfter struct {
	r, raw io.Reader
}

func (d drainAfter) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == io.EOF {
		if _, derr := io.Copy(io.Discard, d.raw); derr != nil {
			return n, derr
		}
	}
	return n, err
}

package container

import (
	"io"

	"github.com/moby/term"

	"github.com/wharf/wharf/internal/errdefs"
)

var defaultDetachKeys = []byte{16, 17} // ctrl-p, ctrl-q

// parseDetachKeys reads Docker's "ctrl-p,ctrl-q" / "a,ctrl-b" form.
func parseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return defaultDetachKeys, nil
	}
	keys, err := term.ToBytes(s)
	if err != nil || len(keys) == 0 {
		return nil, errdefs.Invalid("Invalid detach keys (%s) provided", s)
	}
	return keys, nil
}

// detachScanner finds the detach sequence in a client's input. Bytes that
// may start the sequence are held back until the next byte tells.
type detachScanner struct {
	keys    []byte
	matched int
}

// scan returns the input to pass on and whether the sequence was completed.
func (d *detachScanner) scan(p []byte) (out []byte, detach bool) {
	for _, b := range p {
		if b == d.keys[d.matched] {
			d.matched++
			if d.matched == len(d.keys) {
				d.matched = 0
				return out, true
			}
			continue
		}
		if d.matched > 0 {
			out = append(out, d.keys[:d.matched]...)
			d.matched = 0
			if b == d.keys[0] {
				d.matched = 1
				continue
			}
		}
		out = append(out, b)
	}
	return out, false
}

// copyInput copies in to w until EOF (detached=false) or the detach
// sequence (detached=true).
func copyInput(w io.Writer, in io.Reader, keys []byte) (detached bool, err error) {
	d := &detachScanner{keys: keys}
	buf := make([]byte, 32*1024)
	for {
		n, rerr := in.Read(buf)
		if n > 0 {
			out, det := d.scan(buf[:n])
			if len(out) > 0 {
				if _, err := w.Write(out); err != nil {
					return false, err
				}
			}
			if det {
				return true, nil
			}
		}
		if rerr == io.EOF {
			return false, nil
		}
		if rerr != nil {
			return false, rerr
		}
	}
}

package cli

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"golang.org/x/sys/unix"
)

const defaultDetachKeys = "ctrl-p,ctrl-q"

// errNotTTY is docker's answer to -it with stdin redirected.
var errNotTTY = errors.New("the input device is not a TTY")

func isTerminal(in io.Reader) bool {
	_, ok := term.GetFdInfo(in)
	return ok
}

// errDetached says the user typed the detach keys: the container keeps running.
var errDetached = errors.New("detached")

// streams is what one attach or exec session connects to.
type streams struct {
	in         io.Reader // nil when stdin is not attached
	out, err   io.Writer
	tty        bool
	detachKeys string
}

// pump copies the hijacked connection to the local streams (demultiplexed unless
// tty) and stdin to the connection, until the output ends or the user detaches.
func (c *CLI) pump(resp client.HijackedResponse, s streams) error {
	if s.tty && s.in != nil {
		if fd, ok := term.GetFdInfo(s.in); ok {
			state, err := term.SetRawTerminal(fd)
			if err == nil {
				defer term.RestoreTerminal(fd, state)
			}
		}
	}
	outDone := make(chan error, 1)
	go func() {
		var err error
		if s.tty {
			_, err = io.Copy(s.out, resp.Reader)
		} else {
			_, err = stdcopy.StdCopy(s.out, s.err, resp.Reader)
		}
		outDone <- err
	}()
	inDone := make(chan error, 1)
	if s.in != nil {
		go func() { inDone <- copyInput(resp, s) }()
	}
	select {
	case err := <-outDone:
		return err
	case err := <-inDone:
		if err != nil {
			return err
		}
		return <-outDone
	}
}

// copyInput sends stdin; with a tty it watches for the detach keys like docker does.
func copyInput(resp client.HijackedResponse, s streams) error {
	in := s.in
	if s.tty {
		keys := s.detachKeys
		if keys == "" {
			keys = defaultDetachKeys
		}
		seq, err := term.ToBytes(keys)
		if err != nil {
			return err
		}
		in = term.NewEscapeProxy(in, seq)
	}
	_, err := io.Copy(resp.Conn, in)
	var esc term.EscapeError
	if errors.As(err, &esc) {
		// The caller closes the connection; closing here would race the output copy.
		return errDetached
	}
	resp.CloseWrite()
	return nil
}

// termSize reads the size of the terminal behind w, if it is one.
func termSize(w any) (h, wd uint, ok bool) {
	fd, isTerm := term.GetFdInfo(w)
	if !isTerm {
		return 0, 0, false
	}
	ws, err := term.GetWinsize(fd)
	if err != nil || ws.Height == 0 {
		return 0, 0, false
	}
	return uint(ws.Height), uint(ws.Width), true
}

// watchSize sends the terminal size now and on every SIGWINCH until stop is closed.
func (c *CLI) watchSize(resize func(h, w uint) error) (stop func()) {
	if _, isTerm := term.GetFdInfo(c.Out); !isTerm {
		return func() {}
	}
	send := func() {
		if h, w, ok := termSize(c.Out); ok {
			resize(h, w)
		}
	}
	send()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				send()
			case <-done:
				return
			}
		}
	}()
	// signal.Stop restores 60-odd handlers one by one (about 1 ms): it runs
	// in the background, off the path to the command's exit.
	return func() {
		close(done)
		go signal.Stop(ch)
	}
}

// proxySignals forwards the signals the CLI receives to the container.
func (c *CLI) proxySignals(kill func(sig string)) (stop func()) {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				sig := s.(syscall.Signal)
				switch sig {
				case unix.SIGCHLD, unix.SIGPIPE, unix.SIGURG, unix.SIGWINCH:
					continue
				}
				kill(unix.SignalName(sig))
			case <-done:
				return
			}
		}
	}()
	// signal.Stop restores 60-odd handlers one by one (about 1 ms): it runs
	// in the background, off the path to the command's exit.
	return func() {
		close(done)
		go signal.Stop(ch)
	}
}

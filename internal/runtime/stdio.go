package runtime

import (
	"errors"
	"os"
	"syscall"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// Stdio says how a process's standard streams are provided.
type Stdio struct {
	Terminal bool // one pty; Process.Console is its master (input and output)
	Stdin    bool // a stdin pipe (Process.Stdin); otherwise /dev/null
	Discard  bool // no output capture: stdout and stderr go to /dev/null
}

// Process is a started process and the caller's ends of its stdio. All
// files are non-blocking (served by Go's poller, no thread per read).
type Process struct {
	Pid     int
	Stdin   *os.File // write end, or nil
	Stdout  *os.File // read end, or nil
	Stderr  *os.File // read end, or nil
	Console *os.File // pty master with Terminal, or nil

	sock *os.File // our end of the console socket until the master arrives
	lp   *libcontainer.Process
}

// Wait reaps the process and returns its exit code, 128+n when signal n
// killed it (255 if it cannot be known).
func (p *Process) Wait() int {
	ps, _ := p.lp.Wait()
	if ps == nil {
		return 255
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return 255
	case ws.Signaled():
		return 128 + int(ws.Signal())
	default:
		return ws.ExitStatus()
	}
}

// Close closes the caller's ends that are still open.
func (p *Process) Close() {
	for _, f := range []*os.File{p.Stdin, p.Stdout, p.Stderr, p.Console, p.sock} {
		if f != nil {
			f.Close()
		}
	}
}

// setup gives lp its stdio and returns our ends plus the child's ends,
// which the caller closes once the process has inherited them.
func (s Stdio) setup(lp *libcontainer.Process) (_ *Process, child []*os.File, err error) {
	p := &Process{lp: lp}
	defer func() {
		if err != nil {
			p.Close()
			for _, f := range child {
				f.Close()
			}
		}
	}()
	if s.Terminal {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, nil, err
		}
		p.sock = os.NewFile(uintptr(fds[0]), "console-parent")
		c := os.NewFile(uintptr(fds[1]), "console-child")
		child = append(child, c)
		lp.ConsoleSocket = c
		return p, child, nil
	}
	if s.Stdin {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, nil, err
		}
		p.Stdin, lp.Stdin = w, r
		child = append(child, r)
	}
	if s.Discard {
		return p, child, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	p.Stdout, lp.Stdout = r, w
	child = append(child, w)
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	p.Stderr, lp.Stderr = r, w
	child = append(child, w)
	return p, child, nil
}

// recvConsole receives the pty master that the container's process sent
// over the console socket.
func (p *Process) recvConsole() error {
	defer func() { p.sock.Close(); p.sock = nil }()
	buf := make([]byte, 64)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(p.sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return err
	}
	if len(msgs) != 1 {
		return errors.New("no file descriptor in the console message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return errors.New("no file descriptor in the console message")
	}
	// Non-blocking before NewFile, so that reads park a goroutine in the
	// poller instead of blocking a thread.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return err
	}
	p.Console = os.NewFile(uintptr(fds[0]), "pty-master")
	return nil
}

// Resize sets the pty size.
func (p *Process) Resize(width, height uint16) error {
	if p.Console == nil {
		return errors.New("process has no tty")
	}
	return unix.IoctlSetWinsize(int(p.Console.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: width, Row: height})
}

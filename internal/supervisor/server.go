package supervisor

import (
	"bufio"
	"encoding/json"
	"log"
	"net"
	"sync"
	"syscall"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/runtime"
)

type server struct {
	rt     *runtime.Runtime
	reaper *reaper

	mu       sync.Mutex
	ctrs     map[string]*ctr
	reserved map[string]bool // ids being created
	// leaving holds the deleted containers whose runtime state is still
	// being destroyed: a create of the same id waits for it.
	leaving map[string]*ctr
}

func newServer(rt *runtime.Runtime) *server {
	return &server{rt: rt, reaper: newReaper(), ctrs: map[string]*ctr{}, reserved: map[string]bool{},
		leaving: map[string]*ctr{}}
}

func (s *server) serve(l *net.UnixListener) error {
	for {
		conn, err := l.AcceptUnix()
		if err != nil {
			return err
		}
		go s.handle(conn)
	}
}

// reserve claims id for a create; a previous container of that id still
// being destroyed is waited for, so that its runtime state is gone.
func (s *server) reserve(id string) bool {
	s.mu.Lock()
	if s.reserved[id] || s.ctrs[id] != nil {
		s.mu.Unlock()
		return false
	}
	s.reserved[id] = true
	prev := s.leaving[id]
	s.mu.Unlock()
	if prev != nil {
		<-prev.destroyed
	}
	return true
}

func (s *server) release(id string) {
	s.mu.Lock()
	delete(s.reserved, id)
	s.mu.Unlock()
}

func (s *server) add(c *ctr) {
	s.mu.Lock()
	delete(s.reserved, c.id)
	s.ctrs[c.id] = c
	s.mu.Unlock()
}

func (s *server) get(id string) (*ctr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.ctrs[id]; c != nil {
		return c, nil
	}
	return nil, errdefs.NotFound("No such container: %s", id)
}

// handle serves one call. Attach and exec hand the connection over to
// the process's hub; every other call closes it after the reply.
func (s *server) handle(conn *net.UnixConn) {
	br := bufio.NewReader(conn)
	line, err := br.ReadBytes('\n')
	if err != nil {
		conn.Close()
		return
	}
	var req request
	var rep reply
	keep := false
	if err := json.Unmarshal(line, &req); err != nil {
		rep.Err = toWire(errdefs.Invalid("supervisor: bad request: %v", err))
	} else {
		keep = s.dispatch(conn, br, &req, &rep)
	}
	if !keep {
		send(conn, &rep)
		conn.Close()
	}
}

func send(conn net.Conn, rep *reply) error {
	b, _ := json.Marshal(rep)
	_, err := conn.Write(append(b, '\n'))
	return err
}

// dispatch fills rep; it returns true when it has sent the reply itself
// and kept the connection as a stream.
func (s *server) dispatch(conn *net.UnixConn, br *bufio.Reader, req *request, rep *reply) bool {
	var err error
	switch req.Op {
	case opPing:
	case opCreate:
		if req.Create == nil {
			err = errdefs.Invalid("create: no request")
			break
		}
		var st State
		st, err = s.create(req.Create)
		rep.State = &st
	case opList:
		s.mu.Lock()
		all := make([]*ctr, 0, len(s.ctrs))
		for _, c := range s.ctrs {
			all = append(all, c)
		}
		s.mu.Unlock()
		rep.States = make([]State, 0, len(all))
		for _, c := range all {
			rep.States = append(rep.States, c.snapshot())
		}
	case opWait:
		var c *ctr
		if c, err = s.get(req.ID); err == nil {
			err = waitOrHangup(c, br)
			st := c.snapshot()
			rep.State = &st
		}
	case opAttach:
		return s.attach(conn, br, req, rep)
	case opExec:
		return s.exec(conn, br, req, rep)
	default:
		var c *ctr
		if c, err = s.get(req.ID); err == nil {
			err = s.call(c, req, rep)
		}
	}
	rep.Err = toWire(err)
	return false
}

// call runs the operations on one existing container.
func (s *server) call(c *ctr, req *request, rep *reply) error {
	switch req.Op {
	case opStart:
		st, err := c.start()
		rep.State = &st
		return err
	case opKill:
		return c.kill(syscall.Signal(req.Signal), req.All)
	case opPause:
		return c.pause()
	case opResume:
		return c.resume()
	case opState:
		st := c.snapshot()
		rep.State = &st
	case opResize:
		p, err := c.proc(req.ExecID)
		if err != nil {
			return err
		}
		if err := p.Resize(req.Width, req.Height); err != nil {
			return errdefs.Conflict("resize: %v", err)
		}
	case opExecState:
		c.mu.Lock()
		defer c.mu.Unlock()
		e := c.execs[req.ExecID]
		if e == nil {
			return errdefs.NotFound("No such exec instance: %s", req.ExecID)
		}
		st := e.state
		rep.Exec = &st
	case opPids:
		if c.snapshot().Status == StatusExited {
			rep.Pids = []int{}
			return nil
		}
		pids, err := c.rc.Pids()
		rep.Pids = pids
		return err
	case opDelete:
		return s.delete(c)
	default:
		return errdefs.Invalid("supervisor: unknown operation %q", req.Op)
	}
	return nil
}

// waitOrHangup blocks until the container is done or the client hangs up
// (its context ended), so that abandoned waits do not pile up.
func waitOrHangup(c *ctr, br *bufio.Reader) error {
	hangup := make(chan struct{})
	go func() {
		br.ReadByte() // the client sends nothing more: returns at hang-up
		close(hangup)
	}()
	select {
	case <-c.done:
		return nil
	case <-hangup:
		return errdefs.Unavailable("wait: client went away")
	}
}

func (c *ctr) proc(execID string) (*runtime.Process, error) {
	if execID == "" {
		return c.init, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.execs[execID]; e != nil {
		return e.proc, nil
	}
	return nil, errdefs.NotFound("No such exec instance: %s", execID)
}

func (s *server) delete(c *ctr) error {
	switch c.snapshot().Status {
	case StatusRunning, StatusPaused:
		return errdefs.Conflict("container %s is running: stop it before removing it", c.id)
	case StatusCreated: // its init waits on the exec fifo: kill it
		_ = c.rc.Signal(syscall.SIGKILL, false)
	}
	<-c.done
	s.mu.Lock()
	if s.ctrs[c.id] != c {
		s.mu.Unlock()
		return errdefs.NotFound("No such container: %s", c.id)
	}
	delete(s.ctrs, c.id)
	s.leaving[c.id] = c
	s.mu.Unlock()
	go func() {
		<-c.destroyed
		s.mu.Lock()
		if s.leaving[c.id] == c {
			delete(s.leaving, c.id)
		}
		s.mu.Unlock()
	}()
	// The rootfs is unmounted on the host side only: the container's
	// processes (all dead unless sharedPID, whose exit waited for Destroy)
	// had their own mount namespace.
	if err := unmountAll(c.mounted); err != nil {
		log.Printf("container %s: %v", c.id, err)
		return err
	}
	return nil
}

func (s *server) attach(conn *net.UnixConn, br *bufio.Reader, req *request, rep *reply) bool {
	c, err := s.get(req.ID)
	if err == nil && c.snapshot().Status == StatusExited {
		err = errdefs.Conflict("container %s is not running", c.id)
	}
	if err != nil {
		rep.Err = toWire(err)
		return false
	}
	if send(conn, rep) != nil {
		conn.Close()
		return true
	}
	c.io.attach(conn, req.Attach, br)
	return true
}

func (s *server) exec(conn *net.UnixConn, br *bufio.Reader, req *request, rep *reply) bool {
	if req.Exec == nil {
		rep.Err = toWire(errdefs.Invalid("exec: no request"))
		return false
	}
	c, err := s.get(req.Exec.ID)
	var e *execProc
	if err == nil {
		e, err = c.exec(s, req.Exec)
	}
	if err != nil {
		rep.Err = toWire(err)
		return false
	}
	st := e.state
	rep.Exec = &st
	if !req.Exec.Detach {
		// Attached before the pumps start: no output can be missed or
		// written ahead of the reply.
		e.io.attach(conn, AttachOptions{Stdin: req.Exec.Stdin, Stdout: true, Stderr: true}, br)
	}
	send(conn, rep)
	if req.Exec.Detach {
		conn.Close()
	}
	if req.Exec.Tty {
		e.io.start(e.proc.Console, nil)
	} else {
		e.io.start(e.proc.Stdout, e.proc.Stderr)
	}
	s.reaper.watch(e.proc.Pid, func() { c.execExited(e, e.proc.Wait()) })
	return true
}

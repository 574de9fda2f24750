package supervisor

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// reaper collects the exit statuses of the processes we started, on
// SIGCHLD, with wait4 on each watched pid only: libcontainer waits for
// its own helper processes, so a wait4(-1) here would steal them.
type reaper struct {
	mu      sync.Mutex
	watched map[int]func(code int)
	kick    chan os.Signal
}

func newReaper() *reaper {
	r := &reaper{watched: map[int]func(int){}, kick: make(chan os.Signal, 1)}
	signal.Notify(r.kick, syscall.SIGCHLD)
	go r.loop()
	return r
}

// watch calls onExit (in its own goroutine) with the exit code of pid,
// 128+n when killed by signal n.
func (r *reaper) watch(pid int, onExit func(code int)) {
	r.mu.Lock()
	r.watched[pid] = onExit
	r.mu.Unlock()
	select { // the process may have exited already
	case r.kick <- syscall.SIGCHLD:
	default:
	}
}

func (r *reaper) loop() {
	for range r.kick {
		r.mu.Lock()
		for pid, fn := range r.watched {
			var ws unix.WaitStatus
			got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			if got == 0 || err == unix.EINTR {
				continue
			}
			delete(r.watched, pid)
			code := 255
			switch {
			case err != nil: // ECHILD: someone else reaped it
			case ws.Exited():
				code = ws.ExitStatus()
			case ws.Signaled():
				code = 128 + int(ws.Signal())
			}
			go fn(code)
		}
		r.mu.Unlock()
	}
}

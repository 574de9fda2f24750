package supervisor

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// reaper notices, on SIGCHLD, which watched processes have exited, with a
// non-reaping waitid on each watched pid only: libcontainer waits for its
// own helper processes (a wait4(-1) here would steal them), and the
// callback reaps through libcontainer, which then releases its pidfd.
// No thread blocks per process.
type reaper struct {
	mu      sync.Mutex
	watched map[int]func()
	kick    chan os.Signal
}

func newReaper() *reaper {
	r := &reaper{watched: map[int]func(){}, kick: make(chan os.Signal, 1)}
	signal.Notify(r.kick, syscall.SIGCHLD)
	go r.loop()
	return r
}

// watch calls onExit (in its own goroutine) once pid has exited; onExit
// must reap it.
func (r *reaper) watch(pid int, onExit func()) {
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
			var info unix.Siginfo
			err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
			if err == nil && info.Signo == 0 || err == unix.EINTR {
				continue // still running
			}
			delete(r.watched, pid)
			go fn()
		}
		r.mu.Unlock()
	}
}

package supervisor

import (
	"syscall"

	"github.com/wharf/wharf/internal/errdefs"
)

// pause freezes a running container. The state lock is held across the
// freeze so that a concurrent exec or kill sees the final status.
func (c *ctr) pause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state.Status {
	case StatusPaused:
		return errdefs.Conflict("container %s is already paused", c.id)
	case StatusRunning:
	default:
		return errdefs.Conflict("container %s is not running", c.id)
	}
	if err := c.rc.Pause(); err != nil {
		return err
	}
	c.state.Status = StatusPaused
	return nil
}

func (c *ctr) resume() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Status != StatusPaused {
		return errdefs.Conflict("container %s is not paused", c.id)
	}
	if err := c.rc.Resume(); err != nil {
		return err
	}
	c.state.Status = StatusRunning
	return nil
}

// kill signals the container. The runtime thaws a paused container for a
// SIGKILL (a frozen process would not die); other signals wait for Resume.
func (c *ctr) kill(sig syscall.Signal, all bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Status == StatusExited {
		return errdefs.Conflict("container %s is not running", c.id)
	}
	err := c.rc.Signal(sig, all)
	if sig == syscall.SIGKILL && c.state.Status == StatusPaused {
		c.state.Status = StatusRunning
	}
	return err
}

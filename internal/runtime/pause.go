package runtime

import (
	"errors"
	"fmt"

	"github.com/opencontainers/runc/libcontainer"

	"github.com/wharf/wharf/internal/errdefs"
)

// Pause freezes every process of the container through its freezer cgroup
// (cgroup v1 freezer.state, v2 cgroup.freeze).
func (c *Container) Pause() error {
	if err := c.lc.Pause(); err != nil {
		if errors.Is(err, libcontainer.ErrNotRunning) {
			return errdefs.Conflict("container %s is not running", c.lc.ID())
		}
		return fmt.Errorf("container %s: pause: %w", c.lc.ID(), err)
	}
	return nil
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	if err := c.lc.Resume(); err != nil {
		if errors.Is(err, libcontainer.ErrNotPaused) {
			return errdefs.Conflict("container %s is not paused", c.lc.ID())
		}
		return fmt.Errorf("container %s: resume: %w", c.lc.ID(), err)
	}
	return nil
}

// Paused says whether the container's cgroup is frozen.
func (c *Container) Paused() bool {
	st, err := c.lc.Status()
	return err == nil && st == libcontainer.Paused
}

package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/mount"
)

var mountFlags = map[string]uintptr{
	"ro": unix.MS_RDONLY, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV,
	"noexec": unix.MS_NOEXEC, "bind": unix.MS_BIND, "rbind": unix.MS_BIND | unix.MS_REC,
	"noatime": unix.MS_NOATIME, "relatime": unix.MS_RELATIME,
}

// mountRootfs performs the mounts (an empty Target is root itself) and
// returns the mounted targets, innermost last. On error nothing stays mounted.
func mountRootfs(ms []mount.Mount, root string) ([]string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	var done []string
	for _, m := range ms {
		target := root
		if m.Target != "" {
			target = filepath.Join(root, m.Target)
		}
		var flags uintptr
		var data []string
		for _, o := range m.Options {
			if f, ok := mountFlags[o]; ok {
				flags |= f
			} else if o != "rw" {
				data = append(data, o)
			}
		}
		if m.Type == "bind" {
			flags |= unix.MS_BIND
		}
		if err := unix.Mount(m.Source, target, m.Type, flags, strings.Join(data, ",")); err != nil {
			unmountAll(done)
			return nil, fmt.Errorf("mounting %s at %s: %w", m.Type, target, err)
		}
		done = append(done, target)
	}
	return done, nil
}

// unmountAll unmounts in reverse order; a busy mount is detached.
func unmountAll(targets []string) error {
	var first error
	for i := len(targets) - 1; i >= 0; i-- {
		if err := unix.Unmount(targets[i], 0); err != nil && err != unix.EINVAL {
			if err := unix.Unmount(targets[i], unix.MNT_DETACH); err != nil && first == nil {
				first = fmt.Errorf("unmounting %s: %w", targets[i], err)
			}
		}
	}
	return first
}

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
		opts := strings.Join(data, ",")
		mnt := func() error { return unix.Mount(m.Source, target, m.Type, flags, opts) }
		if m.Type == "overlay" && flags == 0 && len(opts) >= os.Getpagesize() {
			mnt = func() error { return mountOverlayLong(data, target) }
		}
		if err := mnt(); err != nil {
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

// mountOverlayLong mounts an overlay whose options exceed mount(2)'s one
// page (many layers) through the new mount API, one lower dir at a time
// ("lowerdir+", Linux 6.8+).
func mountOverlayLong(opts []string, target string) error {
	fd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		if k == "lowerdir" {
			for _, dir := range strings.Split(v, ":") {
				if err := unix.FsconfigSetString(fd, "lowerdir+", dir); err != nil {
					return fmt.Errorf("lowerdir+ %s: %w", dir, err)
				}
			}
			continue
		}
		if v == "" {
			err = unix.FsconfigSetFlag(fd, k)
		} else {
			err = unix.FsconfigSetString(fd, k, v)
		}
		if err != nil {
			return fmt.Errorf("overlay option %s: %w", k, err)
		}
	}
	if err := unix.FsconfigCreate(fd); err != nil {
		return err
	}
	mfd, err := unix.Fsmount(fd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	return unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

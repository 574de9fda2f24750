package testenv

import (
	"archive/tar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BusyboxSource is Debian's static busybox (package busybox-static).
const BusyboxSource = "/bin/busybox"

// Users and groups of the busybox image, for user tests.
const (
	BusyboxPasswd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
wharfuser:x:1000:1000:Wharf test user:/home/wharfuser:/bin/sh
`
	BusyboxGroup = `root:x:0:
daemon:x:1:
wharfgrp:x:1000:
extra:x:1001:wharfuser
nogroup:x:65534:
`
)

var (
	busyboxOnce sync.Once
	busyboxPath string
	busyboxErr  error
)

// BusyboxTar returns a rootfs tar: /bin/busybox and a link per applet in
// /bin, /etc/passwd and /etc/group (root, daemon, nobody, wharfuser 1000 in
// wharfgrp 1000 plus extra 1001), /tmp (1777), /root, /home. Entries have a
// fixed mtime so that imports of it are reproducible. Built once per process.
func BusyboxTar(t testing.TB) string {
	t.Helper()
	busyboxOnce.Do(func() {
		dir := cacheDir(t)
		var f *os.File
		f, busyboxErr = os.CreateTemp(dir, "busybox-*.tar")
		if busyboxErr != nil {
			return
		}
		busyboxErr = writeBusyboxTar(f)
		f.Chmod(0o644)
		if cerr := f.Close(); busyboxErr == nil {
			busyboxErr = cerr
		}
		if busyboxErr != nil {
			os.Remove(f.Name())
			return
		}
		busyboxPath = filepath.Join(dir, "busybox.tar")
		busyboxErr = os.Rename(f.Name(), busyboxPath)
	})
	if busyboxErr != nil {
		t.Fatalf("testenv: busybox tar (is busybox-static installed?): %v", busyboxErr)
	}
	return busyboxPath
}

func writeBusyboxTar(f *os.File) error {
	bin, err := os.ReadFile(BusyboxSource)
	if err != nil {
		return err
	}
	out, err := exec.Command(BusyboxSource, "--list").Output()
	if err != nil {
		return err
	}
	mtime := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tw := tar.NewWriter(f)
	add := func(h *tar.Header, body []byte) error {
		h.ModTime = mtime
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	dir := func(name string, mode int64, uid int) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: uid}
	}
	file := func(name string, mode int64, body []byte) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}
	}
	entries := []struct {
		h    *tar.Header
		body []byte
	}{
		{dir("bin", 0o755, 0), nil},
		{dir("etc", 0o755, 0), nil},
		{dir("tmp", 0o1777, 0), nil},
		{dir("root", 0o700, 0), nil},
		{dir("home", 0o755, 0), nil},
		{dir("home/wharfuser", 0o755, 1000), nil},
		{dir("proc", 0o755, 0), nil},
		{dir("sys", 0o755, 0), nil},
		{dir("dev", 0o755, 0), nil},
		{dir("var", 0o755, 0), nil},
		{dir("usr", 0o755, 0), nil},
		{file("bin/busybox", 0o755, bin), bin},
		{file("etc/passwd", 0o644, []byte(BusyboxPasswd)), []byte(BusyboxPasswd)},
		{file("etc/group", 0o644, []byte(BusyboxGroup)), []byte(BusyboxGroup)},
	}
	for _, e := range entries {
		if err := add(e.h, e.body); err != nil {
			return err
		}
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		h := &tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox", Mode: 0o777}
		if err := add(h, nil); err != nil {
			return err
		}
	}
	return tw.Close()
}

// Command pullprep prepares and measures for bench/pull.sh:
//
//	pullprep debian-archive OUT        docker-archive of the cached Debian rootfs (debian:bookworm)
//	pullprep second-archive OUT MB     the same base plus a new layer of MB random megabytes
//	pullprep rootfs                    prints the path of the cached Debian rootfs tar
//	pullprep apply TAR DIR             unpacks TAR with layer.Store.Apply into a store under DIR; prints seconds
//	pullprep freeport                  prints a free TCP port on 127.0.0.1
package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wharf/wharf/internal/layer"
	"github.com/wharf/wharf/internal/testenv"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pullprep:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: pullprep debian-archive|second-archive|rootfs|apply|freeport ...")
	}
	switch args[0] {
	case "rootfs":
		p, err := testenv.BuildDebianRootfsTar(os.Stderr)
		if err == nil {
			fmt.Println(p)
		}
		return err
	case "debian-archive":
		if len(args) != 2 {
			return fmt.Errorf("debian-archive OUT")
		}
		rootfs, err := testenv.BuildDebianRootfsTar(os.Stderr)
		if err != nil {
			return err
		}
		return testenv.WriteDockerArchive(args[1], testenv.ImageSpec{Tags: []string{"debian:bookworm"}, Cmd: []string{"bash"}, Layers: []string{rootfs}})
	case "second-archive":
		if len(args) != 3 {
			return fmt.Errorf("second-archive OUT MB")
		}
		mb, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		rootfs, err := testenv.BuildDebianRootfsTar(os.Stderr)
		if err != nil {
			return err
		}
		extra := args[1] + ".layer"
		defer os.Remove(extra)
		// Random bytes: gzip cannot shrink them, so bytes sent ~ layer size.
		body := make([]byte, mb<<20)
		io.ReadFull(rand.Reader, body)
		if err := testenv.WriteLayerTar(extra, testenv.TarEntry{Name: "opt/", Type: '5'},
			testenv.TarEntry{Name: "opt/new-layer.bin", Body: string(body)}); err != nil {
			return err
		}
		return testenv.WriteDockerArchive(args[1], testenv.ImageSpec{Tags: []string{"debian:second"}, Cmd: []string{"bash"}, Layers: []string{rootfs, extra}})
	case "apply":
		if len(args) != 3 {
			return fmt.Errorf("apply TAR DIR")
		}
		s, err := layer.NewStore(filepath.Join(args[2], "store"))
		if err != nil {
			return err
		}
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		start := time.Now()
		if _, err := s.Apply("", f); err != nil {
			return err
		}
		fmt.Printf("%.3f\n", time.Since(start).Seconds())
		return nil
	case "freeport":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}

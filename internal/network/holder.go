package network

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// portHolder names the host process holding a local port, for the error
// of a -p that collides with it: "pid 1234 (python3)", or "" when it
// cannot be told (another namespace, a socket already gone). It reads the
// socket tables of the calling thread's network namespace and matches the
// socket's inode against every process's open files.
func portHolder(proto string, port uint16) string {
	inodes := map[string]bool{}
	for _, table := range []string{proto, proto + "6"} {
		for _, ino := range socketInodes("/proc/thread-self/net/"+table, proto, port) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				comm, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
				return fmt.Sprintf("pid %d (%s)", pid, strings.TrimSpace(string(comm)))
			}
		}
	}
	return ""
}

// socketInodes lists the inodes of the sockets bound to port in one
// /proc/net/{tcp,tcp6,udp,udp6} table: TCP listeners, any UDP socket.
func socketInodes(path, proto string, port uint16) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		n, err := strconv.ParseUint(hexPort, 16, 16)
		if !ok || err != nil || uint16(n) != port {
			continue
		}
		if proto == "tcp" && f[3] != "0A" { // TCP_LISTEN
			continue
		}
		if f[9] != "0" {
			out = append(out, f[9])
		}
	}
	return out
}

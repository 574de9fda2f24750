package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/network/nat"
)

func procComm(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	must(t, err)
	return strings.TrimSpace(string(b))
}

// A -p onto a port another process of the host listens on names that
// process; TCP and UDP.
func TestPublishNamesHostHolder(t *testing.T) {
	inScratchHost(t)
	s := openService(t, t.TempDir())
	c := newCtr(t)
	connect(t, s, "bridge", c, "c")

	// A real separate process, started from this thread: in the scratch host netns.
	srv := exec.Command("busybox", "httpd", "-f", "-p", "127.0.0.1:18090", "-h", t.TempDir())
	must(t, srv.Start())
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	var perr error
	for i := 0; i < 100; i++ {
		perr = s.Publish(c.id, []nat.Port{{Proto: "tcp", HostPort: 18090, ContainerPort: 80}})
		if perr != nil {
			break
		}
		must(t, s.Unpublish(c.id)) // httpd not listening yet
		time.Sleep(10 * time.Millisecond)
	}
	want := fmt.Sprintf("failed to set up container networking: Bind for 0.0.0.0:18090 failed: address already in use by pid %d (busybox)", srv.Process.Pid)
	if !errors.Is(perr, errdefs.ErrConflict) || perr.Error() != want {
		t.Fatalf("port held by httpd: %v\nwant %s", perr, want)
	}

	pc, err := net.ListenPacket("udp4", "0.0.0.0:18091")
	must(t, err)
	defer pc.Close()
	err = s.Publish(c.id, []nat.Port{{Proto: "udp", HostIP: mustAddr("127.0.0.1"), HostPort: 18091, ContainerPort: 53}})
	want = fmt.Sprintf("failed to set up container networking: Bind for 127.0.0.1:18091 failed: address already in use by pid %d (%s)", os.Getpid(), procComm(t, os.Getpid()))
	if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
		t.Fatalf("udp port held by this test: %v\nwant %s", err, want)
	}
	if owned(t, s, c.id) != 0 {
		t.Fatal("a failed Publish left rules behind")
	}
	must(t, s.Disconnect(t.Context(), "bridge", c.id))
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

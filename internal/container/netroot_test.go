package container

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/moby/api/types/container"
	mnet "github.com/moby/moby/api/types/network"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/wharf/wharf/internal/network"
	"github.com/wharf/wharf/internal/supervisor"
	"github.com/wharf/wharf/internal/testenv"
)

// nsSup is fakeSup whose containers are real processes, each in a new
// network namespace (`unshare -n sleep`), so that real veths join them.
type nsSup struct {
	*fakeSup
	t     *testing.T
	procs map[string]*exec.Cmd
	envs  map[string][]string
}

func (n *nsSup) Create(ctx context.Context, req supervisor.CreateRequest) (supervisor.State, error) {
	st, err := n.fakeSup.Create(ctx, req)
	if err != nil {
		return st, err
	}
	cmd := exec.Command("unshare", "-n", "sleep", "300")
	for _, ns := range req.Spec.Linux.Namespaces {
		if ns.Type == "network" && ns.Path != "" { // the namespace the daemon prepared
			cmd = exec.Command("nsenter", "--net="+ns.Path, "sleep", "300")
		}
	}
	if err := cmd.Start(); err != nil {
		return st, err
	}
	n.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// unshare execs sleep in place: its pid is the process in the new netns,
	// once unshare has run; wait until its netns differs from ours.
	self, _ := os.Readlink("/proc/thread-self/ns/net")
	for range 200 {
		if l, _ := os.Readlink("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/net"); l != "" && l != self {
			if c, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/comm"); strings.TrimSpace(string(c)) == "sleep" {
				break
			}
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 5e6}, nil)
	}
	n.fakeSup.mu.Lock()
	n.fakeSup.states[req.ID].Pid = cmd.Process.Pid
	st = *n.fakeSup.states[req.ID]
	n.fakeSup.mu.Unlock()
	n.procs[req.ID] = cmd
	n.envs[req.ID] = req.Spec.Process.Env
	return st, nil
}

// inNetns runs argv inside the container's network namespace.
func inNetns(t *testing.T, pid int, argv ...string) string {
	t.Helper()
	out, err := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(pid), "-n"}, argv...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v: %s", argv, err, out)
	}
	return string(out)
}

// TestRealNetworks joins containers (real namespaces) to a real network
// service inside a scratch host namespace: eth0/eth1 in start order,
// hosts and resolv.conf, live connect/disconnect, traffic between them.
// No t.Run: the test goroutine is pinned to the scratch namespace.
func TestRealNetworks(t *testing.T) {
	testenv.RequireRoot(t)
	for _, tool := range []string{"unshare", "nsenter", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool, "missing")
		}
	}
	runtime.LockOSThread() // never unlocked: the thread dies with the test
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	scratch, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netns.Set(orig); orig.Close(); scratch.Close() })
	if lo, err := netlink.LinkByName("lo"); err == nil {
		netlink.LinkSetUp(lo)
	}

	ctx := context.Background()
	ns, err := network.New(network.Config{Root: t.TempDir(), DefaultBridge: "wctr0", DefaultSubnet: "172.31.0.0/24",
		TableName: "wharf-wctr0", DNSUpstreams: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	// The service may finish detaching in the background: wait for it
	// before the temp dirs go (Close, where it has one).
	if c, ok := any(ns).(interface{ Close() }); ok {
		t.Cleanup(c.Close)
	}
	if _, err := ns.Create(ctx, "back", network.CreateOptions{Subnet: "10.77.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	sup := &nsSup{fakeSup: f.sup, t: t, procs: map[string]*exec.Cmd{}, envs: map[string][]string{}}
	s, err := newService(f.cfg, deps{images: fakeImages{}, layers: f.layers, sup: sup, net: ns})
	if err != nil {
		t.Fatal(err)
	}

	web := create(t, s, "web", nil, nil)
	must(t, s.ContainerStart(ctx, web))
	hc := &container.HostConfig{Links: []string{"web:w"}, ExtraHosts: []string{"gw:host-gateway"}}
	app, err := createNet(s, "app", nil, hc, map[string]*mnet.EndpointSettings{"bridge": {},
		"back": {Aliases: []string{"api"}, IPAMConfig: &mnet.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr("10.77.0.50")}}})
	must(t, err)
	must(t, s.ContainerStart(ctx, app))
	appPid := sup.procs[app].Process.Pid
	webPid := sup.procs[web].Process.Pid

	if out := inNetns(t, appPid, "ip", "-4", "-o", "addr"); !strings.Contains(out, "eth0    inet 172.31.0.") ||
		!strings.Contains(out, "eth1    inet 10.77.0.50/24") {
		t.Errorf("app addresses:\n%s", out)
	}
	r, _ := s.lookup(app)
	hosts, _ := os.ReadFile(r.HostsPath)
	webIP := ns.Endpoints(web)["bridge"].IPAddress.String()
	for _, want := range []string{"172.31.0.1\tgw\n", webIP + "\tw " + web[:12] + " web\n", "\t" + app[:12] + "\n10.77.0.50\t" + app[:12] + "\n"} {
		if !strings.Contains(string(hosts), want) {
			t.Errorf("hosts lacks %q:\n%s", want, hosts)
		}
	}
	if resolv, _ := os.ReadFile(r.ResolvConfPath); !strings.Contains(string(resolv), "nameserver 127.0.0.11\n") {
		t.Errorf("resolv.conf: %s", resolv)
	}
	inNetns(t, appPid, "busybox", "ping", "-c1", "-W2", webIP)
	if env := strings.Join(sup.envs[app], " "); !strings.Contains(env, "W_NAME=/app/w") {
		t.Errorf("link env: %s", env)
	}

	// Live connect: web gets eth1 on back and answers there; then leaves.
	must(t, s.ContainerNetworkConnect(ctx, "web", "back", nil))
	ep, ok := ns.Endpoints(web)["back"]
	if !ok || ep.IfName != "eth1" {
		t.Fatalf("web on back: %+v %v", ep, ok)
	}
	inNetns(t, appPid, "busybox", "ping", "-c1", "-W2", ep.IPAddress.String())
	if out := inNetns(t, appPid, "busybox", "nslookup", "web", "127.0.0.11"); !strings.Contains(out, ep.IPAddress.String()) {
		t.Errorf("nslookup web:\n%s", out)
	}
	if resolv, _ := os.ReadFile(filepathOf(s, web, "resolv.conf")); !strings.Contains(string(resolv), "127.0.0.11") {
		t.Errorf("web's resolv.conf after joining back: %s", resolv)
	}
	must(t, s.ContainerNetworkDisconnect(ctx, "web", "back", false))
	if out := inNetns(t, webPid, "ip", "-o", "link"); strings.Contains(out, "eth1") {
		t.Errorf("eth1 left after disconnect:\n%s", out)
	}
	insp, _ := s.ContainerInspect(ctx, app, false)
	if b := insp.NetworkSettings.Networks["back"]; b == nil || b.IPAddress.String() != "10.77.0.50" || b.Aliases[0] != "api" {
		t.Errorf("inspect back: %+v", b)
	}
	if id := insp.NetworkSettings.SandboxID; len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("running container's SandboxID %q, want 64 hex digits", id)
	}

	// Stop: every endpoint goes.
	for _, id := range []string{app, web} {
		must(t, s.ContainerKill(ctx, id, "KILL"))
		waitStatus(t, s, id, "exited")
		if eps := ns.Endpoints(id); len(eps) != 0 {
			t.Errorf("%s endpoints after exit: %v", id[:12], eps)
		}
		// Remove waits for the exit's bookkeeping: nothing writes into the
		// temp dirs after the test.
		must(t, s.ContainerRemove(ctx, id, true, false))
	}
}

func filepathOf(s *Service, id, name string) string { return s.cfg.Root + "/" + id + "/" + name }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

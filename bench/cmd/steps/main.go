// Command steps times each Engine API call of a `run true` against a
// daemon, to see where start latency goes. -rm follows the CLI's
// `run --rm` (wait for removal registered before start); -exec times the
// calls of `exec c true` in a running container instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

type steps map[string][]time.Duration

func main() {
	host := flag.String("H", "unix:///run/wharf/wharf.sock", "daemon socket")
	n := flag.Int("n", 20, "runs")
	priv := flag.Bool("privileged", false, "run privileged")
	secopt := flag.String("security-opt", "", "security option, e.g. seccomp=unconfined")
	rm := flag.Bool("rm", false, "auto-remove, waiting for removal like `run --rm`")
	execMode := flag.Bool("exec", false, "time `exec c true` instead")
	flag.Parse()
	cli, err := client.New(client.WithHost(*host), client.WithAPIVersionNegotiation())
	check(err)
	ctx := context.Background()
	st := steps{}
	hc := hostConfig(*priv, *secopt)
	switch {
	case *execMode:
		runExecs(ctx, cli, hc, *n, st)
	case *rm:
		hc.AutoRemove = true
		for range *n {
			runRemoved(ctx, cli, hc, st)
		}
	default:
		for range *n {
			runOnce(ctx, cli, hc, st)
		}
	}
	st.print()
}

func runOnce(ctx context.Context, cli *client.Client, hc *container.HostConfig, st steps) {
	t0 := time.Now()
	c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"true"}}, HostConfig: hc})
	check(err)
	t1 := st.mark("1 create", t0)
	_, err = cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{})
	check(err)
	t2 := st.mark("2 start", t1)
	wait(cli.ContainerWait(ctx, c.ID, client.ContainerWaitOptions{}))
	t3 := st.mark("3 wait", t2)
	_, err = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{})
	check(err)
	st.mark("4 remove", t3)
	st.mark("total", t0)
}

// runRemoved is the CLI's `run --rm`: the removal wait is registered
// before start, and ends when the daemon has removed the container.
func runRemoved(ctx context.Context, cli *client.Client, hc *container.HostConfig, st steps) {
	t0 := time.Now()
	c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"true"}}, HostConfig: hc})
	check(err)
	t1 := st.mark("1 create", t0)
	w := cli.ContainerWait(ctx, c.ID, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
	_, err = cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{})
	check(err)
	t2 := st.mark("2 start", t1)
	wait(w)
	st.mark("3 exit+removed", t2)
	st.mark("total", t0)
}

func runExecs(ctx context.Context, cli *client.Client, hc *container.HostConfig, n int, st steps) {
	c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}}, HostConfig: hc})
	check(err)
	defer cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
	_, err = cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{})
	check(err)
	for range n {
		t0 := time.Now()
		e, err := cli.ExecCreate(ctx, c.ID, client.ExecCreateOptions{
			Cmd: []string{"true"}, AttachStdout: true, AttachStderr: true})
		check(err)
		t1 := st.mark("1 exec create", t0)
		a, err := cli.ExecAttach(ctx, e.ID, client.ExecAttachOptions{})
		check(err)
		io.Copy(io.Discard, a.Reader) // EOF once the process has exited
		a.Close()
		t2 := st.mark("2 exec start to EOF", t1)
		res, err := cli.ExecInspect(ctx, e.ID, client.ExecInspectOptions{})
		check(err)
		if res.ExitCode != 0 {
			check(fmt.Errorf("exec exit code %d", res.ExitCode))
		}
		st.mark("3 exec inspect", t2)
		st.mark("total", t0)
	}
}

// mark records the time since t and returns now.
func (s steps) mark(name string, t time.Time) time.Time {
	now := time.Now()
	s[name] = append(s[name], now.Sub(t))
	return now
}

func (s steps) print() {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d := s[k]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		fmt.Printf("%-20s median %6.2f ms\n", k, float64(d[len(d)/2].Microseconds())/1000)
	}
}

func wait(w client.ContainerWaitResult) {
	select {
	case <-w.Result:
	case err := <-w.Error:
		check(err)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func hostConfig(priv bool, secopt string) *container.HostConfig {
	hc := &container.HostConfig{NetworkMode: "none", Privileged: priv}
	if secopt != "" {
		hc.SecurityOpt = []string{secopt}
	}
	return hc
}

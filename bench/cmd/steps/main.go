// Command steps times each Engine API call of a `run --rm true` against a
// daemon, to see where start latency goes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func main() {
	host := flag.String("H", "unix:///run/wharf/wharf.sock", "daemon socket")
	n := flag.Int("n", 20, "runs")
	priv := flag.Bool("privileged", false, "run privileged")
	secopt := flag.String("security-opt", "", "security option, e.g. seccomp=unconfined")
	flag.Parse()
	cli, err := client.New(client.WithHost(*host), client.WithAPIVersionNegotiation())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	steps := map[string][]time.Duration{}
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config:     &container.Config{Image: "busybox", Cmd: []string{"true"}},
			HostConfig: hostConfig(*priv, *secopt),
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		t1 := time.Now()
		if _, err := cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		t2 := time.Now()
		w := cli.ContainerWait(ctx, c.ID, client.ContainerWaitOptions{})
		select {
		case <-w.Result:
		case err := <-w.Error:
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		t3 := time.Now()
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		t4 := time.Now()
		steps["1 create"] = append(steps["1 create"], t1.Sub(t0))
		steps["2 start"] = append(steps["2 start"], t2.Sub(t1))
		steps["3 wait"] = append(steps["3 wait"], t3.Sub(t2))
		steps["4 remove"] = append(steps["4 remove"], t4.Sub(t3))
		steps["total"] = append(steps["total"], t4.Sub(t0))
	}
	keys := make([]string, 0, len(steps))
	for k := range steps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d := steps[k]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		fmt.Printf("%-9s median %6.2f ms\n", k, float64(d[len(d)/2].Microseconds())/1000)
	}
}

func hostConfig(priv bool, secopt string) *container.HostConfig {
	hc := &container.HostConfig{NetworkMode: "none", Privileged: priv}
	if secopt != "" {
		hc.SecurityOpt = []string{secopt}
	}
	return hc
}

package e2e

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestGoClient drives the daemon with the moby Go SDK, as programs do.
func TestGoClient(t *testing.T) {
	d, _ := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cli, err := client.New(client.WithHost(d.Host()), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: "sdk",
		Config: &container.Config{
			Image: "busybox",
			Cmd:   []string{"sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 5"},
		},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	// Wait before start (next-exit), the way docker run does.
	waited := cli.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start: %v", err)
	}
	select {
	case res := <-waited.Result:
		if res.StatusCode != 5 {
			t.Errorf("wait: status %d, want 5", res.StatusCode)
		}
	case err := <-waited.Error:
		t.Fatalf("wait: %v", err)
	}

	insp, err := cli.ContainerInspect(ctx, "sdk", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	if st := insp.Container.State; st == nil || st.Running || st.ExitCode != 5 {
		t.Errorf("inspect state: %+v", st)
	}

	logs, err := cli.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, logs)
	logs.Close()
	if err != nil || stdout.String() != "to-stdout\n" || stderr.String() != "to-stderr\n" {
		t.Errorf("logs: err %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}

	if _, err := cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{}); err != nil {
		t.Fatalf("remove: %v", err)
	}
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list.Items) != 0 {
		t.Errorf("list after remove: %+v", list.Items)
	}
	if _, err := cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("inspect after remove succeeded")
	}
}

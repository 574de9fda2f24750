package container

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
)

func create(t *testing.T, s *Service, name string, cfg *container.Config, hc *container.HostConfig) string {
	t.Helper()
	if cfg == nil {
		cfg = &container.Config{Image: "busybox"}
	}
	resp, err := s.ContainerCreate(context.Background(), name, cfg, hc, nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return resp.ID
}

func TestRecordPersistence(t *testing.T) {
	f := newFixture(t)
	id := create(t, f.s, "web", &container.Config{Image: "busybox", Labels: map[string]string{"a": "b"}}, nil)
	dir := filepath.Join(f.cfg.Root, id)
	for _, name := range []string{recordFile, "hosts", "hostname", "resolv.conf"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	hosts, _ := os.ReadFile(filepath.Join(dir, "hosts"))
	if !strings.Contains(string(hosts), "127.0.0.1\tlocalhost") || !strings.Contains(string(hosts), id[:12]) {
		t.Errorf("hosts: %q", hosts)
	}
	// A temp file left by a crash mid-write and a directory whose create
	// died before its record: the first is ignored, the second collected.
	os.WriteFile(filepath.Join(dir, "."+recordFile+".tmp123"), []byte("{garbage"), 0o600)
	orphan := strings.Repeat("c", 64)
	os.MkdirAll(filepath.Join(f.cfg.Root, orphan), 0o700)
	f.layers.CreateRW(orphan, "")

	s := f.reload(t)
	insp, err := s.ContainerInspect(context.Background(), "web", false)
	if err != nil {
		t.Fatal(err)
	}
	if insp.ID != id || insp.Name != "/web" || insp.Config.Labels["a"] != "b" || insp.State.Status != "created" ||
		insp.Config.Hostname != id[:12] || insp.LogPath != filepath.Join(dir, id+"-json.log") || insp.Path != "sh" {
		t.Fatalf("inspect after reload: %+v", insp)
	}
	if _, err := os.Stat(filepath.Join(f.cfg.Root, orphan)); !os.IsNotExist(err) {
		t.Fatalf("orphan dir kept: %v", err)
	}
	if f.layers.has(orphan) {
		t.Fatal("orphan RW layer kept")
	}
	if total, running, _, stopped := s.Counts(); total != 1 || running != 0 || stopped != 1 {
		t.Fatal("counts", total, running, stopped)
	}
	if s.InUse(fakeImageID) != id {
		t.Fatal("InUse")
	}
}

func TestCreateErrorsAndCleanup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := create(t, f.s, "web", nil, nil)
	_, err := f.s.ContainerCreate(ctx, "/web", &container.Config{Image: "busybox"}, nil, nil)
	want := `Conflict. The container name "/web" is already in use by container "` + id + `". You have to remove (or rename) that container to be able to reuse that name.`
	if !errors.Is(err, errdefs.ErrConflict) || err.Error() != want {
		t.Fatalf("conflict: %v", err)
	}
	if _, err := f.s.ContainerCreate(ctx, "", &container.Config{Image: "nosuch"}, nil, nil); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing image: %v", err)
	}
	if _, err := f.s.ContainerCreate(ctx, "a b", &container.Config{Image: "busybox"}, nil, nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
	hc := &container.HostConfig{LogConfig: container.LogConfig{Config: map[string]string{"max-size": "1x"}}}
	if _, err := f.s.ContainerCreate(ctx, "", &container.Config{Image: "busybox"}, hc, nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("bad log opt: %v", err)
	}

	// The RW layer fails: nothing of the container remains, its name is free.
	f.layers.failCreate = errors.New("disk full")
	if _, err := f.s.ContainerCreate(ctx, "db", &container.Config{Image: "busybox"}, nil, nil); err == nil {
		t.Fatal("create succeeded")
	}
	f.layers.failCreate = nil
	entries, _ := os.ReadDir(f.cfg.Root)
	if len(entries) != 1 || entries[0].Name() != id {
		t.Fatalf("left behind: %v", entries)
	}
	if list, _ := f.s.ContainerList(ctx, api.ListOptions{All: true}); len(list) != 1 {
		t.Fatalf("list: %v", list)
	}
	create(t, f.s, "db", nil, nil)
}

func waitStatus(t *testing.T, s *Service, ref string, want container.ContainerState) *container.InspectResponse {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		insp, err := s.ContainerInspect(context.Background(), ref, false)
		if err == nil && insp.State.Status == want {
			return insp
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status %v (err %v), want %s", ref, insp.State, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := create(t, f.s, "web", nil, nil)
	wait, err := f.s.ContainerWait(ctx, "web", container.WaitConditionNextExit)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.ContainerStart(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.ContainerStart(ctx, "web"); !errors.Is(err, errdefs.ErrNotModified) {
		t.Fatalf("second start: %v", err)
	}
	insp := waitStatus(t, f.s, id, "running")
	if !insp.State.Running || insp.State.Pid != 4242 {
		t.Fatalf("%+v", insp.State)
	}
	list, _ := f.s.ContainerList(ctx, api.ListOptions{})
	if len(list) != 1 || !strings.HasPrefix(list[0].Status, "Up ") || list[0].Command != "sh" || list[0].Names[0] != "/web" {
		t.Fatalf("list %+v", list)
	}
	if err := f.s.ContainerRemove(ctx, "web", false, false); !errors.Is(err, errdefs.ErrConflict) ||
		err.Error() != `cannot remove container "/web": container is running: stop the container before removing or force remove` {
		t.Fatalf("remove running: %v", err)
	}
	// SIGTERM is ignored: stop escalates to SIGKILL after the timeout.
	f.sup.ignore[15] = true
	timeout := 1
	start := time.Now()
	if err := f.s.ContainerStop(ctx, "web", "", &timeout); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second || d > 4*time.Second {
		t.Fatalf("stop took %v", d)
	}
	insp = waitStatus(t, f.s, id, "exited")
	if insp.State.ExitCode != 137 {
		t.Fatalf("exit code %d", insp.State.ExitCode)
	}
	if resp := <-wait; resp.StatusCode != 137 {
		t.Fatalf("wait %+v", resp)
	}
	// not-running on a stopped container answers at once.
	w2, _ := f.s.ContainerWait(ctx, "web", "")
	if resp := <-w2; resp.StatusCode != 137 {
		t.Fatalf("wait %+v", resp)
	}
	if err := f.s.ContainerStop(ctx, "web", "", nil); err != nil {
		t.Fatalf("stop stopped: %v", err)
	}
	if err := f.s.ContainerKill(ctx, "web", ""); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("kill stopped: %v", err)
	}
	list, _ = f.s.ContainerList(ctx, api.ListOptions{})
	if len(list) != 0 {
		t.Fatalf("stopped listed without all")
	}
	list, _ = f.s.ContainerList(ctx, api.ListOptions{All: true, Filters: map[string][]string{"exited": {"137"}}})
	if len(list) != 1 || !strings.HasPrefix(list[0].Status, "Exited (137) ") {
		t.Fatalf("list %+v", list)
	}
	// Restart then rename, then force-remove the running container.
	if err := f.s.ContainerRestart(ctx, id[:6], "", nil); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.s, id, "running")
	if err := f.s.ContainerRename(ctx, "web", "front"); err != nil {
		t.Fatal(err)
	}
	removed, _ := f.s.ContainerWait(ctx, "front", container.WaitConditionRemoved)
	if err := f.s.ContainerRemove(ctx, "front", true, false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-removed:
	case <-time.After(5 * time.Second):
		t.Fatal("removed waiter not woken")
	}
	if _, err := f.s.ContainerInspect(ctx, id, false); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("inspect removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.cfg.Root, id)); !os.IsNotExist(err) || f.layers.has(id) {
		t.Fatal("files left after remove")
	}
	if len(f.sup.states) != 0 {
		t.Fatalf("supervisor still holds %v", f.sup.states)
	}
}

func TestStartFailureMapsCommandErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := create(t, f.s, "", &container.Config{Image: "busybox", Cmd: []string{"nope"}}, nil)
	f.sup.createErr = &commandErr127
	err := f.s.ContainerStart(ctx, id)
	if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), `exec: "nope": executable file not found in $PATH`) {
		t.Fatalf("start: %v", err)
	}
	insp := waitStatus(t, f.s, id, "created")
	if insp.State.ExitCode != 127 || insp.State.Error == "" {
		t.Fatalf("state %+v", insp.State)
	}
	if len(f.sup.states) != 0 {
		t.Fatal("half-created container left in the supervisor")
	}
}

func TestAttachBeforeStartAndAutoRemove(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := create(t, f.s, "", &container.Config{Image: "busybox", OpenStdin: true}, &container.HostConfig{AutoRemove: true})
	sess, err := f.s.ContainerAttach(ctx, id, api.AttachOptions{Stdin: true, Stdout: true, Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- sess.Run(ctx, inR, &out) }()
	removed, _ := f.s.ContainerWait(ctx, id, container.WaitConditionRemoved)
	// Let the session register, then start: Start must hand it a stream.
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.s.mu.Lock()
		n := len(f.s.byID[id].attachers)
		f.s.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("attach did not wait for start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := f.s.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Detach keys end the session; the container keeps running.
	go inW.Write([]byte{16, 17})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("detach did not end the session")
	}
	waitStatus(t, f.s, id, "running")
	f.sup.exit(id, 0)
	select {
	case resp := <-removed:
		if resp.StatusCode != 0 {
			t.Fatalf("%+v", resp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("--rm container not removed")
	}
	if _, err := os.Stat(filepath.Join(f.cfg.Root, id)); !os.IsNotExist(err) {
		t.Fatal("record dir left")
	}
}

func TestRestore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	stays := create(t, f.s, "stays", nil, nil)
	exits := create(t, f.s, "exits", nil, nil)
	lost := create(t, f.s, "lost", nil, nil)
	for _, id := range []string{stays, exits, lost} {
		if err := f.s.ContainerStart(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// The daemon "dies": a new service over the same dirs while one
	// container exits and one vanishes from the supervisor.
	// A fresh fake supervisor keeps the old service's watchers out of the way.
	old := f.sup
	f.sup = newFakeSup()
	for id, st := range old.states {
		c := *st
		f.sup.states[id] = &c
		f.sup.done[id] = make(chan struct{})
	}
	st := f.sup.states[exits]
	st.Status, st.ExitCode, st.FinishedAt = "exited", 3, time.Now()
	delete(f.sup.states, lost)
	delete(f.sup.done, lost)
	s := f.reload(t)
	if err := s.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if insp := waitStatus(t, s, exits, "exited"); insp.State.ExitCode != 3 {
		t.Fatalf("exits: %+v", insp.State)
	}
	if insp := waitStatus(t, s, lost, "exited"); insp.State.ExitCode != 255 || insp.State.Error != "container not found by supervisor after restart" {
		t.Fatalf("lost: %+v", insp.State)
	}
	waitStatus(t, s, stays, "running")
	f.sup.exit(stays, 5)
	if insp := waitStatus(t, s, stays, "exited"); insp.State.ExitCode != 5 {
		t.Fatalf("stays: %+v", insp.State)
	}
}

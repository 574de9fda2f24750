package container

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/errdefs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/supervisor"
)

func wantErr(t *testing.T, what string, err error, kind error, msg string) {
	t.Helper()
	if !errors.Is(err, kind) || err.Error() != msg {
		t.Errorf("%s: got %v, want %q", what, err, msg)
	}
}

// TestPauseUnpause: Docker's states and messages around a paused container,
// in inspect, list, filters, /info counts, exec and start.
func TestPauseUnpause(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := create(t, f.s, "paws", nil, nil)
	wantErr(t, "pause created", f.s.ContainerPause(ctx, "paws"), errdefs.ErrConflict, "Container "+id+" is not running")
	if err := f.s.ContainerStart(ctx, "paws"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "unpause running", f.s.ContainerUnpause(ctx, "paws"), errdefs.ErrConflict, "Container "+id+" is not paused")
	if err := f.s.ContainerPause(ctx, "paws"); err != nil {
		t.Fatal(err)
	}
	if f.sup.status(id) != supervisor.StatusPaused {
		t.Fatalf("supervisor not asked to pause: %s", f.sup.status(id))
	}
	wantErr(t, "pause paused", f.s.ContainerPause(ctx, "paws"), errdefs.ErrConflict, "Container "+id+" is already paused")
	insp, _ := f.s.ContainerInspect(ctx, "paws", false)
	if st := insp.State; st.Status != "paused" || !st.Paused || !st.Running {
		t.Errorf("inspect: %+v", st)
	}
	list, _ := f.s.ContainerList(ctx, api.ListOptions{})
	if len(list) != 1 || list[0].State != "paused" || !strings.HasPrefix(list[0].Status, "Up ") || !strings.HasSuffix(list[0].Status, " (Paused)") {
		t.Errorf("list: %+v", list)
	}
	for status, n := range map[string]int{"paused": 1, "running": 0} {
		l, _ := f.s.ContainerList(ctx, api.ListOptions{Filters: map[string][]string{"status": {status}}})
		if len(l) != n {
			t.Errorf("status=%s: %d containers, want %d", status, len(l), n)
		}
	}
	if total, running, paused, stopped := f.s.Counts(); total != 1 || running != 0 || paused != 1 || stopped != 0 {
		t.Errorf("counts %d %d %d %d", total, running, paused, stopped)
	}
	_, err := f.s.ExecCreate(ctx, "paws", container.ExecCreateRequest{Cmd: []string{"true"}})
	wantErr(t, "exec", err, errdefs.ErrConflict, "Container paws is paused, unpause the container before exec")
	wantErr(t, "start", f.s.ContainerStart(ctx, "paws"), errdefs.ErrConflict, "cannot start a paused container, try unpause instead")
	wantErr(t, "rm", f.s.ContainerRemove(ctx, "paws", false, false), errdefs.ErrConflict,
		`cannot remove container "/paws": container is paused and must be unpaused first`)

	// The daemon restarts: the record and the supervisor both say paused.
	s := f.reload(t)
	if err := s.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if insp := waitStatus(t, s, id, "paused"); !insp.State.Paused {
		t.Errorf("after restore: %+v", insp.State)
	}
	if err := s.ContainerUnpause(ctx, "paws"); err != nil {
		t.Fatal(err)
	}
	if f.sup.status(id) != supervisor.StatusRunning {
		t.Errorf("supervisor not resumed: %s", f.sup.status(id))
	}
	if insp := waitStatus(t, s, id, "running"); insp.State.Paused {
		t.Errorf("after unpause: %+v", insp.State)
	}
	if _, err := s.ExecCreate(ctx, "paws", container.ExecCreateRequest{Cmd: []string{"true"}}); err != nil {
		t.Errorf("exec after unpause: %v", err)
	}
	// Paused in the supervisor while the daemon was down (a record saved
	// before the pause): restore believes the supervisor.
	if err := s.ContainerPause(ctx, "paws"); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.byID[id].State.Paused = false
	s.save(s.byID[id])
	s.mu.Unlock()
	s = f.reload(t)
	if err := s.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, id, "paused")
}

// TestKillStopPaused follows dockerd: SIGKILL and the stop signal (any
// signal when none is configured) thaw the container so the signal lands;
// another signal stays pending and the container stays paused.
func TestKillStopPaused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cfg := &container.Config{Image: "busybox", StopSignal: "SIGUSR2"}
	id := create(t, f.s, "kil", cfg, nil)
	f.s.ContainerStart(ctx, "kil")
	f.sup.ignore[10] = true // SIGUSR1 does not end it
	f.s.ContainerPause(ctx, "kil")
	if err := f.s.ContainerKill(ctx, "kil", "USR1"); err != nil {
		t.Fatal(err)
	}
	if insp := waitStatus(t, f.s, id, "paused"); !insp.State.Paused {
		t.Errorf("a non-stop signal unpaused it: %+v", insp.State)
	}
	if err := f.s.ContainerKill(ctx, "kil", "SIGUSR2"); err != nil {
		t.Fatal(err)
	}
	if insp := waitStatus(t, f.s, id, "exited"); insp.State.ExitCode != 128+12 || insp.State.Paused {
		t.Errorf("after the stop signal: %+v", insp.State)
	}

	// kill (SIGKILL) of a paused container.
	f.s.ContainerStart(ctx, "kil")
	f.s.ContainerPause(ctx, "kil")
	if err := f.s.ContainerKill(ctx, "kil", ""); err != nil {
		t.Fatal(err)
	}
	if insp := waitStatus(t, f.s, id, "exited"); insp.State.ExitCode != 137 {
		t.Errorf("after SIGKILL: %+v", insp.State)
	}

	// stop of a paused container without a stop signal: SIGTERM, thawed.
	id2 := create(t, f.s, "stp", nil, nil)
	f.s.ContainerStart(ctx, "stp")
	f.s.ContainerPause(ctx, "stp")
	if err := f.s.ContainerStop(ctx, "stp", "", nil); err != nil {
		t.Fatal(err)
	}
	if insp := waitStatus(t, f.s, id2, "exited"); insp.State.ExitCode != 143 {
		t.Errorf("after stop: %+v", insp.State)
	}
	// rm -f of a paused container.
	f.s.ContainerStart(ctx, "stp")
	f.s.ContainerPause(ctx, "stp")
	if err := f.s.ContainerRemove(ctx, "stp", true, false); err != nil {
		t.Fatal(err)
	}
}

// pauseCheckingImages checks that the container is paused while Commit reads the layer.
type pauseCheckingImages struct {
	fakeImages
	sup      *fakeSup
	id       string
	statuses []supervisor.Status
}

func (c *pauseCheckingImages) Commit(ctx context.Context, parent *image.Image, r io.Reader, opts image.CommitOptions) (*image.Image, error) {
	io.ReadAll(r)
	c.statuses = append(c.statuses, c.sup.status(c.id))
	return &image.Image{ID: "sha256:c0ffee"}, nil
}

func TestCommitPauses(t *testing.T) {
	dir := t.TempDir()
	sup := newFakeSup()
	imgs := &pauseCheckingImages{sup: sup}
	layers := filesLayers{&fakeLayers{root: filepath.Join(dir, "layers"), rw: map[string]bool{}}}
	s, err := newService(Config{Root: filepath.Join(dir, "c"), ExecRoot: filepath.Join(dir, "e")}, deps{images: imgs, layers: layers, sup: sup})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	imgs.id = create(t, s, "com", nil, nil)
	if _, err := s.ContainerCommit(ctx, "com", api.CommitOptions{Pause: true}); err != nil {
		t.Fatalf("commit of a created container: %v", err)
	}
	s.ContainerStart(ctx, "com")
	for _, pause := range []bool{true, false} {
		if _, err := s.ContainerCommit(ctx, "com", api.CommitOptions{Pause: pause}); err != nil {
			t.Fatal(err)
		}
	}
	// Already paused by the user: committed as is, left paused.
	s.ContainerPause(ctx, "com")
	if _, err := s.ContainerCommit(ctx, "com", api.CommitOptions{Pause: true}); err != nil {
		t.Fatal(err)
	}
	want := []supervisor.Status{"", "paused", "running", "paused"}
	if strings.Join(statusStrings(imgs.statuses), ",") != strings.Join(statusStrings(want), ",") {
		t.Errorf("statuses during commits %v, want %v", imgs.statuses, want)
	}
	if got := strings.Join(sup.pauses, ","); got != "pause "+imgs.id+",resume "+imgs.id+",pause "+imgs.id {
		t.Errorf("pause calls: %s", got)
	}
	if insp, _ := s.ContainerInspect(ctx, "com", false); !insp.State.Paused {
		t.Errorf("the user's pause was undone by commit")
	}
}

func statusStrings(in []supervisor.Status) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

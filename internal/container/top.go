package container

import (
	"context"
	"os/exec"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errdefs"
)

// ContainerTop runs the host's ps and keeps the rows of the container's
// processes, as Docker does.
func (s *Service) ContainerTop(ctx context.Context, ref string, psArgs string) (*container.TopResponse, error) {
	r, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	running := r.State.Status == stateRunning
	s.mu.Unlock()
	if !running {
		return nil, errdefs.Conflict("Container %s is not running", r.ID)
	}
	pids, err := s.sup.Pids(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	out, err := exec.CommandContext(ctx, "ps", strings.Fields(psArgs)...).Output()
	if err != nil {
		return nil, errdefs.Invalid("Error running ps: %v", err)
	}
	return parsePS(string(out), pids)
}

// parsePS keeps the rows whose PID column is one of pids. The last column
// (the command) may contain spaces, so it takes the rest of the line.
func parsePS(out string, pids []int) (*container.TopResponse, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 {
		return nil, errdefs.Invalid("Couldn't find PID field in ps output")
	}
	titles := strings.Fields(lines[0])
	pidCol := -1
	for i, t := range titles {
		if t == "PID" {
			pidCol = i
			break
		}
	}
	if pidCol < 0 {
		return nil, errdefs.Invalid("Couldn't find PID field in ps output")
	}
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	resp := &container.TopResponse{Titles: titles, Processes: [][]string{}}
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= pidCol {
			continue
		}
		pid, err := strconv.Atoi(fields[pidCol])
		if err != nil || !want[pid] {
			continue
		}
		row := fields
		if len(fields) > len(titles) {
			row = append(append([]string{}, fields[:len(titles)-1]...), strings.Join(fields[len(titles)-1:], " "))
		}
		resp.Processes = append(resp.Processes, row)
	}
	return resp, nil
}

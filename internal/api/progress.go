package api

import (
	"fmt"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/wharf/wharf/internal/distribution"
)

// wireMessage is Docker's JSON progress message as dockerd writes it: the
// API types lack the rendered "progress" bar and the "error" string that
// older clients read.
type wireMessage struct {
	Stream   string               `json:"stream,omitempty"`
	Status   string               `json:"status,omitempty"`
	Detail   *jsonstream.Progress `json:"progressDetail,omitempty"`
	Progress string               `json:"progress,omitempty"`
	ID       string               `json:"id,omitempty"`
	Aux      any                  `json:"aux,omitempty"`
}

// eventMessage turns a distribution event into its wire form. Layer lines
// always carry a progressDetail ({} when there is no count), as dockerd's do.
func eventMessage(e distribution.Event) wireMessage {
	m := wireMessage{Status: e.Status, ID: e.ID}
	if e.ID != "" {
		m.Detail = &jsonstream.Progress{}
	}
	if e.Current > 0 || e.Total > 0 {
		m.Detail = &jsonstream.Progress{Current: e.Current, Total: e.Total}
		m.Progress = progressBar(e.Current, e.Total)
	}
	return m
}

// progressBar renders "[=====>      ]  1.2MB/3.4MB" the way dockerd does
// (a 50-column bar; only the counts when the total is unknown).
func progressBar(current, total int64) string {
	counts := units.HumanSize(float64(current))
	if total <= 0 {
		return counts
	}
	counts += "/" + units.HumanSize(float64(total))
	const width = 50
	n := int(float64(width) * float64(current) / float64(total))
	n = max(0, min(n, width))
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("[%s] %s", bar, counts)
}

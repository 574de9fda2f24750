package cli

import (
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
)

// now is replaced in tests so that humanised times are stable.
var now = time.Now

// ago renders a past instant the way docker's CREATED column does: "About a minute ago".
func ago(t time.Time) string {
	return units.HumanDuration(now().Sub(t)) + " ago"
}

// humanSize renders bytes like docker's SIZE columns: "1.98MB".
func humanSize(n int64) string {
	return units.HumanSizeWithPrecision(float64(n), 3)
}

// shortID drops the digest algorithm and keeps 12 hex digits.
func shortID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	return truncate(id, 12)
}

// ellipsis shortens s to width runes, ending with "…" when it had to cut.
func ellipsis(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	if width <= 1 {
		return string(r[:width])
	}
	return string(r[:width-1]) + "…"
}

// quoteCommand renders a container's command for ps: quoted, and cut to 20 runes unless noTrunc.
func quoteCommand(cmd string, noTrunc bool) string {
	if !noTrunc {
		cmd = ellipsis(cmd, 20)
	}
	return strconv.Quote(cmd)
}

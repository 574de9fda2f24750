package cli

import (
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/spf13/cobra"
)

var historyTable = table{
	defaultFormat: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
	headers: map[string]string{
		"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
		"Size": "SIZE", "Comment": "COMMENT",
	},
}

type historyOptions struct {
	human, quiet, noTrunc bool
	format                string
}

func (c *CLI) historyCommand() *cobra.Command {
	var o historyOptions
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.ImageHistory(ctx(), args[0])
			if err != nil {
				return err
			}
			format := o.format
			if o.quiet {
				format = "{{.ID}}"
			}
			rows := make([]any, 0, len(res.Items))
			for _, h := range res.Items {
				rows = append(rows, historyRow{h: h, o: o})
			}
			return historyTable.write(c.Out, format, rows)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.human, "human", "H", true, "Print sizes and dates in human readable format")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only show image IDs")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.StringVar(&o.format, "format", "", "Format output using a custom template")
	return cmd
}

// historyRow is one layer of history as templates see it.
type historyRow struct {
	h image.HistoryResponseItem
	o historyOptions
}

func (r historyRow) ID() string {
	if r.o.noTrunc || r.h.ID == "<missing>" {
		return r.h.ID
	}
	return shortID(r.h.ID)
}

func (r historyRow) CreatedSince() string {
	if !r.o.human {
		return r.CreatedAt()
	}
	return ago(time.Unix(r.h.Created, 0))
}

func (r historyRow) CreatedAt() string { return time.Unix(r.h.Created, 0).Format(time.RFC3339) }

func (r historyRow) CreatedBy() string {
	by := strings.ReplaceAll(r.h.CreatedBy, "\t", " ")
	if !r.o.noTrunc {
		by = ellipsis(by, 45)
	}
	return by
}

func (r historyRow) Size() string {
	if !r.o.human {
		return strconv.FormatInt(r.h.Size, 10)
	}
	return humanSize(r.h.Size)
}

func (r historyRow) Comment() string { return r.h.Comment }

func (r historyRow) jsonFields() map[string]any {
	return map[string]any{"ID": r.ID(), "CreatedSince": r.CreatedSince(), "CreatedAt": r.CreatedAt(),
		"CreatedBy": r.CreatedBy(), "Size": r.Size(), "Comment": r.Comment()}
}

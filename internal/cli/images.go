package cli

import (
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

var imagesTable = table{
	defaultFormat: "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
	headers: map[string]string{
		"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED",
		"CreatedAt": "CREATED AT", "Size": "SIZE", "Digest": "DIGEST", "Containers": "CONTAINERS",
	},
}

type imagesOptions struct {
	all, quiet, noTrunc, digests bool
	format                       string
	filters                      []string
}

func (c *CLI) imagesCommand() *cobra.Command {
	var o imagesOptions
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  cobra.MaximumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return c.images(o, args) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Show all images (default hides intermediate images)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only show image IDs")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.BoolVar(&o.digests, "digests", false, "Show digests")
	f.StringVar(&o.format, "format", "", "Format output using a custom template")
	f.StringArrayVarP(&o.filters, "filter", "f", nil, "Filter output based on conditions provided")
	return cmd
}

func (c *CLI) images(o imagesOptions, args []string) error {
	filters, err := parseFilters(o.filters)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		filters.Add("reference", args[0])
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	res, err := api.ImageList(ctx(), client.ImageListOptions{All: o.all, Filters: filters})
	if err != nil {
		return err
	}
	format := o.format
	if o.quiet {
		format = "{{.ID}}"
	} else if o.digests && (format == "" || format == "table") {
		format = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	}
	var rows []any
	seen := map[string]bool{}
	for _, img := range res.Items {
		for _, r := range imageRows(img, !o.noTrunc) {
			// -q lists each image once even when it has several tags.
			if o.quiet && seen[img.ID] {
				continue
			}
			seen[img.ID] = true
			rows = append(rows, r)
		}
	}
	return imagesTable.write(c.Out, format, rows)
}

// imageRows gives one row per repository:tag, or one <none> row for an untagged image.
func imageRows(img image.Summary, trunc bool) []any {
	var rows []any
	for _, rt := range img.RepoTags {
		i := strings.LastIndex(rt, ":")
		if i < 0 || strings.Contains(rt[i:], "/") {
			rows = append(rows, imageRow{img: img, repo: rt, tag: "<none>", trunc: trunc})
			continue
		}
		rows = append(rows, imageRow{img: img, repo: rt[:i], tag: rt[i+1:], trunc: trunc})
	}
	if len(rows) == 0 {
		repo := "<none>"
		if len(img.RepoDigests) > 0 {
			repo, _, _ = strings.Cut(img.RepoDigests[0], "@")
		}
		rows = append(rows, imageRow{img: img, repo: repo, tag: "<none>", trunc: trunc})
	}
	return rows
}

// imageRow is one line of images as templates see it.
type imageRow struct {
	img       image.Summary
	repo, tag string
	trunc     bool
}

func (r imageRow) Repository() string { return r.repo }
func (r imageRow) Tag() string        { return r.tag }
func (r imageRow) ID() string {
	if r.trunc {
		return shortID(r.img.ID)
	}
	return r.img.ID
}
func (r imageRow) CreatedSince() string { return ago(time.Unix(r.img.Created, 0)) }
func (r imageRow) CreatedAt() string    { return time.Unix(r.img.Created, 0).String() }
func (r imageRow) Size() string         { return humanSize(r.img.Size) }
func (r imageRow) Containers() string {
	if r.img.Containers < 0 {
		return "N/A"
	}
	return strconv.FormatInt(r.img.Containers, 10)
}

// Digest is the repo digest of this row's repository, as docker shows it.
func (r imageRow) Digest() string {
	for _, d := range r.img.RepoDigests {
		if repo, dg, ok := strings.Cut(d, "@"); ok && (repo == r.repo || r.repo == "<none>") {
			return dg
		}
	}
	return "<none>"
}

func (r imageRow) jsonFields() map[string]any {
	return map[string]any{
		"Repository": r.Repository(), "Tag": r.Tag(), "ID": r.ID(), "CreatedSince": r.CreatedSince(),
		"CreatedAt": r.CreatedAt(), "Size": r.Size(), "Digest": r.Digest(), "Containers": r.Containers(),
	}
}

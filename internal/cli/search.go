package cli

import (
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

var searchTable = table{
	defaultFormat: "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}",
	headers: map[string]string{
		"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS", "IsOfficial": "OFFICIAL", "IsAutomated": "AUTOMATED",
	},
}

func (c *CLI) searchCommand() *cobra.Command {
	var (
		limit   int
		noTrunc bool
		format  string
		filters []string
	)
	cmd := &cobra.Command{
		Use:   "search [OPTIONS] TERM",
		Short: "Search Docker Hub for images",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.ImageSearch(ctx(), args[0], client.ImageSearchOptions{
				Limit: limit, Filters: f, RegistryAuth: searchAuth(args[0]),
			})
			if err != nil {
				return err
			}
			rows := make([]any, 0, len(res.Items))
			for _, r := range res.Items {
				rows = append(rows, searchRow{r: r, trunc: !noTrunc})
			}
			return searchTable.write(c.Out, format, rows)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&limit, "limit", 0, "Max number of search results")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	fl.StringVar(&format, "format", "", "Pretty-print search using a Go template")
	fl.StringArrayVarP(&filters, "filter", "f", nil, "Filter output based on conditions provided")
	return cmd
}

// searchRow is one search result as templates see it.
type searchRow struct {
	r     registry.SearchResult
	trunc bool
}

func (s searchRow) Name() string { return s.r.Name }
func (s searchRow) Description() string {
	if s.trunc && len(s.r.Description) > 45 {
		return ellipsis(s.r.Description, 45)
	}
	return s.r.Description
}
func (s searchRow) StarCount() string { return strconv.Itoa(s.r.StarCount) }
func (s searchRow) IsOfficial() string {
	if s.r.IsOfficial {
		return "[OK]"
	}
	return ""
}
func (s searchRow) IsAutomated() string {
	if s.r.IsAutomated {
		return "[OK]"
	}
	return ""
}

func (s searchRow) jsonFields() map[string]any {
	return map[string]any{"Name": s.Name(), "Description": s.Description(), "StarCount": s.StarCount(),
		"IsOfficial": s.IsOfficial(), "IsAutomated": s.IsAutomated()}
}

// searchAuth finds stored credentials for the registry a search term names
// ("host:port/term"), Docker Hub otherwise.
func searchAuth(term string) string {
	host, _, ok := strings.Cut(term, "/")
	if !ok || !strings.ContainsAny(host, ".:") && host != "localhost" {
		host = "docker.io"
	}
	f, err := readAuthFile(configDir())
	if err != nil {
		return ""
	}
	if a, ok := f.lookup(host); ok {
		return encodeAuth(a)
	}
	return ""
}

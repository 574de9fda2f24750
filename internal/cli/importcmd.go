package cli

import (
	"os"
	"strings"

	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	"github.com/spf13/cobra"
)

func (c *CLI) importCommand() *cobra.Command {
	var opts client.ImageImportOptions
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := client.ImageImportSource{SourceName: args[0]}
			switch {
			case args[0] == "-":
				src.Source = c.In
			case strings.HasPrefix(args[0], "http://"), strings.HasPrefix(args[0], "https://"):
				// The daemon fetches URLs itself.
			default:
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				src = client.ImageImportSource{SourceName: "-", Source: f}
			}
			var ref string
			if len(args) == 2 {
				ref = args[1]
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			body, err := api.ImageImport(ctx(), src, ref, opts)
			if err != nil {
				return err
			}
			defer body.Close()
			return jsonmessage.DisplayStream(body, c.Out)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&opts.Changes, "change", "c", nil, "Apply Dockerfile instruction to the created image")
	f.StringVarP(&opts.Message, "message", "m", "", "Set commit message for imported image")
	return cmd
}

package cli

import (
	"fmt"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// Version is the wharf release, set at link time.
var Version = "dev"

func (c *CLI) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the Wharf version information",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.Out, 0, 1, 1, ' ', 0)
			// API negotiation happens on the first request: ask the server first so
			// that the client section shows the version actually spoken.
			v, err := api.ServerVersion(ctx(), client.ServerVersionOptions{})
			fmt.Fprintf(w, "Client:\n Version:\t%s\n API version:\t%s\n Go version:\t%s\n OS/Arch:\t%s/%s\n\n",
				Version, api.ClientVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			if err != nil {
				w.Flush()
				return err
			}
			fmt.Fprintf(w, "%s\n Engine:\n  Version:\t%s\n  API version:\t%s (minimum version %s)\n  OS/Arch:\t%s/%s\n  Experimental:\t%t\n",
				strings.TrimSpace("Server: "+v.Platform.Name), v.Version, v.APIVersion, v.MinAPIVersion, v.Os, v.Arch, v.Experimental)
			for _, comp := range v.Components {
				if comp.Name != "Engine" {
					fmt.Fprintf(w, " %s:\n  Version:\t%s\n", comp.Name, comp.Version)
				}
			}
			return w.Flush()
		},
	}
}

package cli

import (
	"fmt"
	"runtime"
	"text/tabwriter"

	"github.com/docker/go-units"
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
			fmt.Fprintf(w, "Server: %s\n Engine:\n  Version:\t%s\n  API version:\t%s (minimum version %s)\n  OS/Arch:\t%s/%s\n  Experimental:\t%t\n",
				v.Platform.Name, v.Version, v.APIVersion, v.MinAPIVersion, v.Os, v.Arch, v.Experimental)
			for _, comp := range v.Components {
				if comp.Name != "Engine" {
					fmt.Fprintf(w, " %s:\n  Version:\t%s\n", comp.Name, comp.Version)
				}
			}
			return w.Flush()
		},
	}
}

func (c *CLI) infoCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			res, err := api.Info(ctx(), client.InfoOptions{})
			if err != nil {
				return err
			}
			i := res.Info
			if format != "" {
				return (table{}).write(c.Out, format, []any{i})
			}
			fmt.Fprintf(c.Out, "Client:\n Version:    %s\n\nServer:\n", Version)
			fmt.Fprintf(c.Out, " Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n Images: %d\n",
				i.Containers, i.ContainersRunning, i.ContainersPaused, i.ContainersStopped, i.Images)
			fmt.Fprintf(c.Out, " Server Version: %s\n Storage Driver: %s\n Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n",
				i.ServerVersion, i.Driver, i.LoggingDriver, i.CgroupDriver, i.CgroupVersion)
			fmt.Fprintf(c.Out, " Default Runtime: %s\n Init Binary: %s\n Security Options:\n", i.DefaultRuntime, i.InitBinary)
			for _, o := range i.SecurityOptions {
				fmt.Fprintf(c.Out, "  %s\n", o)
			}
			fmt.Fprintf(c.Out, " Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n CPUs: %d\n Total Memory: %s\n Name: %s\n ID: %s\n Docker Root Dir: %s\n Debug Mode: %t\n Live Restore Enabled: %t\n",
				i.KernelVersion, i.OperatingSystem, i.OSType, i.Architecture, i.NCPU,
				units.BytesSize(float64(i.MemTotal)), i.Name, i.ID, i.DockerRootDir, i.Debug, i.LiveRestoreEnabled)
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	return cmd
}

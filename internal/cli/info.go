package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

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
			if format != "" {
				return (table{}).write(c.Out, format, []any{res.Info})
			}
			printInfo(c.Out, res.Info)
			for _, w := range res.Info.Warnings {
				fmt.Fprintln(c.Err, w)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	return cmd
}

// printInfo writes the daemon's facts in docker info's layout.
func printInfo(w io.Writer, i system.Info) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("Client:\n Version:    %s\n\nServer:", Version)
	p(" Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n Images: %d",
		i.Containers, i.ContainersRunning, i.ContainersPaused, i.ContainersStopped, i.Images)
	p(" Server Version: %s\n Storage Driver: %s", i.ServerVersion, i.Driver)
	for _, kv := range i.DriverStatus {
		p("  %s: %s", kv[0], kv[1])
	}
	p(" Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s", i.LoggingDriver, i.CgroupDriver, i.CgroupVersion)
	p(" Default Runtime: %s\n Init Binary: %s", i.DefaultRuntime, i.InitBinary)
	if len(i.SecurityOptions) > 0 {
		p(" Security Options:")
	}
	// Options come as "name=seccomp,profile=default"; docker shows the name, then the rest.
	for _, opt := range i.SecurityOptions {
		for j, kv := range strings.Split(opt, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if j == 0 {
				p("  %s", v)
			} else {
				p("   %s: %s", strings.ToUpper(k[:1])+k[1:], v)
			}
		}
	}
	p(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n CPUs: %d\n Total Memory: %s",
		i.KernelVersion, i.OperatingSystem, i.OSType, i.Architecture, i.NCPU, units.BytesSize(float64(i.MemTotal)))
	p(" Name: %s\n ID: %s\n Docker Root Dir: %s\n Debug Mode: %t\n Experimental: %t\n Live Restore Enabled: %t",
		i.Name, i.ID, i.DockerRootDir, i.Debug, i.ExperimentalBuild, i.LiveRestoreEnabled)
	// As docker 28.3 and later print it (28.2 does not).
	if fw := i.FirewallBackend; fw != nil {
		p(" Firewall Backend: %s", fw.Driver)
		for _, kv := range fw.Info {
			p("  %s: %s", kv[0], kv[1])
		}
	}
	p("")
}

// Package runtime runs OCI bundles. Its first implementation embeds libcontainer.
package runtime

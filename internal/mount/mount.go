// Package mount describes filesystem mounts. Storage returns them; the
// runtime performs them ("storage describes, execution applies").
package mount

// Mount is one mount(2) call: for a container rootfs, an overlay with
// lowerdir/upperdir/workdir options and an empty Target (the rootfs itself).
type Mount struct {
	Type    string   `json:"type"`
	Source  string   `json:"source"`
	Target  string   `json:"target,omitempty"`
	Options []string `json:"options,omitempty"`
}

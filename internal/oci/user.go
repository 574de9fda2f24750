package oci

import (
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errdefs"
)

const maxID = 1<<31 - 1

type passwdEntry struct {
	name     string
	uid, gid int
	home     string
}

type groupEntry struct {
	name    string
	gid     int
	members []string
}

// execUser is a resolved user: its spec form plus what the environment needs.
type execUser struct {
	specs.User
	name string
	home string
}

func resolveUser(dirs []string, user string) (specs.User, error) {
	u, err := lookupUser(dirs, user, nil)
	return u.User, err
}

// lookupUser resolves "name", "uid", "name:group", "uid:gid" the way Docker
// (through runc's user package) does: names must exist, numbers need not;
// supplementary groups come from /etc/group membership unless a group is
// given, then groupAdd (names or numbers) is appended.
func lookupUser(dirs []string, spec string, groupAdd []string) (execUser, error) {
	userArg, groupArg, _ := strings.Cut(spec, ":")
	passwd, err := readPasswd(dirs)
	if err != nil {
		return execUser{}, err
	}
	u := execUser{home: "/"}
	found := false
	uidArg, uidErr := strconv.Atoi(userArg)
	for _, p := range passwd {
		if (userArg == "" && p.uid == 0) || (userArg != "" && p.name == userArg) ||
			(userArg != "" && uidErr == nil && p.uid == uidArg) {
			u.UID, u.GID, u.name, u.home = uint32(p.uid), uint32(p.gid), p.name, p.home
			found = true
			break
		}
	}
	if !found && userArg != "" {
		if uidErr != nil {
			return execUser{}, errdefs.Invalid("unable to find user %s: no matching entries in passwd file", userArg)
		}
		if uidArg < 0 || uidArg > maxID {
			return execUser{}, errdefs.Invalid("uids and gids must be in range 0-%d", maxID)
		}
		u.UID = uint32(uidArg)
	}

	var groups []groupEntry
	if groupArg != "" || len(groupAdd) > 0 || u.name != "" {
		if groups, err = readGroup(dirs); err != nil {
			return execUser{}, err
		}
	}
	var sgids []uint32
	if groupArg != "" {
		gid, err := findGroup(groups, groupArg)
		if err != nil {
			return execUser{}, err
		}
		u.GID = gid
	} else if u.name != "" {
		for _, g := range groups {
			if slices.Contains(g.members, u.name) {
				sgids = append(sgids, uint32(g.gid))
			}
		}
	}
	for _, g := range groupAdd {
		gid, err := findGroup(groups, g)
		if err != nil {
			return execUser{}, err
		}
		sgids = append(sgids, gid)
	}
	u.AdditionalGids = []uint32{u.GID}
	for _, g := range sgids {
		if !slices.Contains(u.AdditionalGids, g) {
			u.AdditionalGids = append(u.AdditionalGids, g)
		}
	}
	return u, nil
}

func findGroup(groups []groupEntry, arg string) (uint32, error) {
	for _, g := range groups {
		if g.name == arg {
			return uint32(g.gid), nil
		}
	}
	n, err := strconv.Atoi(arg)
	if err != nil {
		return 0, errdefs.Invalid("unable to find group %s: no matching entries in group file", arg)
	}
	if n < 0 || n > maxID {
		return 0, errdefs.Invalid("uids and gids must be in range 0-%d", maxID)
	}
	return uint32(n), nil
}

// readDB reads an /etc database from the image; a missing file is empty.
func readDB(dirs []string, name string) ([][]string, error) {
	data, err := readLayered(dirs, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errdefs.Invalid("reading %s from the image: %v", name, err)
	}
	var rows [][]string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, ":"))
	}
	return rows, nil
}

func field(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

func readPasswd(dirs []string) ([]passwdEntry, error) {
	rows, err := readDB(dirs, "/etc/passwd")
	var out []passwdEntry
	for _, r := range rows {
		uid, err1 := strconv.Atoi(field(r, 2))
		gid, err2 := strconv.Atoi(field(r, 3))
		if err1 != nil || err2 != nil {
			continue // a malformed line matches nothing
		}
		out = append(out, passwdEntry{name: r[0], uid: uid, gid: gid, home: field(r, 5)})
	}
	return out, err
}

func readGroup(dirs []string) ([]groupEntry, error) {
	rows, err := readDB(dirs, "/etc/group")
	var out []groupEntry
	for _, r := range rows {
		gid, err := strconv.Atoi(field(r, 2))
		if err != nil {
			continue
		}
		var members []string
		for m := range strings.SplitSeq(field(r, 3), ",") {
			if m = strings.TrimSpace(m); m != "" {
				members = append(members, m)
			}
		}
		out = append(out, groupEntry{name: r[0], gid: gid, members: members})
	}
	return out, err
}

package nat

import (
	"bytes"
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// ForeignForwardDrops names other software's forward base chains (families
// ip and inet) whose policy is drop and whose table never mentions any of
// bridges, e.g. "ip filter FORWARD": Docker sets that policy (through
// iptables-nft), and since every base chain on a hook must accept a packet,
// such a chain drops our containers' forwarded traffic whatever our own
// table accepts. iptables-legacy rules are not visible here.
func (t *Table) ForeignForwardDrops(bridges []string) ([]string, error) {
	chains, err := t.conn.ListChains()
	if err != nil {
		return nil, fmt.Errorf("nftables: list chains: %w", err)
	}
	var out []string
	for _, c := range chains {
		fam := c.Table.Family
		if fam != nftables.TableFamilyIPv4 && fam != nftables.TableFamilyINet {
			continue
		}
		if fam == t.table.Family && c.Table.Name == t.table.Name {
			continue
		}
		if c.Hooknum == nil || *c.Hooknum != *nftables.ChainHookForward || c.Policy == nil || *c.Policy != nftables.ChainPolicyDrop {
			continue
		}
		named, err := t.mentions(c.Table, chains, bridges)
		if err != nil {
			return nil, err
		}
		if !named {
			out = append(out, fmt.Sprintf("%s %s %s", familyName(fam), c.Table.Name, c.Name))
		}
	}
	return out, nil
}

// mentions reports whether a rule of table compares an interface name to
// one of bridges (an accept for them, most likely).
func (t *Table) mentions(table *nftables.Table, chains []*nftables.Chain, bridges []string) (bool, error) {
	for _, c := range chains {
		if c.Table.Name != table.Name || c.Table.Family != table.Family {
			continue
		}
		rules, err := t.conn.GetRules(table, c)
		if err != nil {
			return false, fmt.Errorf("nftables: rules of %s %s: %w", table.Name, c.Name, err)
		}
		for _, r := range rules {
			for _, e := range r.Exprs {
				cmp, ok := e.(*expr.Cmp)
				if !ok {
					continue
				}
				for _, b := range bridges {
					rest, ok := bytes.CutPrefix(cmp.Data, []byte(b))
					if ok && len(bytes.Trim(rest, "\x00")) == 0 {
						return true, nil
					}
				}
			}
		}
	}
	return false, nil
}

func familyName(f nftables.TableFamily) string {
	if f == nftables.TableFamilyINet {
		return "inet"
	}
	return "ip"
}

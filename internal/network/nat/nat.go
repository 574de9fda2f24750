// Package nat keeps Wharf's packet rules in one nftables table of its own,
// "ip wharf": outbound masquerade per network, published ports as kernel DNAT
// (no userland proxy), and forward drops between networks.
//
// Why a table of our own: nftables tables are independent, so Docker's or
// iptables-nft's tables are never read, flushed or edited; we only ever
// add and delete rules that carry our tag. Why family ip and not inet: the
// scope is IPv4 today and ip-family rules need no "meta nfproto" guard; IPv6
// will be a sibling "ip6 wharf" table built by the same code (Docker's own
// nftables backend splits ip/ip6 the same way).
package nat

import (
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
)

// TableName is the default name of our nftables table (family ip);
// WithTableName picks another, so that daemons sharing a host (tests) keep
// their rules apart.
const TableName = "wharf"

// TableFor is the table of the daemon whose default bridge is bridge:
// TableName for the usual wharf0, else one per bridge, so that daemons
// sharing a host (tests) keep their rules apart.
func TableFor(bridge string) string {
	if bridge == "" || bridge == "wharf0" {
		return TableName
	}
	return TableName + "-" + bridge
}

// Chain names inside our table.
const (
	chainPrerouting  = "prerouting"
	chainOutput      = "output"
	chainPostrouting = "postrouting"
	chainForward     = "forward"
)

// Table manages the rules of the "ip wharf" table in one network namespace.
type Table struct {
	conn  *nftables.Conn
	table *nftables.Table
}

// Option configures New.
type Option func(*options)

type options struct {
	conn []nftables.ConnOption
	name string
}

// WithTableName names the table; "" keeps TableName.
func WithTableName(name string) Option {
	return func(o *options) {
		if name != "" {
			o.name = name
		}
	}
}

// WithNetNS makes the Table act on the network namespace open at fd
// instead of the caller's. Sysctls (route_localnet) are still written in
// the calling thread's namespace.
func WithNetNS(fd int) Option {
	return func(o *options) { o.conn = append(o.conn, nftables.WithNetNSFd(fd)) }
}

// New returns a Table; it touches nothing until Ensure.
func New(opts ...Option) (*Table, error) {
	o := options{name: TableName}
	for _, f := range opts {
		f(&o)
	}
	c, err := nftables.New(o.conn...)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return &Table{conn: c, table: &nftables.Table{Name: o.name, Family: nftables.TableFamilyIPv4}}, nil
}

// Backend names the firewall backend for `info`.
func (t *Table) Backend() string { return "nftables" }

// chain describes one of our base chains. Priorities are the standard ones
// (dstnat -100, filter 0, srcnat 100), which iptables-nft and Docker use too:
// base chains of different tables on the same hook all run, so equal
// priorities coexist; the first NAT chain to set a mapping for a connection
// wins, and our rules match only our published ports and subnets.
func (t *Table) chain(name string) *nftables.Chain {
	c := &nftables.Chain{Name: name, Table: t.table}
	switch name {
	case chainPrerouting:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest
	case chainOutput:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest
	case chainPostrouting:
		c.Type, c.Hooknum, c.Priority = nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource
	case chainForward:
		accept := nftables.ChainPolicyAccept
		c.Type, c.Hooknum, c.Priority, c.Policy = nftables.ChainTypeFilter, nftables.ChainHookForward, nftables.ChainPriorityFilter, &accept
	}
	return c
}

var allChains = []string{chainPrerouting, chainOutput, chainPostrouting, chainForward}

// Ensure creates the table and its chains if missing. It is idempotent and
// keeps existing rules (it never flushes).
func (t *Table) Ensure() error {
	t.conn.AddTable(t.table)
	for _, name := range allChains {
		t.conn.AddChain(t.chain(name))
	}
	if err := t.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: create table ip %s: %w", t.table.Name, err)
	}
	return nil
}

// Delete removes our whole table (and only it), e.g. for tests or uninstall.
func (t *Table) Delete() error {
	t.conn.DelTable(t.table)
	if err := t.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: delete table ip %s: %w", t.table.Name, err)
	}
	return nil
}

// Rule is one of our rules as found in the kernel.
type Rule struct {
	Chain  string
	Owner  string // a Port.ID, or NetOwner(bridge) for network rules
	Key    string // what the rule is for, e.g. "tcp/0.0.0.0:8080->10.0.0.2:80 dnat"
	Handle uint64
}

// NetOwner is the owner tag of the rules that belong to a network (its
// masquerade, isolation and internal rules), for Reconcile's keep map.
func NetOwner(bridge string) string { return "net/" + bridge }

// tag is stored as the rule's nft comment: "wharf <owner> <key>", so that
// `nft list table ip wharf` shows it too.
func tag(owner, key string) []byte {
	return userdata.AppendString(nil, userdata.TypeComment, "wharf "+owner+" "+key)
}

func parseTag(ud []byte) (owner, key string, ok bool) {
	s, ok := userdata.GetString(ud, userdata.TypeComment)
	if !ok {
		return "", "", false
	}
	f := strings.SplitN(s, " ", 3)
	if len(f) != 3 || f[0] != "wharf" {
		return "", "", false
	}
	return f[1], f[2], true
}

// Rules lists our tagged rules in all our chains.
func (t *Table) Rules() ([]Rule, error) {
	var out []Rule
	for _, name := range allChains {
		rs, err := t.conn.GetRules(t.table, t.chain(name))
		if err != nil {
			return nil, fmt.Errorf("nftables: list chain %s: %w", name, err)
		}
		for _, r := range rs {
			if owner, key, ok := parseTag(r.UserData); ok {
				out = append(out, Rule{Chain: name, Owner: owner, Key: key, Handle: r.Handle})
			}
		}
	}
	return out, nil
}

// remove deletes, in one batch, every rule for which match is true.
func (t *Table) remove(match func(Rule) bool) error {
	rs, err := t.Rules()
	if err != nil {
		return err
	}
	n := 0
	for _, r := range rs {
		if !match(r) {
			continue
		}
		if err := t.conn.DelRule(&nftables.Rule{Table: t.table, Chain: t.chain(r.Chain), Handle: r.Handle}); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return nil
	}
	if err := t.conn.Flush(); err != nil {
		return fmt.Errorf("nftables: delete rules: %w", err)
	}
	return nil
}

// Reconcile deletes every rule whose owner is not in keep (port IDs and
// NetOwner(bridge) of the networks that still exist), e.g. after a
// daemon restart.
func (t *Table) Reconcile(keep map[string]bool) error {
	return t.remove(func(r Rule) bool { return !keep[r.Owner] })
}

// RemoveOwner deletes every rule of one owner (a port ID or NetOwner).
func (t *Table) RemoveOwner(owner string) error {
	return t.remove(func(r Rule) bool { return r.Owner == owner })
}

func (t *Table) add(chain, owner, key string, exprs ...[]exprAny) {
	var all []exprAny
	for _, e := range exprs {
		all = append(all, e...)
	}
	t.conn.AddRule(&nftables.Rule{Table: t.table, Chain: t.chain(chain), Exprs: all, UserData: tag(owner, key)})
}

// Forget deletes every rule of the network on bridge: its own (NetOwner)
// and the isolation rules other networks hold against it, so a removed
// network leaves nothing behind.
func (t *Table) Forget(bridge string) error {
	return t.remove(func(r Rule) bool {
		return r.Owner == NetOwner(bridge) ||
			(strings.HasPrefix(r.Key, "isolate ") && strings.HasSuffix(r.Key, ">"+bridge))
	})
}

package nat

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// exprAny keeps the expression builders short.
type exprAny = expr.Any

// The builders below each return the expressions of one nft match, named
// after the nft syntax they stand for.

func cmpReg1(op expr.CmpOp, data []byte) exprAny {
	return &expr.Cmp{Op: op, Register: 1, Data: data}
}

// ipAddr matches "ip saddr A" (src) or "ip daddr A".
func ipAddr(src bool, a netip.Addr) []exprAny {
	off := uint32(16)
	if src {
		off = 12
	}
	b := a.As4()
	return []exprAny{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4},
		cmpReg1(expr.CmpOpEq, b[:]),
	}
}

// ipPrefix matches "ip saddr P" (src) or "ip daddr P".
func ipPrefix(src bool, p netip.Prefix) []exprAny {
	off := uint32(16)
	if src {
		off = 12
	}
	p = p.Masked()
	mask := make([]byte, 4)
	binary.BigEndian.PutUint32(mask, ^uint32(0)<<(32-p.Bits()))
	if p.Bits() == 0 {
		mask = []byte{0, 0, 0, 0}
	}
	net := p.Addr().As4()
	return []exprAny{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}},
		cmpReg1(expr.CmpOpEq, net[:]),
	}
}

// l4Dport matches "meta l4proto P th dport N".
func l4Dport(proto string, port uint16) []exprAny {
	return []exprAny{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		cmpReg1(expr.CmpOpEq, []byte{protoNum(proto)}),
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		cmpReg1(expr.CmpOpEq, binaryutil.BigEndian.PutUint16(port)),
	}
}

func protoNum(proto string) byte {
	if proto == "udp" {
		return unix.IPPROTO_UDP
	}
	return unix.IPPROTO_TCP
}

// ifname matches "iifname X" / "oifname X" (op Eq) or their "!=" form.
func ifname(in bool, op expr.CmpOp, name string) []exprAny {
	key := expr.MetaKeyOIFNAME
	if in {
		key = expr.MetaKeyIIFNAME
	}
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []exprAny{&expr.Meta{Key: key, Register: 1}, cmpReg1(op, b)}
}

// fibLocal matches "fib daddr type local" (or saddr when src).
func fibLocal(src bool) []exprAny {
	return []exprAny{
		&expr.Fib{Register: 1, ResultADDRTYPE: true, FlagDADDR: !src, FlagSADDR: src},
		cmpReg1(expr.CmpOpEq, binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)),
	}
}

// dnat is "dnat to A:port".
func dnat(a netip.Addr, port uint16) []exprAny {
	b := a.As4()
	return []exprAny{
		&expr.Immediate{Register: 1, Data: b[:]},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(port)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}
}

func masquerade() []exprAny { return []exprAny{&expr.Masq{}} }

func drop() []exprAny { return []exprAny{&expr.Verdict{Kind: expr.VerdictDrop}} }

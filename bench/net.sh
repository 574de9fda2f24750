#!/usr/bin/env bash
# bench/net.sh: Wharf's networking figures on this machine, measured in one run
# against its own isolated daemon (own bridge, nftables table, cgroup parent):
#   - published port throughput: ab -c 8 against a busybox httpd in a container,
#     via 127.0.0.1:<published port> and via the container's IP, and the ratio
#   - median of N `wharf run --rm busybox true` on the default bridge, with
#     --network none as the reference
#   - connecting C containers to one user network: ms per container
#   - DNS lookup latency by name inside a container on a user network
# Env: N (default 30), C (default 100), REQUESTS (ab -n, default 4000), ROUNDS (3),
# LOOKUPS (default 200), WHARF_BINARY (default: build one), ONLY (a space
# separated subset of: ports run connect dns).
# Run as root from anywhere: bench/net.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
N=${N:-30}
C=${C:-100}
REQUESTS=${REQUESTS:-4000}
ROUNDS=${ROUNDS:-3}
LOOKUPS=${LOOKUPS:-200}
ONLY=${ONLY:-ports run connect dns}
[ "$(id -u)" = 0 ] || { echo "bench/net.sh: run as root" >&2; exit 1; }
command -v ab >/dev/null || scripts/apt-ensure apache2-utils

root=$(mktemp -d /tmp/wn-XXXX) # short: unix socket paths are limited to 108 bytes
cg=wharf-netbench-$$-$RANDOM
sock=$root/wharf.sock
daemon_pid=
bindir=
. bench/lib.sh
br=wn$(printf '%06x' $((RANDOM * 32768 + RANDOM)) | cut -c1-6)
usernet=wnu$$
cleanup() {
	set +e
	# User networks' bridges are named br-<id>: remove them by the network list before the daemon goes.
	if [ -S "$sock" ]; then
		ids=$(w ps -aq 2>/dev/null)
		[ -z "$ids" ] || w rm -f $ids >/dev/null 2>&1
		w network rm "$usernet" >/dev/null || echo "bench/net.sh: network rm $usernet failed" >&2
	fi
	sweep_daemon
	[ -z "$bindir" ] || rm -rf "$bindir"
}
trap cleanup EXIT

bin=${WHARF_BINARY:-}
if [ -z "$bin" ]; then
	bindir=$(mktemp -d /tmp/wharf-netbenchbin.XXXXXX) # outside the exec-root
	go build -tags "seccomp netgo osusergo" -ldflags "-extldflags -static" -o "$bindir/wharf" ./cmd/wharf
	bin=$bindir/wharf
fi
w() { "$bin" -H "unix://$sock" "$@"; }

"$bin" daemon --data-root "$root/data" --exec-root "$root/exec" -H "unix://$sock" \
	--cgroup-parent "/$cg" --config-file "$root/daemon.json" --bridge-name "$br" </dev/null >"$root/daemon.log" 2>&1 &
daemon_pid=$!
disown "$daemon_pid"
ready_with_busybox

want() { [[ " $ONLY " == *" $1 "* ]]; }
rps() { # requests/s of ab -c 8 against URL $1 ("0" and its last words when it fails)
	local out
	out=$(ab -q -r -c 8 -n "$REQUESTS" "$1" 2>&1) || { echo "bench/net.sh: ab $1: $(echo "$out" | tail -2)" >&2; echo 0; return; }
	echo "$out" | awk '/^Requests per second/ { print $4 }'
}
echo "wharf network benchmarks (this machine: $(nproc) cores)"

if want ports; then
	w run -d --name web -p 127.0.0.1::80 busybox sh -c 'mkdir -p /www && head -c 1024 /dev/zero >/www/index.html && exec httpd -f -p 80 -h /www' >/dev/null
	port=$(w inspect -f '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}' web)
	ip=$(w inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web)
	for _ in $(seq 50); do busybox wget -q -O /dev/null "http://$ip/" 2>/dev/null && break; sleep 0.1; done
	ab -q -c 8 -n 500 "http://127.0.0.1:$port/" >/dev/null 2>&1 # warm-up
	# Alternate the two, ROUNDS times, and take each one's median: this VM's
	# load drifts. Total connections stay under the ephemeral port range, so
	# TIME_WAIT reuse does not skew the published side.
	direct=() published=()
	for _ in $(seq "$ROUNDS"); do
		direct+=("$(rps "http://$ip/")")
		published+=("$(rps "http://127.0.0.1:$port/")")
	done
	w rm -f web >/dev/null
	d=$(printf '%s\n' "${direct[@]}" | median)
	p=$(printf '%s\n' "${published[@]}" | median)
	awk -v d="$d" -v p="$p" -v n="$REQUESTS" -v r="$ROUNDS" 'BEGIN {
		printf "  %-52s %9.0f req/s (ab -c 8 -n %d, 1 KiB page, median of %d)\n", "httpd at the container IP", d, n, r
		printf "  %-52s %9.0f req/s (%.1f%% of direct; goal >= 95%%)\n", "httpd via 127.0.0.1:<published port>", p, 100 * p / d
	}'
fi

if want run; then
	# Interleaved, so that drift in this VM's load hits both alike.
	for _ in 1 2 3; do w run --rm --network none busybox true; w run --rm busybox true; done >/dev/null
	none=() bridge=()
	for _ in $(seq "$N"); do
		none+=("$(time_ms w run --rm --network none busybox true)")
		bridge+=("$(time_ms w run --rm busybox true)")
	done
	none_ms=$(printf '%s\n' "${none[@]}" | median)
	bridge_ms=$(printf '%s\n' "${bridge[@]}" | median)
	awk -v a="$none_ms" -v b="$bridge_ms" -v n="$N" 'BEGIN {
		printf "  %-52s %9.2f ms  (median of %d)\n", "wharf run --rm --network none busybox true", a, n
		printf "  %-52s %9.2f ms  (+%.2f ms; goal <= 30 ms)\n", "wharf run --rm busybox true (default bridge)", b, b - a
	}'
fi

if want connect || want dns; then
	if ! w network create "$usernet" >/dev/null 2>"$root/netcreate.err"; then
		echo "  user networks: skipped ($(head -1 "$root/netcreate.err"))"
		ONLY=${ONLY//connect/}
		ONLY=${ONLY//dns/}
	fi
fi

if want connect; then
	# C sleepers on the default bridge, then `network connect` each to the
	# user network (a second interface, eth1, and the network's DNS).
	ids=()
	for i in $(seq "$C"); do ids+=("$(w run -d --name "c$i" busybox sleep 1000)"); done
	t0=$EPOCHREALTIME
	for id in "${ids[@]}"; do w network connect "$usernet" "$id"; done
	t1=$EPOCHREALTIME
	n=$(w network inspect -f '{{len .Containers}}' "$usernet")
	awk -v a="$t0" -v b="$t1" -v c="$C" -v n="$n" 'BEGIN {
		printf "  %-52s %9.2f ms  (%d containers on it after)\n", "network connect of " c " running containers, per container", (b - a) * 1000 / c, n
	}'
fi

if want dns; then
	w run -d --network "$usernet" --name dnstarget busybox sleep 1000 >/dev/null 2>&1 || true
	# Inside one container: LOOKUPS nslookups by name, timed by /proc/uptime
	# (centiseconds, over many runs), then as many fork+exec of /bin/true.
	out=$(w run --rm --network "$usernet" busybox sh -c '
		read a _ </proc/uptime
		i=0; while [ $i -lt '"$LOOKUPS"' ]; do nslookup dnstarget >/dev/null || exit 1; i=$((i+1)); done
		read b _ </proc/uptime
		i=0; while [ $i -lt '"$LOOKUPS"' ]; do /bin/true; i=$((i+1)); done
		read c _ </proc/uptime
		echo "$a $b $c"')
	awk -v o="$out" -v n="$LOOKUPS" 'BEGIN {
		split(o, t, " ")
		look = (t[2] - t[1]) * 1000 / n
		fork = (t[3] - t[2]) * 1000 / n
		printf "  %-52s %9.3f ms  (busybox nslookup in a container, %d runs: %.3f ms less its fork+exec)\n", "DNS lookup by name on a user network", look, n, look - fork
	}'
	go test -run XXX -bench Lookup -benchtime 2000x ./internal/network/dns/ 2>/dev/null | awk '/^Benchmark/ {
		printf "  %-52s %9.3f ms\n", "Go: " $1, $3 / 1e6 }'
fi

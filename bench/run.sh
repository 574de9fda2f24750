#!/usr/bin/env bash
# bench/run.sh: Wharf's start latency and memory on this machine, measured side
# by side in one run against its own isolated daemon (never a user's):
#   - median of N `wharf run --rm --network none busybox true` vs fork+exec of /bin/true
#   - median of N `wharf exec c true`
#   - M detached `sleep 1000` containers: ms per container
#   - daemon idle RSS; supervisor PSS per running container
# Env: N (default 30), M (default 50), WHARF_BINARY (default: build one),
# BENCH_REFERENCE=dockerd: the same figures for Debian's dockerd 20.10 and the
# docker CLI (supervision memory = its containerd shims).
# Run as root from anywhere: bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
N=${N:-30}
M=${M:-50}
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root" >&2; exit 1; }

root=$(mktemp -d /tmp/wb-XXXX)  # short: unix socket paths are limited to 108 bytes
cg=wharf-bench-$$-$RANDOM
sock=$root/wharf.sock
daemon_pid=

. bench/lib.sh # the cd above put us at the repo root
# Our own bridge, so the benchmark never touches a running daemon's wharf0.
br=wb$(printf '%06x' $((RANDOM * 32768 + RANDOM)) | cut -c1-6)
cleanup() {
	set +e
	sweep_daemon
}
trap cleanup EXIT

reference=${BENCH_REFERENCE:-}
cli=wharf
[ "$reference" = dockerd ] && cli=docker
bin=${WHARF_BINARY:-}
if [ "$reference" = dockerd ]; then
	bin=/usr/local/bin/docker
	export DOCKER_CONFIG=$root/docker-config
elif [ -z "$bin" ]; then
	bindir=$(mktemp -d /tmp/wharf-benchbin.XXXXXX) # outside the exec-root
	trap 'cleanup; rm -rf "$bindir"' EXIT
	go build -tags "seccomp netgo osusergo" -ldflags "-extldflags -static" -o "$bindir/wharf" ./cmd/wharf
	bin=$bindir/wharf
fi
w() { "$bin" -H "unix://$sock" "$@"; }

if [ "$reference" = dockerd ]; then
	echo '{}' >"$root/dockerd.json"
	/usr/sbin/dockerd --data-root "$root/data" --exec-root "$root/exec" -H "unix://$sock" \
		--cgroup-parent "/$cg" --pidfile "$root/dockerd.pid" --config-file "$root/dockerd.json" \
		--bridge none --iptables=false --ip-forward=false --ip-masq=false --userland-proxy=false \
		</dev/null >"$root/daemon.log" 2>&1 &
else
	"$bin" daemon --data-root "$root/data" --exec-root "$root/exec" -H "unix://$sock" \
		--cgroup-parent "/$cg" --config-file "$root/daemon.json" --bridge-name "$br" </dev/null >"$root/daemon.log" 2>&1 &
fi
daemon_pid=$!
disown "$daemon_pid"
ready_with_busybox

series() { # series N CMD...: median of N runs after 3 warm-ups
	local n=$1
	shift
	for _ in 1 2 3; do "$@" >/dev/null; done
	for _ in $(seq "$n"); do time_ms "$@"; done | median
}
kb() { awk -v k="$2" '$1 == k":" { print $2 }' "$1"; }
# supervision_pss: Pss (KiB) of what supervises our containers: wharf's
# supervisor, or for the reference all containerd shims (and containerd).
supervision_pss() {
	local pattern="supervisor .*$root/exec" total=0 p v
	[ "$reference" = dockerd ] && pattern="containerd.*$root/"
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "$pattern"; then
			v=$(kb "$p/smaps_rollup" Pss 2>/dev/null || true)
			total=$((total + ${v:-0}))
		fi
	done
	echo "$total"
}

true_ms=$(series "$N" /bin/true)
run_ms=$(series "$N" w run --rm --network none busybox true)
w run -d --name bench-exec busybox sleep 1000 >/dev/null
exec_ms=$(series "$N" w exec bench-exec true)
w rm -f bench-exec >/dev/null

sleep 1
rss_kb=$(kb "/proc/$daemon_pid/status" VmRSS)
pss_before=$(supervision_pss)
t0=$EPOCHREALTIME
for i in $(seq "$M"); do w run -d --network none busybox sleep 1000 >/dev/null; done
t1=$EPOCHREALTIME
sleep 1
pss_after=$(supervision_pss)
running=$(w ps -q | wc -l)
ids=$(w ps -aq)
[ -z "$ids" ] || w rm -f $ids >/dev/null

awk -v tr="$true_ms" -v run="$run_ms" -v ex="$exec_ms" -v t0="$t0" -v t1="$t1" -v m="$M" -v n="$N" \
	-v rss="$rss_kb" -v pb="$pss_before" -v pa="$pss_after" -v up="$running" -v cli="$cli" 'BEGIN {
	printf "%s benchmarks (%d-run medians; this machine: %s cores)\n", "'"${reference:-wharf}"'", n, "'"$(nproc)"'"
	printf "  %-52s %9.2f ms\n", "fork+exec /bin/true", tr
	printf "  %-52s %9.2f ms  (%.1fx /bin/true; goal <= 15 ms)\n", cli " run --rm --network none busybox true", run, run / tr
	printf "  %-52s %9.2f ms  (goal <= 15 ms)\n", cli " exec c true", ex
	printf "  %-52s %9.2f ms  (goal <= 30 ms; %d running after)\n", m " x " cli " run -d busybox sleep 1000, per container", (t1 - t0) * 1000 / m, up
	printf "  %-52s %9.1f MB  (goal <= 40 MB)\n", "daemon idle RSS", rss / 1024
	printf "  %-52s %9.0f KiB (goal <= 1024 KiB; %d -> %d KiB)\n", "supervisor PSS per running container", (pa - pb) / m, pb, pa
}'

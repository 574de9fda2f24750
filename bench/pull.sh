#!/usr/bin/env bash
# bench/pull.sh: Wharf's registry figures on this machine, in one run, against
# Debian's docker-registry on 127.0.0.1 and our own isolated daemon:
#   - pull + unpack of the ~200 MB debootstrap'd Debian image vs
#     `skopeo copy docker://... dir:` (download and verify only): ratio
#   - cold push of the same image to a fresh registry vs skopeo registry->registry
#   - a second image sharing the base: blob bytes its pull downloads (access log)
#   - layer unpack throughput: layer.Store.Apply vs `tar -x` of the same tar
# The Debian rootfs is cached in /var/cache/wharf-test (built once, ~70 s).
# Env: WHARF_BINARY (default: build one), EXTRA_MB (second image's new layer, default 8).
# Run as root from anywhere: bench/pull.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
EXTRA_MB=${EXTRA_MB:-8}
[ "$(id -u)" = 0 ] || { echo "bench/pull.sh: run as root" >&2; exit 1; }
for b in docker-registry skopeo tar; do
	command -v "$b" >/dev/null || { echo "bench/pull.sh: $b is not installed (apt-get install docker-registry skopeo)" >&2; exit 1; }
done

root=$(mktemp -d /tmp/wp-XXXX) # short: unix socket paths are limited to 108 bytes
cg=wharf-bench-$$-$RANDOM
sock=$root/wharf.sock
daemon_pid=
reg_pids=()

. bench/lib.sh # the cd above put us at the repo root
# Our own bridge, so the benchmark never touches a running daemon's wharf0.
br=wb$(printf '%06x' $((RANDOM * 32768 + RANDOM)) | cut -c1-6)
cleanup() {
	set +e
	for p in "${reg_pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	sweep_daemon
}
trap cleanup EXIT

go build -o "$root/pullprep" ./bench/cmd/pullprep
bin=${WHARF_BINARY:-}
if [ -z "$bin" ]; then
	mkdir -p "$root/bin"
	go build -tags "seccomp netgo osusergo" -ldflags "-extldflags -static" -o "$root/bin/wharf" ./cmd/wharf
	bin=$root/bin/wharf
fi
w() { "$bin" -H "unix://$sock" "$@"; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
# timed VAR cmd...: runs cmd, sets VAR to its seconds or "FAILED".
timed() {
	local var=$1 t0 t1
	shift
	t0=$(now)
	if "$@" >"$root/last.out" 2>&1; then
		t1=$(now)
		printf -v "$var" '%s' "$(secs "$t0" "$t1")"
	else
		printf -v "$var" FAILED
		echo "bench/pull.sh: failed: $*" >&2
		tail -5 "$root/last.out" >&2
	fi
}

# start_registry NAME: a plain-HTTP registry with its own storage; sets
# REG (host:port) and REGLOG (its log, access log included).
start_registry() {
	local name=$1 port
	port=$("$root/pullprep" freeport)
	mkdir -p "$root/$name/storage"
	cat >"$root/$name/config.yml" <<-EOF
	version: 0.1
	log:
	  level: warn
	  accesslog:
	    disabled: false
	storage:
	  filesystem:
	    rootdirectory: $root/$name/storage
	  delete:
	    enabled: true
	http:
	  addr: 127.0.0.1:$port
	  secret: bench
	EOF
	docker-registry serve "$root/$name/config.yml" >"$root/$name/log" 2>&1 &
	reg_pids+=($!)
	REG=127.0.0.1:$port
	REGLOG=$root/$name/log
	for _ in $(seq 100); do
		curl -fsS "http://$REG/v2/" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench/pull.sh: registry $name did not start" >&2
	cat "$REGLOG" >&2
	exit 1
}
# blob_bytes LOG: bytes sent by successful blob GETs so far.
blob_bytes() {
	awk '/"GET \/v2\/[^ ]*\/blobs\/sha256:[0-9a-f]+ HTTP\/[0-9.]+" 200 [0-9]+/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^HTTP\//) { n += $(i + 2); break } } END {print n + 0}' "$1"
}
mb() { awk -v n="$1" 'BEGIN {printf "%.1f", n / 1048576}'; }

echo "preparing images (the Debian rootfs is built once and cached)..." >&2
rootfs=$("$root/pullprep" rootfs)
"$root/pullprep" debian-archive "$root/debian.tar"
"$root/pullprep" second-archive "$root/second.tar" "$EXTRA_MB"
size_mb=$(mb "$(stat -c %s "$rootfs")")

start_registry src
SRC=$REG SRCLOG=$REGLOG
skopeo copy --quiet --dest-tls-verify=false "docker-archive:$root/debian.tar" "docker://$SRC/debian:bookworm"

"$bin" daemon --data-root "$root/data" --exec-root "$root/exec" -H "unix://$sock" \
	--cgroup-parent "/$cg" --config-file "$root/daemon.json" --bridge-name "$br" </dev/null >"$root/daemon.log" 2>&1 &
daemon_pid=$!
disown "$daemon_pid"
for _ in $(seq 300); do w version >/dev/null 2>&1 && break; sleep 0.05; done
w version >/dev/null || { echo "bench/pull.sh: daemon did not start" >&2; cat "$root/daemon.log" >&2; exit 1; }

sync
timed t_pull w pull "$SRC/debian:bookworm"
timed t_skopeo skopeo copy --quiet --src-tls-verify=false "docker://$SRC/debian:bookworm" "dir:$root/skopeo-dir"
rm -rf "$root/skopeo-dir"
t_check=$(w run --rm "$SRC/debian:bookworm" cat /etc/debian_version 2>/dev/null || echo FAILED)

# Second image: only its new layer should travel.
skopeo copy --quiet --dest-tls-verify=false "docker-archive:$root/second.tar" "docker://$SRC/debian:second"
before=$(blob_bytes "$SRCLOG")
timed t_second w pull "$SRC/debian:second"
second_bytes=$(( $(blob_bytes "$SRCLOG") - before ))

# Cold pushes: each to a fresh registry.
start_registry push-wharf
timed t_push sh -c "'$bin' -H 'unix://$sock' tag '$SRC/debian:bookworm' '$REG/debian:bookworm' && '$bin' -H 'unix://$sock' push '$REG/debian:bookworm'"
start_registry push-skopeo
timed t_skopush skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://$SRC/debian:bookworm" "docker://$REG/debian:bookworm"

# Unpack throughput of the same uncompressed tar, page cache warm for both.
cat "$rootfs" >/dev/null
mkdir -p "$root/apply" "$root/tarx"
t_apply=$("$root/pullprep" apply "$rootfs" "$root/apply" 2>"$root/apply.err" || echo FAILED)
rm -rf "$root/apply"
timed t_tarx tar --numeric-owner -xf "$rootfs" -C "$root/tarx"
rm -rf "$root/tarx"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.1fx", a / b; else print "-" }'; }
rate() { awk -v s="$1" -v m="$size_mb" 'BEGIN { if (s+0 > 0) printf "%.0f MB/s", m / s; else print "-" }'; }

printf '\nWharf registry benchmark (%s, %s MB Debian rootfs, %d cores)\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$size_mb" "$(nproc)"
printf '%-52s %10s  %s\n' "measure" "seconds" "note"
inflater="in-process gzip (apt-get install isal for igzip: ~0.4 s faster)"
command -v igzip >/dev/null && inflater="igzip"
printf '%-52s %10s  %s\n' "pull + unpack debian:bookworm (wharf)" "$t_pull" "goal <= 1.5 s; the pulled image runs: debian_version $(echo "$t_check" | head -1); inflate: $inflater"
printf '%-52s %10s  %s\n' "skopeo copy docker:// -> dir: (no unpack)" "$t_skopeo" "wharf/skopeo $(ratio "$t_pull" "$t_skopeo")"
printf '%-52s %10s  %s\n' "cold push to a fresh registry (wharf)" "$t_push" "goal <= 2 s"
printf '%-52s %10s  %s\n' "skopeo copy registry -> fresh registry" "$t_skopush" "wharf/skopeo $(ratio "$t_push" "$t_skopush")"
printf '%-52s %10s  %s\n' "pull of a 2nd image sharing the base (wharf)" "$t_second" "blob bytes sent: $(mb "$second_bytes") MB for a ${EXTRA_MB} MB new layer"
printf '%-52s %10s  %s\n' "unpack: layer.Store.Apply of the rootfs tar" "$t_apply" "$(rate "$t_apply")"
printf '%-52s %10s  %s\n' "unpack: tar -x of the same tar" "$t_tarx" "$(rate "$t_tarx")"

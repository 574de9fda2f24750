# bench/lib.sh: sourced by the benchmark scripts. sweep_daemon removes what a
# benchmark daemon left: the daemon ($daemon_pid), its supervisor and anything
# naming $root, containers in cgroup parent $cg, mounts under $root, bridge $br
# with its nftables table, then $root itself.
sweep_daemon() {
	set +e
	if [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null; then
		for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$daemon_pid" 2>/dev/null
	fi
	local p hier d
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "$root/" && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	# Containers: every process in our cgroup parent (a few passes: some fork while dying), then the cgroups.
	for hier in $(awk '$0 ~ / - cgroup2? / {print $5}' /proc/self/mountinfo); do
		for d in $(find "$hier" -maxdepth 4 -type d -name "$cg" 2>/dev/null); do
			for _ in 1 2 3 4 5; do
				find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null
				sleep 0.1
			done
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	# Mounts under our root, deepest first.
	awk -v r="$root" '$5 == r || index($5, r "/") == 1 {print $5}' /proc/self/mountinfo |
		awk '{print length, $0}' | sort -rn | cut -d' ' -f2- | xargs -r -n1 umount -l 2>/dev/null
	# Our bridge and its nftables table (named after the bridge).
	ip link del "$br" 2>/dev/null
	nft delete table ip "wharf-$br" 2>/dev/null
	rm -rf "$root"
}

# ready_with_busybox waits for the daemon at $sock (through w) and imports
# busybox:latest from Debian's busybox-static.
ready_with_busybox() {
	for _ in $(seq 150); do w version >/dev/null 2>&1 && break; sleep 0.2; done
	w version >/dev/null || { echo "daemon did not start:"; cat "$root/daemon.log"; exit 1; }
	scripts/busybox-tar "$root/busybox.tar"
	w import --change 'CMD ["sh"]' "$root/busybox.tar" busybox:latest >/dev/null
}

# time_ms CMD...: wall time of one run in ms (bash's clock: no extra fork).
time_ms() {
	local t0=$EPOCHREALTIME
	"$@" >/dev/null
	local t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

# median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

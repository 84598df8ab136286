#!/bin/bash
# bench.sh quick|full - the benchmark matrix (README.md).  Needs root; every
# cell runs in its own `unshare --mount --propagation private` namespace.
set -euo pipefail
mode=${1:-quick}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
M=$here/../mntsnap

case $mode in
quick) shapes=${SHAPES:-"flat groups container"} sizes=${SIZES:-"1000 10000"} reps=${REPS:-3} ;;
full) shapes=${SHAPES:-"flat binds groups deep container multi"} sizes=${SIZES:-"1000 10000 50000"} reps=${REPS:-5} ;;
*) echo "usage: bench.sh quick|full" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 2; }
[ -x "$M" ] || { echo "bench: build ../mntsnap first (make at the top)" >&2; exit 2; }
for tool in jq findmnt unshare awk; do
	command -v $tool > /dev/null || { echo "bench: needs $tool" >&2; exit 2; }
done

mkdir -p "$out"
raw=$out/raw.tsv notes=$out/notes.txt machine=$out/machine.md
: > "$raw"
: > "$notes"
# The namespace we start in: gen refuses to mount in it (PID 1's namespace
# is unreadable in some sandboxes).
host_ns=$(stat -L -c %i /proc/self/ns/mnt)
host_mounts_before=$(grep -c . /proc/self/mountinfo)

{
	echo "# mntsnap benchmark results ($mode)"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); mntsnap $(git -C "$here/.." describe --always --dirty 2>/dev/null || echo '?')"
	echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, kernel $(uname -r)"
	echo "- findmnt: $(findmnt --version | head -1); fs.mount-max $(cat /proc/sys/fs/mount-max); RLIMIT_NOFILE $(ulimit -Sn)/$(ulimit -Hn)"
	echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- repetitions per command: $reps at N ≥ 50000, $((reps + 2)) below (the 10k medians are the linearity ratios' denominators: runs of 20-40 ms vary by ±20 % here), alternating within each repetition; medians of successful runs; a command that fails is not repeated"
	echo "- per-command timeout: ${BENCH_TIMEOUT:-60} s"
} > "$machine"

start=$(date +%s)
# Shape by shape, the sizes one after the other: the linearity ratio
# t(50k)/t(10k) compares two cells, and this machine's speed drifts by tens of
# percent over minutes (a VM); adjacent cells drift least.
for shape in $shapes; do
	for n in $sizes; do
		printf 'bench: %-9s N=%-6s ... ' "$shape" "$n"
		t0=$(date +%s%N)
		r=$reps
		# short runs are noisier, and cheap
		[ "$n" -lt 50000 ] && r=$((reps + 2))
		unshare --mount --propagation private "$here/cell.sh" "$shape" "$n" "$r" "$host_ns" "$raw" "$notes" ||
			echo "$shape $n: cell failed" >> "$notes"
		echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms"
	done
done
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); total $(($(date +%s) - start)) s" >> "$machine"

[ "$(grep -c . /proc/self/mountinfo)" = "$host_mounts_before" ] ||
	echo "bench: WARNING: the starting namespace's mount count changed" >&2

"$here/summarize.sh" "$raw" "$notes" "$machine" > "$out/results.md"
cat "$out/results.md"

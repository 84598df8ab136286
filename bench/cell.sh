#!/bin/bash
# cell.sh SHAPE N REPS HOST_NS_INO RAW NOTES - one cell of the matrix.
#
# Runs inside `unshare --mount --propagation private` (bench.sh starts it so):
# builds the layout with gen, then measures, alternating the commands of each
# group within every repetition:
#   capture: cat /proc/self/mountinfo, findmnt --raw, findmnt --json --list,
#            floor -s (the statmount() calls of a capture, nothing else),
#            mntsnap capture -p $$ (whole namespace, --kernel=auto)
#   replay:  floor vs mntsnap replay --new --no-verify vs replay --new
#            (of a --subtree capture of the layout); floor -s of the
#            copy replay --no-verify made (the kernel's part of reading it
#            back, as the verification does)
#   diff:    mntsnap diff A B (B: a capture of the replayed copy, renumbered)
#            vs sort|diff of the two mountinfo dumps with ids stripped
# Appends "shape n cmd rep wall_ms maxrss_kb status user_ms sys_ms" lines to RAW and
# correctness notes to NOTES; one more line, "shape n json-files 1 0 KiB 0 0 0",
# holds the size of the two snapshots diff reads (its RSS target), not a run.
#
# Shape multi: the layout is N/50 namespaces pinned at BASE/pins/ns<k> (gen.c);
# "cat" is `floor -i` of every pin (setns + read of each mountinfo: no process
# lives in them), capture is `capture -m` of every pin, the snapshot replayed
# is that capture, and every comparison covers every namespace.
set -euo pipefail
shape=$1 n=$2 reps=$3 host_ns=$4 raw=$5 notes=$6
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
M=$(cd "$here/.." && pwd)/mntsnap
T=$here/bin/timeit
TO=${BENCH_TIMEOUT:-60}

W=$(mktemp -d /tmp/mntsnap-bench.XXXXXX)
mount -t tmpfs bench-scratch "$W"
mount --make-private "$W"
mkdir "$W/base" "$W/runs"
cleanup() {
	cd /
	# one lazy detach takes the whole tree (umount -R walks mountinfo per mount)
	umount -l "$W" 2>/dev/null || true
	rmdir "$W" 2>/dev/null || true
}
trap cleanup EXIT

note() { echo "$shape $n: $*" >> "$notes"; }
rec() { # rec CMD REP -- timeit args...
	local cmd=$1 rep=$2 res f
	shift 3
	res=$("$T" -t "$TO" "$@" 2>>"$W/stderr")
	echo "$shape $n $cmd $rep $res" >> "$raw"
	read -ra f <<< "$res"
	echo "${f[2]}" # the exit status
}

if ! "$here/bin/gen" -H "$host_ns" "$shape" "$n" "$W/base" 2>>"$W/stderr"; then
	rc=$?
	[ $rc = 3 ] && { note "SKIP: $(tail -1 "$W/stderr")"; exit 0; }
	note "gen failed: $(tail -1 "$W/stderr")"
	exit 1
fi
# Pagecache and dentries warm for every command alike.
cat /proc/self/mountinfo > /dev/null

# multi: the pins, in order, and -m arguments for each
pins=() margs=()
if [ "$shape" = multi ]; then
	for ((k = 0; ; k++)); do
		[ -e "$W/base/pins/ns$k" ] || break
		pins+=("$W/base/pins/ns$k")
		margs+=(-m "$W/base/pins/ns$k")
	done
fi
# multi_mountinfo PIN...: their mountinfo, each mountpoint prefixed /ns<k>
multi_mountinfo() {
	local k=0 p
	for p in "$@"; do
		"$here/bin/floor" -i "$p" | awk -v k=$k '{ $5 = "/ns" k ($5 == "/" ? "" : $5); print }'
		k=$((k + 1))
	done
}

# --- capture -------------------------------------------------------------
have_capture=1
"$M" capture -p $$ -o /dev/null 2>/dev/null || { have_capture=0; note "mntsnap capture unavailable"; }
for r in $(seq 1 "$reps"); do
	if [ "$shape" = multi ]; then
		rec cat "$r" -- -o /dev/null "$here/bin/floor" -i "${pins[@]}" > /dev/null
		rec statmount "$r" -- "$here/bin/floor" -s "${pins[@]}" > /dev/null
		[ $have_capture = 1 ] &&
			rec capture "$r" -- "$M" capture "${margs[@]}" -o /dev/null > /dev/null
		continue
	fi
	rec cat "$r" -- -o /dev/null cat /proc/self/mountinfo > /dev/null
	rec findmnt-raw "$r" -- -o /dev/null findmnt --raw > /dev/null
	rec findmnt-json-list "$r" -- -o /dev/null findmnt --json --list > /dev/null
	rec statmount "$r" -- "$here/bin/floor" -s > /dev/null
	[ $have_capture = 1 ] &&
		rec capture "$r" -- "$M" capture -p $$ --kernel=auto -o /dev/null > /dev/null
done

# --- replay --------------------------------------------------------------
live='{}'
if [ "$shape" = multi ]; then
	[ $have_capture = 1 ] || { note "multi needs mntsnap capture"; exit 1; }
	"$M" capture "${margs[@]}" -o "$W/a.json"
	# the volumes, live here: a device -> path map for desc.jq
	live=$(awk -v b="$W/base/vol" 'index($5, b) == 1 { printf "%s\"%s\": \"%s\"", n++ ? ", " : "{", $3, $5 } END { print n ? "}" : "{}" }' /proc/self/mountinfo)
elif [ $have_capture = 1 ]; then
	"$M" capture -p $$ --subtree "$W/base" -o "$W/a.json"
else
	awk -v base="$W/base" -f "$here/mi2json.awk" /proc/self/mountinfo > "$W/a.json"
fi
prefix=$(jq -r --arg b "$W/base" '.namespaces[0].mounts[0].mountpoint | if . == "/" then $b else "" end' "$W/a.json")
jq -r --arg prefix "$prefix" --argjson live "$live" -f "$here/desc.jq" "$W/a.json" > "$W/desc.tsv"
if [ "$shape" = multi ]; then
	multi_mountinfo "${pins[@]}" | canon_mountinfo "" > "$W/orig.canon"
else
	canon_mountinfo "$W/base" < /proc/self/mountinfo > "$W/orig.canon"
fi
# copy_pins DIR: the pins a replay or the floor made in DIR, in order
copy_pins() {
	local k
	for ((k = 0; k < ${#pins[@]} || k == 0; k++)); do echo "$1/ns$k"; done
}

# check_copy LABEL DIR: compares the replayed namespace pinned at DIR/ns0 with
# the original layout (modulo ids), once per cell and command.
check_copy() {
	local d
	if [ "$shape" = multi ]; then
		mapfile -t cp < <(copy_pins "$2")
		multi_mountinfo "${cp[@]}" | canon_mountinfo "" > "$W/copy.canon"
	else
		"$here/bin/floor" -i "$2/ns0" | canon_mountinfo "" > "$W/copy.canon"
	fi
	d=$(diff "$W/orig.canon" "$W/copy.canon" | grep -c '^[<>]' || true)
	if [ "$d" = 0 ]; then note "$1: copy identical to the original (modulo ids)"
	else note "$1: copy differs from the original in $d mountinfo lines, e.g. $(diff "$W/orig.canon" "$W/copy.canon" | grep -m1 '^[<>]')"; fi
}
drop() {
	local p
	for p in "$1"/ns*; do umount "$p" 2>/dev/null || true; done
	rm -rf "$1"
}

keep="" failed=" "
for r in $(seq 1 "$reps"); do
	for cmd in floor replay-noverify replay-verify; do
		# a command that failed (not timed out) fails again: not repeated
		case $failed in *" $cmd "*) continue ;; esac
		d="$W/runs/$cmd.$r"
		mkdir "$d"
		case $cmd in
		floor) st=$(rec floor "$r" -- "$here/bin/floor" "$d" "$W/desc.tsv") ;;
		replay-noverify) st=$(rec "$cmd" "$r" -- "$M" replay --new="$d" --no-verify "$W/a.json") ;;
		replay-verify) st=$(rec "$cmd" "$r" -- "$M" replay --new="$d" "$W/a.json") ;;
		esac
		if [ "$st" != 0 ]; then
			[ "$st" != 124 ] && failed="$failed$cmd "
			[ "$r" = 1 ] && note "$cmd: exit $st: $(grep -v '^floor: [0-9]' "$W/stderr" | tail -1)"
		elif [ "$r" = 1 ] && [ -e "$d/ns0" ]; then
			check_copy "$cmd" "$d"
		fi
		# the kernel's part of reading a copy back (the verification's
		# capture): replay's own copy, the one verification reads
		if [ "$cmd" = replay-noverify ] && [ "$st" = 0 ] && [ -e "$d/ns0" ]; then
			mapfile -t copy_of_replay < <(copy_pins "$d")
			rec statmount-copy "$r" -- "$here/bin/floor" -s "${copy_of_replay[@]}" > /dev/null
		fi
		# keep one replayed copy (replay's if it worked) for the diff
		if [ "$r" = 1 ] && [ "$st" = 0 ] && [ -e "$d/ns0" ] &&
			{ [ -z "$keep" ] || [ "$cmd" = replay-noverify ]; }; then
			[ -n "$keep" ] && drop "$keep"
			keep=$d
		else
			drop "$d"
		fi
	done
done

# --- diff ----------------------------------------------------------------
[ -n "$keep" ] || { note "no replayed copy: diff not measured"; exit 0; }
note "diff: B is a capture of the copy made by ${keep##*/}"
mapfile -t kept < <(copy_pins "$keep")
if [ "$shape" = multi ]; then
	multi_mountinfo "${pins[@]}" > "$W/A.mi"
	multi_mountinfo "${kept[@]}" > "$W/B.mi"
	cp "$W/a.json" "$W/A.json"
	bm=()
	for p in "${kept[@]}"; do bm+=(-m "$p"); done
	"$M" capture "${bm[@]}" -o "$W/B.json"
	"$M" diff -q "$W/A.json" "$W/B.json" && note "mntsnap diff A B: same (exit 0)" ||
		note "mntsnap diff A B: exit $? ($("$M" diff "$W/A.json" "$W/B.json" 2>&1 | grep -c . ) lines)"
else
awk -v b="$W/base" '$5 == b || index($5, b "/") == 1 {
	sub(" " b "/", " /"); sub(" " b " ", " / "); print }' /proc/self/mountinfo > "$W/A.mi"
"$here/bin/floor" -i "$keep/ns0" > "$W/B.mi"
fi
if [ $have_capture = 1 ] && [ "$shape" != multi ]; then
	# A: the --subtree capture rebased (its mountpoints stay absolute)
	jq --arg p "$W/base" '.namespaces[0].mounts |= map(.mountpoint |=
		(if . == $p then "/" else ltrimstr($p) end))' "$W/a.json" > "$W/A.json"
	"$M" capture -m "$keep/ns0" -o "$W/B.json"
	"$M" diff -q "$W/A.json" "$W/B.json" && note "mntsnap diff A B: same (exit 0)" ||
		note "mntsnap diff A B: exit $? ($("$M" diff "$W/A.json" "$W/B.json" 2>&1 | grep -c . ) lines)"
fi
# check (issue 12): the full spec of A (capture --format=spec of A's
# mountinfo) checked against B: the comparison diff A B makes
if [ $have_capture = 1 ]; then
	"$M" capture -F "$W/A.mi" --format=spec -o "$W/A.spec" 2>/dev/null || true
	[ -s "$W/A.spec" ] || note "check: no full spec of A"
	[ ! -s "$W/A.spec" ] || { "$M" check -q "$W/A.spec" "$W/B.json" &&
		note "mntsnap check A.spec B: met (exit 0)" ||
		note "mntsnap check A.spec B: exit $?"; }
fi
# the size of the two snapshots diff reads, for its RSS target: a record of
# its own (wall 0, status 0; the KiB where a run puts its peak RSS)
if [ -s "$W/A.json" ] && [ -s "$W/B.json" ]; then
	echo "$shape $n json-files 1 0 $((($(stat -c %s "$W/A.json") + $(stat -c %s "$W/B.json")) / 1024)) 0 0 0" >> "$raw"
fi
for r in $(seq 1 "$reps"); do
	rec sort-diff "$r" -- -o /dev/null bash -c 'export LC_ALL=C; diff <(awk -f "$1" "$2" | sort) <(awk -f "$1" "$3" | sort)' \
		bash "$here/strip.awk" "$W/A.mi" "$W/B.mi" > /dev/null
	[ $have_capture = 1 ] &&
		rec diff "$r" -- -o /dev/null "$M" diff "$W/A.json" "$W/B.json" > /dev/null
	[ $have_capture = 1 ] && [ -s "$W/A.spec" ] &&
		rec check "$r" -- -o /dev/null "$M" check "$W/A.spec" "$W/B.json" > /dev/null
done
if [ -n "${BENCH_KEEP_SNAPS:-}" ]; then
	mkdir -p "$BENCH_KEEP_SNAPS"
	# those made (no A.json or A.spec without mntsnap capture)
	for f in A.json B.json A.mi B.mi A.spec; do
		[ ! -s "$W/$f" ] || cp "$W/$f" "$BENCH_KEEP_SNAPS/"
	done
fi
drop "$keep"
exit 0

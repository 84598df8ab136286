#!/usr/bin/env bash
# run.sh DIR CLASS - runs every case of CLASS that gen.sh listed in
# DIR/cases, except those named in known_failing.txt (all of them with
# HOSTILE_KNOWN=1), and prints one line per case that does not behave:
#
#   diff FILE FILE, replay -n --new=DIR/c/new FILE, and a real replay
#   --new=DIR/c/new FILE in a private mount namespace of its own, each under
#   `timeout 20` and a 4 GiB address space, from the canary directory DIR/c:
#   2  exit 2, nothing on stdout, one line "mntsnap: CMD: ..." on stderr
#      per problem (replay lists every problem it finds before starting);
#      the namespace's mountinfo unchanged, nothing new anywhere in DIR/c
#   0  exit 0 (diff: no output); new mounts and files only in DIR/c/new
#   x  either of these
#   r  (real replay) exit 0 or 1 (replayed, different), as 0 otherwise
#   N  (dry run) 2, or 0 with no step creating a superblock but tmpfs
#   never a signal or a hang.  Exits 1 if any case misbehaved.
# Needs root (unshare); the caller should be in a private mount namespace.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
D=$1
want=$2
M=${MNTSNAP:-$here/../../mntsnap}
C=$D/c
N=$C/new
T=$D/run
mkdir -p "$T"
declare -A known
while read -r k _; do
	[[ $k == "#"* ]] || known[$k]=1
done <"$here/known_failing.txt"
shopt -s dotglob nullglob
bad=0 n=0 skipped=0

# bad_case WHAT: report what the current case did wrong
bad_case() {
	echo "$class/$name: $*"
	bad=1
}

# run_cmd CMD...: runs mntsnap CMD... as a case does: output in $T/out
# and $T/err, status in rc
run_cmd() {
	(
		ulimit -v 4194304
		cd "$C" && exec timeout -k 5 20 "$M" "$@"
	) <"$stdin" >"$T/out" 2>"$T/err"
	rc=$?
}

# judge CMD EXPECT: the status and output of the last run_cmd, and the canary
judge() {
	local cmd=$1 exp=$2 err what="$1 ($2)"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		bad_case "$what: hangs (killed after 20 s)"
		return
	fi
	if [ "$rc" -gt 128 ]; then
		bad_case "$what: killed by signal $((rc - 128)): $(head -c 200 "$T/err" | tr '\n' ' ')"
		return
	fi
	IFS= read -r -d '' err <"$T/err"
	case $exp$rc in
	[2xN]2)
		if [ -s "$T/out" ]; then
			bad_case "$what: exit 2 with output on stdout: $(head -c 200 "$T/out" | tr '\n' ' ')"
		elif [[ $err != "mntsnap: $cmd: "*$'\n' ]] || grep -qv "^mntsnap: $cmd: " "$T/err"; then
			bad_case "$what: exit 2, but stderr is not lines 'mntsnap: $cmd: ...': $(head -c 300 "$T/err" | tr '\n' '|')"
		fi
		;;
	[0xr]0 | r1)
		[ "$cmd" != diff ] || [ ! -s "$T/out" ] || bad_case "$what: diff X X prints $(head -c 200 "$T/out")"
		;;
	N0)
		! grep -E '^[0-9]+ create [^ ]+ superblock' "$T/out" | grep -vq '^[0-9]* create tmpfs ' ||
			bad_case "$what: plans to create: $(grep -E '^[0-9]+ create [^ ]+ superblock' "$T/out" | grep -v ' tmpfs ' | head -n 1)"
		;;
	*)
		bad_case "$what: exit $rc: $(head -c 300 "$T/err" | tr '\n' '|')"
		;;
	esac
	# the canary: nothing but DIR, and in DIR only what a success left
	local in_c=("$C"/*) in_n=("$N"/*)
	[ "${in_c[*]}" = "$N" ] || bad_case "$what: wrote outside --new=DIR: ${in_c[*]}"
	[ "$rc" -ne 2 ] || [ ${#in_n[@]} = 0 ] || bad_case "$what: failed, but left in DIR: ${in_n[*]}"
	if [ "${in_c[*]}" != "$N" ] || [ ${#in_n[@]} != 0 ]; then
		rm -rf "$C"
		mkdir -p "$N"
	fi
}

# real_replay ARGS...: replay ARGS in a new private mount namespace; its
# mountinfo before and after in $T/mi.before, $T/mi.after
real_replay() {
	unshare --mount --propagation private bash -c '
		T=$1; shift
		cat /proc/self/mountinfo >"$T/mi.before"
		"$@"
		cat /proc/self/mountinfo >"$T/mi.after"
		echo "$rc" >"$T/rc"' bash "$T" run_cmd "$@"
}

export -f run_cmd
export M C T stdin
mkdir -p "$N"
cat /proc/self/mountinfo >"$T/outer.before"
while IFS=$'\t' read -r class name expect file stdin args; do
	[ "$class" = "$want" ] || continue
	if [ "${HOSTILE_KNOWN:-}" != 1 ] && [ -n "${known[$class/$name]:-}" ]; then
		skipped=$((skipped + 1))
		continue
	fi
	n=$((n + 1))
	[ "$stdin" != . ] || stdin=/dev/null
	[ "$args" != . ] || args=
	export stdin
	d=$file
	[ "$file" != - ] || d=$D/in/base--valid.json
	if [ "${expect:0:1}" != - ]; then
		run_cmd diff "$file" "$d"
		judge diff "${expect:0:1}"
	fi
	# shellcheck disable=SC2086 # ARGS is a list of options
	if [ "${expect:1:1}" != - ]; then
		run_cmd replay -n --new="$N" $args "$file"
		judge replay "${expect:1:1}"
	fi
	if [ "${expect:2:1}" != - ]; then
		# never a real replay of a file system but tmpfs, nsfs and made-up types
		types=
		[ ! -f "$file" ] || types=$(head -c 64M "$file" | grep -aoE '"fstype": ?"[^"]*"')
		if [ -n "$types" ] && grep -vqE '"(tmpfs|nsfs|nosuch[^"]*|)"$' <<<"$types"; then
			bad_case "gen.sh: a real replay of a file system type that is not tmpfs"
			continue
		fi
		real_replay replay --new="$N" $args "$file"
		rc=$(cat "$T/rc")
		if [ "${expect:2:1}" = 0 ] || [ "${expect:2:1}" = r ]; then
			# new mounts only in DIR
			if diff "$T/mi.before" "$T/mi.after" | grep '^[<>]' | awk -v n="$N/" '$1 == "<" || index($6, n) != 1' | grep -q .; then
				bad_case "replay: mounts changed outside --new=DIR"
			fi
		elif ! cmp -s "$T/mi.before" "$T/mi.after"; then
			bad_case "replay: mounts changed: $(diff "$T/mi.before" "$T/mi.after" | grep '^[<>]' | head -n 3 | tr '\n' '|')"
		fi
		judge replay "${expect:2:1}"
	fi
done <"$D/cases"
diff "$T/outer.before" /proc/self/mountinfo || {
	echo "$want: the mounts of the namespace running the battery changed"
	bad=1
}
echo "# $want: $n inputs run, $skipped known to fail skipped"
exit $bad

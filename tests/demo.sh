#!/usr/bin/env bash
# demo.sh - run by `make demo`: the main job end to end on this machine.
#
#   1. capture this shell's mount namespace (the machine's, with its real
#      propagation) and show a summary;
#   2. in a private mount namespace of our own: replay the snapshot into a
#      brand-new namespace (--new=DIR), capture that copy and diff the two;
#   3. print the verdict.
#
# Capturing changes nothing.  Everything replay mounts (the new namespace's
# pin under the work directory) lives inside the private namespace of step
# 2, which disappears when it ends: nothing stays mounted in the caller's
# namespace, and the script checks that at the end.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
MNTSNAP=${MNTSNAP:-$TOP/mntsnap}

say() { printf '\n== %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 2
}

# has_cmd NAME: the mntsnap command NAME is implemented (not the placeholder)
has_cmd() { "$MNTSNAP" "$1" --help >/dev/null 2>&1; }

[ -x "$MNTSNAP" ] || die "no $MNTSNAP: run 'make' first"
[ "$(id -u)" = 0 ] || die "needs root (capturing and replaying mount namespaces needs CAP_SYS_ADMIN)"
command -v jq >/dev/null || die "needs jq (make deps)"
has_cmd capture || die "capture not available yet: nothing to show"

work=$(mktemp -d /tmp/mntsnap-demo.XXXXXX)
before_mounts=$(awk -v w="$work" 'index($5, w) == 1' /proc/self/mountinfo | wc -l)
cleanup() {
	# the private namespace is gone by now, so this only removes files
	rm -rf -- "$work"
}
trap cleanup EXIT

say "mntsnap $("$MNTSNAP" --version | tr '\n' ' ')on $(uname -sr)"

say "1. capture this machine's mount namespace (the one this shell is in)"
"$MNTSNAP" capture -p $$ -o "$work/before.json"
echo "wrote $work/before.json ($(wc -c <"$work/before.json") bytes)"
jq -r '
	.namespaces[0] as $ns | $ns.mounts as $m |
	"method \(.capture.method), namespace \($ns.label) (mnt_ns_id \($ns.mnt_ns_id // "?"), \($ns.pids | length) processes)",
	"  \($m | length) mounts on \([$m[].dev] | unique | length) superblocks, \([$m[].fstype] | unique | length) filesystem types",
	"  \([$m[] | select(.shared_id != 0) | .shared_id] | unique | length) peer groups, \([$m[] | select(.master_id != 0)] | length) slave mounts, \([$m[] | select(.unbindable)] | length) unbindable",
	"  \([$m[] | select(.parent != null) | . as $c | $m[] | select(.id == $c.parent and .mountpoint == $c.mountpoint)] | length) mounts stacked on another at the same path"
' "$work/before.json"
if all=$("$MNTSNAP" -q capture -A --compact 2>/dev/null); then
	jq -r '"  (the whole machine: \(.namespaces | length) mount namespaces, \([.namespaces[].mounts[]] | length) mounts; mntsnap capture -A)"' <<<"$all"
fi

say "the layout as a tree (mntsnap capture --tree -p \$\$; first 40 lines)"
"$MNTSNAP" capture --tree -p $$ | head -n 40 || true

if ! has_cmd replay; then
	say "replay not available yet: stopping after the capture (merge main and run again)"
	exit 0
fi

say "2. replay it into a new mount namespace, capture that, compare"
export MNTSNAP work
set +e
unshare --mount --propagation private bash -euo pipefail -c '
	mkdir -p "$work/ns"
	echo "\$ mntsnap replay --new=$work/ns before.json"
	set +e
	"$MNTSNAP" replay --new="$work/ns" "$work/before.json"
	rc=$?
	set -e
	echo "replay exit status: $rc (0 = replayed and verified identical)"
	[ -e "$work/ns/ns0" ] || { echo "demo: replay made no namespace at $work/ns/ns0" >&2; exit 2; }
	echo
	echo "\$ nsenter --mount=$work/ns/ns0 findmnt -o TARGET,FSTYPE,PROPAGATION (first 12 lines)"
	nsenter --mount="$work/ns/ns0" findmnt -o TARGET,FSTYPE,PROPAGATION | head -n 12 || true
	echo
	"$MNTSNAP" capture -m "$work/ns/ns0" -o "$work/after.json"
	echo "\$ mntsnap diff before.json after.json"
	set +e
	"$MNTSNAP" diff "$work/before.json" "$work/after.json"
	drc=$?
	set -e
	exit $(( rc > drc ? rc : drc ))
'
status=$?
set -e

after_mounts=$(awk -v w="$work" 'index($5, w) == 1' /proc/self/mountinfo | wc -l)
[ "$after_mounts" -eq "$before_mounts" ] ||
	die "BUG: $((after_mounts - before_mounts)) mounts left under $work in this namespace"

say "3. verdict"
case $status in
0) echo "IDENTICAL: the replayed namespace has the same mounts, superblocks, peer groups and masters as this one." ;;
1) echo "DIFFERENT: the replayed namespace differs from this one (see the lines above)." ;;
*) echo "TROUBLE: replay or diff failed (exit status $status; see the message above)." ;;
esac
echo "(nothing was left mounted in this namespace)"
exit "$status"

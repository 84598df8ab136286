# Shared setup for every bats file.
#
# Rules: a test that mounts does it inside `in_private_ns` (a new mount
# namespace, everything made private), under a scratch directory; nothing
# reaches the namespace the test started in.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

MNTSNAP="${MNTSNAP:-$BATS_TEST_DIRNAME/../../mntsnap}"
TOP="$BATS_TEST_DIRNAME/../.."
FIXTURES="$BATS_TEST_DIRNAME/fixtures"

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# in_private_ns SCRIPT [ARGS...]: runs bash SCRIPT in a new private mount
# namespace.  MNTSNAP, TOP, FIXTURES and BATS_TEST_TMPDIR are exported.
in_private_ns() {
	local script=$1
	shift
	MNTSNAP="$MNTSNAP" TOP="$TOP" FIXTURES="$FIXTURES" TMP="$BATS_TEST_TMPDIR" \
		unshare --mount --propagation private bash -euo pipefail -c "$script" bash "$@"
}

# mountinfo_no_ids FILE|-: mountinfo without ids, dev and group numbers, for
# comparing layouts by eye or with diff(1).
mountinfo_no_ids() {
	awk '{ out = $4 " " $5 " " $6; for (i = 7; $i != "-"; i++) { sub(/:[0-9]+$/, "", $i); out = out " " $i }
	       for (j = i; j <= NF; j++) out = out " " $j; print out }' "${1:--}"
}

#!/usr/bin/env bats
# replay's verification: the comparison of what was built with the snapshot,
# printed through the diff report, on snapshots that only a hand (or another
# machine) writes.

load test_helper

# A tmpfs at $TMP/w with a tmpfs at $TMP/w/a, captured as $TMP/snap.json.
layout='
mkdir -p "$TMP/w" "$TMP/out"
mount -t tmpfs tw "$TMP/w"; mkdir "$TMP/w/a"; mount -t tmpfs ta "$TMP/w/a"
"$MNTSNAP" capture -p $$ --subtree "$TMP/w" -o "$TMP/snap.json"
'

@test "replay of a snapshot whose dev is 4294967295:N: verified, the dev numbers reported, no crash" {
	require_root
	"$MNTSNAP" capture -p $$ -o /dev/null 2>/dev/null || skip "capture not in this build"
	run --separate-stderr in_private_ns "$layout"'
		jq ".namespaces[].mounts |= (to_entries
			| map(.value.dev = \"4294967295:\(4294967295 - .key)\") | map(.value))" \
			"$TMP/snap.json" >"$TMP/max.json"
		rc=0; "$MNTSNAP" replay --fresh --mkdir --new="$TMP/out" "$TMP/max.json" || rc=$?
		echo "rc=$rc"
		"$MNTSNAP" diff --ignore=dev "$TMP/max.json" ns:"$TMP/out/ns0" && echo "same but dev"'
	assert_equal "$stderr" ""
	assert_success
	W=$BATS_TEST_TMPDIR/w
	assert_output --regexp "^replayed, but the result differs from the snapshot:
~ $W: dev: 4294967295:4294967295 -> 0:[0-9]+
~ $W/a: dev: 4294967295:4294967294 -> 0:[0-9]+
rc=1
same but dev$"
}

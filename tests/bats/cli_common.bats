#!/usr/bin/env bats
# What every command shares: COMMAND -h is COMMAND --help, -q prints nothing
# but errors, --help shows no test-only knob, and replay's -t/-n (findmnt's
# --types/--noheadings) yield to --target/--dry-run in the help.

load test_helper

COMMANDS="capture replay diff"
EX="$TOP/spec/examples/group-tree.json"

@test "COMMAND -h prints the command's help, as --help does, exit 0" {
	local cmd help
	for cmd in $COMMANDS; do
		run --separate-stderr "$MNTSNAP" "$cmd" --help
		assert_success
		help=$output
		run --separate-stderr "$MNTSNAP" "$cmd" -h
		assert_success
		assert_equal "$stderr" ""
		assert_line --index 0 --partial "Usage: mntsnap $cmd"
		assert_equal "$output" "$help"
	done
}

@test "--help shows no test-only environment variable" {
	local cmd
	for cmd in "" $COMMANDS; do
		# shellcheck disable=SC2086 # "" is the global help
		run --separate-stderr "$MNTSNAP" $cmd --help
		assert_success
		refute_output --partial MNTSNAP_
		refute_output --regexp '[Tt]est only'
	done
}

@test "every command lists -q, --quiet in its help" {
	local cmd
	for cmd in $COMMANDS; do
		run --separate-stderr "$MNTSNAP" "$cmd" --help
		assert_line --regexp '^ +-q, --quiet +Print nothing but errors'
	done
}

@test "capture -q: nothing on stdout or stderr; with -o the file is written" {
	local mi="$BATS_TEST_TMPDIR/mountinfo"
	printf '%s\n' '1 0 8:1 / / rw - ext4 /dev/sda1 rw' '2 1 0:40 / /a rw shared:3 - tmpfs t rw' >"$mi"
	run --separate-stderr "$MNTSNAP" capture -q -F "$mi"
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run --separate-stderr "$MNTSNAP" capture -q --tree -F "$mi"
	assert_success
	assert_output ""
	run --separate-stderr "$MNTSNAP" capture -q -F "$mi" -o "$BATS_TEST_TMPDIR/s.json"
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	jq -e '.namespaces[0].mounts[1].mountpoint == "/a"' "$BATS_TEST_TMPDIR/s.json"
}

@test "-q still prints the error, one line, exit 2, for every command" {
	run --separate-stderr "$MNTSNAP" capture -q -F "$BATS_TEST_TMPDIR/missing"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mntsnap: capture: mountinfo file '$BATS_TEST_TMPDIR/missing': No such file or directory"
	run --separate-stderr "$MNTSNAP" diff -q "$BATS_TEST_TMPDIR/missing" "$EX"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mntsnap: diff: cannot open '$BATS_TEST_TMPDIR/missing': No such file or directory"
	run --separate-stderr "$MNTSNAP" replay -q --dry-run --new=/nonexistent "$BATS_TEST_TMPDIR/missing"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "mntsnap: replay: cannot open '$BATS_TEST_TMPDIR/missing': No such file or directory"
}

@test "replay -q --dry-run: the plan is made, not printed, exit 0" {
	run --separate-stderr "$MNTSNAP" replay --dry-run --mkdir --new=/nonexistent "$EX"
	assert_success
	[ "${#lines[@]}" -gt 2 ]
	run --separate-stderr "$MNTSNAP" replay -q --dry-run --mkdir --new=/nonexistent "$EX"
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run --separate-stderr "$MNTSNAP" -q replay --dry-run --mkdir --new=/nonexistent "$EX"
	assert_success
	assert_output ""
}

@test "replay -q: a result that differs prints nothing, exit 1 all the same" {
	require_root
	"$MNTSNAP" capture -p $$ -o /dev/null 2>/dev/null || skip "capture not in this build"
	# a dev no live superblock has: the replayed tmpfs differs in dev only
	run --separate-stderr in_private_ns '
		mkdir -p "$TMP/w" "$TMP/out" "$TMP/out2"
		mount -t tmpfs tw "$TMP/w"
		"$MNTSNAP" capture -p $$ --subtree "$TMP/w" -o "$TMP/snap.json"
		jq ".namespaces[].mounts[].dev = \"4294967295:4294967295\"" "$TMP/snap.json" >"$TMP/max.json"
		rc=0; "$MNTSNAP" replay -q --fresh --new="$TMP/out" "$TMP/max.json" || rc=$?
		echo "rc=$rc"
		rc=0; "$MNTSNAP" replay --fresh --new="$TMP/out2" "$TMP/max.json" >/dev/null || rc=$?
		echo "without -q rc=$rc"'
	assert_success
	assert_equal "$stderr" ""
	assert_output "rc=1
without -q rc=1"
}

@test "replay: --target and --dry-run are the documented forms; -t and -n still work" {
	run --separate-stderr "$MNTSNAP" replay --help
	assert_line --regexp '^ +--target=PID +'
	assert_line --regexp '^ +--dry-run +'
	refute_output --regexp '(^| )-[tn],'
	run --separate-stderr "$MNTSNAP" replay --dry-run --mkdir --new=/nonexistent "$EX"
	assert_success
	local plan=$output
	run --separate-stderr "$MNTSNAP" replay -n --mkdir --new=/nonexistent "$EX"
	assert_success
	assert_equal "$output" "$plan"
	# -t is still --target: two targets are refused the same way
	run --separate-stderr "$MNTSNAP" replay -t 1 --new=/nonexistent "$EX"
	assert_failure 2
	[[ "$stderr" == "mntsnap replay: more than one target given"$'\n'* ]]
	run --separate-stderr "$MNTSNAP" replay -t x --new=/nonexistent "$EX"
	assert_failure 2
	[[ "$stderr" == "mntsnap replay: --target 'x': not a process id"$'\n'* ]]
}

#!/usr/bin/env bats
# The command-line contract of /work/brief/cli.md as a user meets it: version,
# help, exit status 2 and a message naming the culprit for every usage error.
# Nothing here mounts.

load test_helper

# The versions the binary must print, read from the sources it is built from.
tool_version() { sed -n 's/^#define MNTSNAP_VERSION "\(.*\)"$/\1/p' "$TOP/lib/version.h"; }
format_version() { sed -n 's/^#define MNTS_FORMAT_VERSION \([0-9]*\)$/\1/p' "$TOP/lib/core/model.h"; }

@test "--version prints the program and the snapshot format version, exit 0" {
	local v f
	v=$(tool_version)
	f=$(format_version)
	[ -n "$v" ]
	[ -n "$f" ]
	run --separate-stderr "$MNTSNAP" --version
	assert_success
	assert_equal "${lines[0]}" "mntsnap $v"
	assert_equal "${lines[1]}" "snapshot format $f"
	assert_equal "$stderr" ""
}

@test "-V is --version" {
	run --separate-stderr "$MNTSNAP" -V
	assert_success
	assert_line --index 0 "mntsnap $(tool_version)"
}

@test "--help, -h and -? print the usage and the three commands on stdout, exit 0" {
	local opt
	for opt in --help -h -?; do
		run --separate-stderr "$MNTSNAP" "$opt"
		assert_success
		assert_line --partial "Usage: mntsnap"
		assert_line --regexp '^ +capture +'
		assert_line --regexp '^ +replay +'
		assert_line --regexp '^ +diff +'
		assert_equal "$stderr" ""
	done
}

@test "--usage exits 0" {
	run --separate-stderr "$MNTSNAP" --usage
	assert_success
	assert_output --partial "Usage: mntsnap"
}

@test "no command: exit 2, says so on stderr, nothing on stdout" {
	run --separate-stderr "$MNTSNAP"
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == *"mntsnap: no command given"* ]]
}

@test "only global options and no command: exit 2" {
	run --separate-stderr "$MNTSNAP" -v
	assert_failure 2
	[[ "$stderr" == *"no command given"* ]]
}

@test "unknown command: exit 2 naming it" {
	run --separate-stderr "$MNTSNAP" frobnicate
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == *"mntsnap: 'frobnicate' is not a mntsnap command"* ]]
}

@test "unknown global option: exit 2 naming it" {
	run --separate-stderr "$MNTSNAP" --frobnicate capture
	assert_failure 2
	[[ "$stderr" == *"--frobnicate"* ]]
	run --separate-stderr "$MNTSNAP" -Z capture
	assert_failure 2
	[[ "$stderr" == *"-- 'Z'"* ]]
}

@test "each command's --help: exit 0, its own usage line on stdout" {
	local cmd
	for cmd in capture replay diff; do
		run --separate-stderr "$MNTSNAP" "$cmd" --help
		assert_success
		assert_line --partial "Usage: mntsnap $cmd"
		assert_equal "$stderr" ""
	done
}

# a long option listed twice in --help is two entries in a command's
# option table (replay once had --target twice)
@test "each command's --help lists each long option once" {
	local cmd
	for cmd in capture replay diff check show; do
		run "$MNTSNAP" "$cmd" --help
		assert_success
		dups=$(printf '%s\n' "$output" | sed -n 's/^ \{2,6\}\(-., \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' |
			sort | uniq -d)
		assert_equal "$cmd: $dups" "$cmd: "
	done
}

@test "global options are accepted before a command" {
	run --separate-stderr "$MNTSNAP" -q -v capture --help
	assert_success
	assert_line --partial "Usage: mntsnap capture"
}

@test "unknown option of a command: exit 2 naming it" {
	local cmd
	for cmd in capture replay diff; do
		run --separate-stderr "$MNTSNAP" "$cmd" --frobnicate
		assert_failure 2
		assert_equal "$output" ""
		[[ "$stderr" == *"mntsnap $cmd: unrecognized option '--frobnicate'"* ]]
	done
}

@test "replay without a snapshot: exit 2" {
	run --separate-stderr "$MNTSNAP" replay --mkdir --new="$BATS_TEST_TMPDIR/ns"
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == "mntsnap replay: "* ]]
	# nothing was created for the missing snapshot
	[ ! -e "$BATS_TEST_TMPDIR/ns/ns0" ]
}

@test "replay without a target: exit 2 (no default target)" {
	run --separate-stderr "$MNTSNAP" replay "$TOP/spec/examples/inverse-chain.json"
	assert_failure 2
	assert_equal "$output" ""
	[ -n "$stderr" ]
}

@test "replay with two targets: exit 2" {
	run --separate-stderr "$MNTSNAP" replay --mkdir --new="$BATS_TEST_TMPDIR/ns" -t 1 \
		"$TOP/spec/examples/inverse-chain.json"
	assert_failure 2
	assert_equal "$output" ""
	[ -n "$stderr" ]
	[ ! -e "$BATS_TEST_TMPDIR/ns/ns0" ]
}

@test "replay with two snapshots: exit 2" {
	run --separate-stderr "$MNTSNAP" replay --mkdir --new="$BATS_TEST_TMPDIR/ns" \
		"$TOP/spec/examples/inverse-chain.json" "$TOP/spec/examples/group-tree.json"
	assert_failure 2
	[ -n "$stderr" ]
}

@test "diff with three operands: exit 2 naming the extra one" {
	local ex="$TOP/spec/examples/inverse-chain.json"
	run --separate-stderr "$MNTSNAP" diff "$ex" "$ex" extra-operand
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == *"extra-operand"* ]]
}

@test "diff without operands: exit 2" {
	run --separate-stderr "$MNTSNAP" diff
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == "mntsnap diff: "* ]]
}

@test "diff with stdin on both sides: exit 2" {
	run --separate-stderr "$MNTSNAP" diff - - </dev/null
	assert_failure 2
	[ -n "$stderr" ]
}

@test "diff --ignore with an unknown field: exit 2 naming it" {
	local ex="$TOP/spec/examples/inverse-chain.json"
	run --separate-stderr "$MNTSNAP" diff --ignore=source,colour "$ex" "$ex"
	assert_failure 2
	[[ "$stderr" == *"colour"* ]]
}

@test "capture --kernel with an unknown method: exit 2 naming it" {
	run --separate-stderr "$MNTSNAP" capture --kernel=magic -F /dev/null
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == *"magic"* ]]
}

@test "capture -p with a non-number: exit 2 naming it" {
	run --separate-stderr "$MNTSNAP" capture -p notapid
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == *"notapid"* ]]
}

@test "capture -F of a missing file: exit 2, one line naming the file" {
	run --separate-stderr "$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/nonexistent"
	assert_failure 2
	assert_equal "$output" ""
	[[ "$stderr" == "mntsnap: capture: "*"$BATS_TEST_TMPDIR/nonexistent"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

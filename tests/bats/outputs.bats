#!/usr/bin/env bats
# Line-oriented outputs on stdout (the replay plan, diff's text, the capture
# tree) keep one line per item whatever bytes a mountpoint, source or option
# holds: user strings are \ooo-escaped as in errors and mountinfo.  JSON
# outputs carry them as they are (JSON escapes them).  Also: usage errors
# are escaped, and a failed write names its real reason.

load test_helper

# mountinfo_with SEP FILE: a small table whose mountpoint, source and option
# hold SEP (a mountinfo escape such as \012, or "_").
mountinfo_with() {
	local s=$1
	printf '%s\n' \
		"20 1 0:30 / / rw,relatime shared:1 - tmpfs root${s}r rw" \
		"21 20 0:31 / /a${s}b rw shared:3 - tmpfs src${s}x rw,size=4k,opt${s}z" \
		"22 21 0:32 / /a${s}b/d\\011e rw - tmpfs none\\011t rw" >"$2"
}

setup() {
	mountinfo_with '\012' "$BATS_TEST_TMPDIR/nl.mountinfo"
	mountinfo_with _ "$BATS_TEST_TMPDIR/plain.mountinfo"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/nl.mountinfo" >"$BATS_TEST_TMPDIR/nl.json"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/plain.mountinfo" >"$BATS_TEST_TMPDIR/plain.json"
}

@test "the names hold a newline and a tab (the fixture is what it says)" {
	jq -e '.namespaces[0].mounts[1] | .mountpoint == "/a\nb" and .source == "src\nx"
		and (.super_options | index("opt\nz"))' "$BATS_TEST_TMPDIR/nl.json"
	jq -e '.namespaces[0].mounts[2].mountpoint == "/a\nb/d\te"' "$BATS_TEST_TMPDIR/nl.json"
}

@test "replay -n: one line per step, names escaped" {
	run --separate-stderr "$MNTSNAP" replay -n --fresh --mkdir --new="$BATS_TEST_TMPDIR/pins" \
		"$BATS_TEST_TMPDIR/plain.json"
	assert_success
	plain=${#lines[@]}
	run --separate-stderr "$MNTSNAP" replay -n --fresh --mkdir --new="$BATS_TEST_TMPDIR/pins" \
		"$BATS_TEST_TMPDIR/nl.json"
	assert_success
	assert_equal "${#lines[@]}" "$plain"
	assert_equal "$(grep -c '^[0-9][0-9]* ' <<<"$output")" "$plain"
	assert_line --partial "source 'src\\012x' options 'rw,size=4k,opt\\012z'"
	assert_line --partial "attach 'ns0:/a\\012b/d\\011e' onto 'ns0:/a\\012b'"
}

@test "diff: one line per difference, names escaped" {
	jq '.namespaces[0].mounts[1].mount_options += ["ro"]
		| .namespaces[0].mounts[2].source = "other\n"
		| .namespaces[0].mounts[0].source = "r\u001b[2J"' \
		"$BATS_TEST_TMPDIR/nl.json" >"$BATS_TEST_TMPDIR/changed.json"
	run --separate-stderr "$MNTSNAP" diff --json "$BATS_TEST_TMPDIR/nl.json" "$BATS_TEST_TMPDIR/changed.json"
	assert_failure 1
	n=$(jq length <<<"$output")
	assert_equal "$n" 3
	run --separate-stderr "$MNTSNAP" diff "$BATS_TEST_TMPDIR/nl.json" "$BATS_TEST_TMPDIR/changed.json"
	assert_failure 1
	assert_equal "${#lines[@]}" $((n + 1))
	assert_equal "${lines[0]}" "namespace ns0:"
	assert_line "~ /: source: root\\012r -> r\\033[2J"
	assert_line "~ /a\\012b: options: +ro"
	assert_line "~ /a\\012b/d\\011e: source: none\\011t -> other\\012"
}

@test "diff --json: the names as they are, JSON-escaped" {
	jq '.namespaces[0].mounts[2].source = "other\n"' \
		"$BATS_TEST_TMPDIR/nl.json" >"$BATS_TEST_TMPDIR/changed.json"
	run --separate-stderr "$MNTSNAP" diff --json "$BATS_TEST_TMPDIR/nl.json" "$BATS_TEST_TMPDIR/changed.json"
	assert_failure 1
	jq -e '.[0] | .mountpoint == "/a\nb/d\te" and .old == "none\tt" and .new == "other\n"' <<<"$output"
}

@test "capture --tree: one line per mount, names escaped" {
	run --separate-stderr "$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/nl.mountinfo" --tree
	assert_success
	# the namespace, the column names, three mounts
	assert_equal "${#lines[@]}" 5
	assert_line --regexp '^/ +root\\012r +tmpfs +shared:1$'
	assert_line --regexp '^└─/a\\012b +src\\012x +tmpfs +shared:3$'
	assert_line --regexp '^  └─/a\\012b/d\\011e +none\\011t +tmpfs +private$'
}

@test "diff and replay usage errors: an argument with a newline is escaped, one line" {
	run --separate-stderr "$MNTSNAP" diff a b $'c\nd'
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mntsnap diff: 'c\\012d': too many arguments (at most A and B)"
	run --separate-stderr "$MNTSNAP" diff --subtree $'x\ny' a
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mntsnap diff: --subtree 'x\\012y': not an absolute normalised path"
	run --separate-stderr "$MNTSNAP" diff --ignore $'x\ny' a
	assert_failure 2
	[[ "${stderr_lines[0]}" == "mntsnap diff: --ignore 'x\\012y': unknown field (one of: "* ]]
	run --separate-stderr "$MNTSNAP" diff $'a\nb'
	assert_failure 2
	assert_equal "$stderr" "mntsnap: diff: cannot open 'a\\012b': No such file or directory"
	run --separate-stderr "$MNTSNAP" replay -t $'1\n2' "$BATS_TEST_TMPDIR/plain.json"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mntsnap replay: --target '1\\0122': not a process id"
	run --separate-stderr "$MNTSNAP" replay -n --mkdir --new="$BATS_TEST_TMPDIR/pins" --ns $'x\ny' \
		"$BATS_TEST_TMPDIR/plain.json"
	assert_failure 2
	assert_equal "$stderr" "mntsnap: replay: --ns 'x\\012y': no such namespace in the snapshot"
}

@test "diff --json >/dev/full: the write's own reason, once" {
	{
		echo '20 1 0:30 / / rw - tmpfs root rw'
		for i in $(seq 3000); do echo "$((100 + i)) 20 0:31 / /m$i rw - tmpfs none rw"; done
	} >"$BATS_TEST_TMPDIR/big.mountinfo"
	head -1 "$BATS_TEST_TMPDIR/big.mountinfo" >"$BATS_TEST_TMPDIR/one.mountinfo"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/big.mountinfo" >"$BATS_TEST_TMPDIR/big.json"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/one.mountinfo" >"$BATS_TEST_TMPDIR/one.json"
	for fmt in --json --strict-ids; do
		run --separate-stderr bash -c '"$1" diff $2 "$3" "$4" >/dev/full' bash "$MNTSNAP" $fmt \
			"$BATS_TEST_TMPDIR/one.json" "$BATS_TEST_TMPDIR/big.json"
		assert_failure 2
		assert_equal "$stderr" "mntsnap: diff: write failure: No space left on device"
	done
}

# "The mount at a path" is the mount path lookup finds there, for capture
# --subtree and for diff's alignment of a cut side alike: a mount hidden
# under a later cover (mounted on its parent's path) is not in sight.
@test "diff of a --subtree capture against the whole: anchors at the mount in sight, not a hidden one" {
	printf '%s\n' \
		'20 1 0:30 / / rw - tmpfs base rw' \
		'21 20 0:31 / /y/z rw - tmpfs hidden rw' \
		'22 20 0:32 / /y rw - tmpfs cover rw' \
		'23 22 0:33 / /y/z rw - tmpfs visible rw' >"$BATS_TEST_TMPDIR/covered.mountinfo"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/covered.mountinfo" >"$BATS_TEST_TMPDIR/whole.json"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/covered.mountinfo" --subtree /y/z >"$BATS_TEST_TMPDIR/sub.json"
	run jq -r '.namespaces[0].mounts[].source' "$BATS_TEST_TMPDIR/sub.json"
	assert_output visible
	run --separate-stderr "$MNTSNAP" diff "$BATS_TEST_TMPDIR/sub.json" "$BATS_TEST_TMPDIR/whole.json"
	assert_success
	assert_output ""
	run --separate-stderr "$MNTSNAP" diff "$BATS_TEST_TMPDIR/whole.json" "$BATS_TEST_TMPDIR/sub.json"
	assert_success
}

@test "diff of a live --subtree capture under a cover: the same rule as capture" {
	require_root
	run --separate-stderr in_private_ns '
	W=$TMP/w; mkdir -p $W; mount -t tmpfs base $W
	mkdir -p $W/y/z; mount -t tmpfs hidden $W/y/z
	mount -t tmpfs cover $W/y; mkdir $W/y/z
	mount -t tmpfs visible $W/y/z
	"$MNTSNAP" capture -p $$ --subtree $W/y/z -o $TMP/sub.json
	"$MNTSNAP" capture -p $$ -o $TMP/whole.json
	"$MNTSNAP" diff $TMP/sub.json pid:$$ && echo "live: same"
	"$MNTSNAP" diff $TMP/sub.json $TMP/whole.json && echo "file: same"'
	assert_success
	assert_equal "$output" "live: same
file: same"
}

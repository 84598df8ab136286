#!/usr/bin/env bats
# Every error is one line on stderr, whatever bytes the snapshot, the live
# mount table or the command line hold (\ooo escapes, as mountinfo), printed
# once, in the kernel's words without its log prefix, with the errno that
# really happened; capture -A says what it could not read.

load test_helper

EXAMPLE="$TOP/spec/examples/group-tree.json"

# example_with 'JQ FILTER': the example snapshot changed by FILTER.
example_with() {
	jq "$1" "$EXAMPLE"
}

# The error must be exactly one line, starting as ours do.
assert_one_error_line() {
	assert_equal "${#stderr_lines[@]}" 1
	[[ "${stderr_lines[0]}" == "mntsnap: "* ]]
}

@test "a newline in a snapshot's mountpoint: one escaped line" {
	example_with '.namespaces[0].mounts[1].mountpoint = "/tmp/a\nb/"' >"$BATS_TEST_TMPDIR/s.json"
	run --separate-stderr "$MNTSNAP" diff "$BATS_TEST_TMPDIR/s.json" "$EXAMPLE"
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == *"mountpoint '/tmp/a\\012b/': not an absolute normalised path" ]]
}

@test "a thousand newlines in a mountpoint still make one line" {
	example_with '.namespaces[0].mounts[1].mountpoint = "/" + ("x\n" * 1000)' \
		>"$BATS_TEST_TMPDIR/s.json"
	run --separate-stderr "$MNTSNAP" replay -n --mkdir --new=/nonexistent "$BATS_TEST_TMPDIR/s.json"
	assert_failure 2
	assert_one_error_line
}

@test "control characters are escaped, UTF-8 is kept, a backslash only where it would read as \\ooo" {
	# a trailing slash makes the mountpoint an error that names it
	example_with '.namespaces[0].mounts[1].mountpoint = "/a\u001b[2J\t\\é\\012/"' \
		>"$BATS_TEST_TMPDIR/s.json"
	run --separate-stderr "$MNTSNAP" diff "$BATS_TEST_TMPDIR/s.json" "$BATS_TEST_TMPDIR/s.json"
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == *"mountpoint '/a\\033[2J\\011\\é\\134012/'"* ]]
}

@test "an unknown command, a bad argument or a file name: escaped, invalid UTF-8 too" {
	run --separate-stderr "$MNTSNAP" $'cap\nture'
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mntsnap: 'cap\\012ture' is not a mntsnap command"
	run --separate-stderr "$MNTSNAP" capture --subtree $'a\nb'
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mntsnap capture: --subtree 'a\\012b': not an absolute path"
	run --separate-stderr "$MNTSNAP" capture -p $'1\n2'
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "mntsnap capture: invalid pid '1\\0122'"
	run --separate-stderr "$MNTSNAP" capture -F $'/nonexistent/\xff\n'
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == *"'/nonexistent/\\377\\012'"* ]]
}

@test "replay --fresh: a newline in a source and an option, and the kernel's reason without its 'e ' prefix" {
	require_root
	run --separate-stderr in_private_ns '
		W=$TMP/w; mkdir -p $W; mount -t tmpfs base $W; mkdir $W/t
		mount -t tmpfs -o size=1m,mode=700 src1 $W/t
		"$MNTSNAP" capture -p $$ --subtree $W -o $TMP/snap.json
		jq --arg p $W/t "(.namespaces[0].mounts[] | select(.mountpoint == \$p)) |=
			(.source = \"s\\nrc\" | .super_options = [\"rw\", \"nr_inodes=1\\nx\"])" \
			$TMP/snap.json >$TMP/bad.json
		"$MNTSNAP" replay --fresh --mkdir --new=$TMP/out $TMP/bad.json'
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == *"source 's\\012rc' options 'rw,nr_inodes=1\\012x'"* ]]
	[[ "$stderr" == *"superblock option 'nr_inodes=1\\012x': kernel says tmpfs: Bad value for 'nr_inodes': Invalid argument" ]]
}

@test "replay --fresh: a bad superblock option names the kernel's message, not its log level" {
	require_root
	run --separate-stderr in_private_ns '
		W=$TMP/w; mkdir -p $W; mount -t tmpfs -o size=1m,mode=700 src1 $W
		"$MNTSNAP" capture -p $$ --subtree $W -o $TMP/snap.json
		jq ".namespaces[0].mounts[0].super_options |= map(if startswith(\"size=\") then \"size=bogus\" else . end)" \
			$TMP/snap.json >$TMP/bad.json
		"$MNTSNAP" replay --fresh --mkdir --new=$TMP/out $TMP/bad.json'
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == *"superblock option 'size=bogus': kernel says tmpfs: Bad value for 'size': Invalid argument" ]]
}

@test "a live mount whose name holds a newline: replay's error and -vv's lines stay one line each" {
	require_root
	run --separate-stderr in_private_ns '
		W=$TMP/w; mkdir -p $W; mount -t tmpfs base $W
		mkdir "$W/a
b"; mount -t tmpfs "sr
c" "$W/a
b"
		"$MNTSNAP" capture -p $$ --subtree $W -o $TMP/snap.json
		# step 4 attaches the mount at "a\nb"
		MNTSNAP_FAIL_AT_STEP=4 "$MNTSNAP" replay --mkdir --new=$TMP/out $TMP/snap.json'
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == *"'ns0:$BATS_TEST_TMPDIR/w/a\\012b'"* ]]
	run --separate-stderr in_private_ns '
		W=$TMP/w; mkdir -p $W; mount -t tmpfs base $W
		mkdir "$W/a
b"; mount -t tmpfs src "$W/a
b"
		"$MNTSNAP" capture -p $$ --subtree $W -o $TMP/snap.json
		"$MNTSNAP" -vv replay --no-verify --mkdir --new=$TMP/out $TMP/snap.json'
	assert_success
	[ "${#stderr_lines[@]}" -gt 3 ]
	for line in "${stderr_lines[@]}"; do
		[[ "$line" == "mntsnap: "* ]]
	done
	[[ "$stderr" == *"'ns0:$BATS_TEST_TMPDIR/w/a\\012b'"* ]]
}

# --- /dev/full: the write error once -------------------------------------------

@test "capture -o /dev/full: one error line" {
	require_root
	run --separate-stderr "$MNTSNAP" capture -p $$ -o /dev/full
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == *"'/dev/full': No space left on device" ]]
}

@test "capture >/dev/full (JSON and --tree): one error line" {
	require_root
	run --separate-stderr bash -c '"$1" capture -p $$ >/dev/full' bash "$MNTSNAP"
	assert_failure 2
	assert_one_error_line
	assert_equal "$stderr" "mntsnap: capture: write failure on standard output: No space left on device"
	run --separate-stderr bash -c '"$1" capture --tree -p $$ >/dev/full' bash "$MNTSNAP"
	assert_failure 2
	assert_one_error_line
}

@test "diff and diff --json >/dev/full: one error line, small or large output" {
	# a side with 3,000 more mounts: more output than stdout's buffer holds
	example_with '.namespaces[0] as $ns | .namespaces[0].mounts += [range(3000) as $i |
		$ns.mounts[0] | .id = 900000 + $i | .parent = $ns.root_mount |
		.mountpoint = "/m\($i)" | .shared_id = 0 | .master_id = 0]' >"$BATS_TEST_TMPDIR/big.json"
	for b in "$TOP/spec/examples/inverse-chain.json" "$BATS_TEST_TMPDIR/big.json"; do
		for json in "" --json; do
			run --separate-stderr bash -c '"$1" diff $2 "$3" "$4" >/dev/full' bash \
				"$MNTSNAP" "$json" "$EXAMPLE" "$b"
			assert_failure 2
			assert_one_error_line
		done
	done
}

@test "replay -n >/dev/full: one error line" {
	run --separate-stderr bash -c '"$1" replay -n --mkdir --new=/nonexistent "$2" >/dev/full' bash \
		"$MNTSNAP" "$EXAMPLE"
	assert_failure 2
	assert_one_error_line
	assert_equal "$stderr" "mntsnap: replay: write failure on standard output: No space left on device"
}

# --- out of file descriptors ---------------------------------------------------

# with_4_fds CMD...: runs CMD with only stdin, stdout and stderr open and at
# most 4 file descriptors (bats keeps a few of its own open).
with_4_fds() {
	local fd
	for fd in $(ls /proc/$BASHPID/fd); do
		[ "$fd" -le 2 ] || eval "exec $fd>&-"
	done
	ulimit -n 4
	"$@"
}

@test "replay --new with ulimit -n 4: refused before it starts, naming RLIMIT_NOFILE" {
	require_root
	export -f with_4_fds
	run --separate-stderr in_private_ns '
		mount -t tmpfs t $TMP
		(with_4_fds "$MNTSNAP" replay --mkdir --new=$TMP/out $TOP/spec/examples/group-tree.json)'
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == "mntsnap: replay: RLIMIT_NOFILE: the replay holds up to "*" files open at once, the limit is 4 "*": Too many open files" ]]
}

@test "capture -A with ulimit -n 4: an error, not an empty snapshot" {
	require_root
	run --separate-stderr with_4_fds "$MNTSNAP" capture -A
	assert_failure 2
	assert_one_error_line
	[[ "$stderr" == *": Too many open files" ]]
	assert_equal "$output" ""
}

# --- capture -A without privileges ---------------------------------------------

as_nobody() {
	command -v setpriv >/dev/null || skip "no setpriv"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

@test "capture -A as an unprivileged user: its namespace, and a counted warning per kind of failure" {
	require_root
	# a process of root's in a namespace of its own, which nobody may not read
	unshare --mount --propagation private sleep 60 &
	local pid=$!
	run --separate-stderr as_nobody "$MNTSNAP" capture -A
	kill "$pid"
	assert_success
	jq -e '.namespaces | length >= 1' <<<"$output"
	jq -e '.warnings | length >= 1' <<<"$output"
	[ "${#stderr_lines[@]}" -ge 1 ]
	for line in "${stderr_lines[@]}"; do
		[[ "$line" == "mntsnap: capture: warning: "* ]]
	done
	[[ "$stderr" =~ "mntsnap: capture: warning: the mount namespaces of "[0-9]+" process"(es)?" (pid "[0-9]+(" and others")?") could not be read: Permission denied" ]]
	# -q: the snapshot still says so, stderr does not
	run --separate-stderr as_nobody "$MNTSNAP" -q capture -A
	assert_success
	assert_equal "$stderr" ""
	jq -e '.warnings | length >= 1' <<<"$output"
}

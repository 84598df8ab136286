#!/usr/bin/env bats
# mntsnap check SPEC [TARGET]: a mount layout against a spec (spec/SPEC.md).
# Live tests build the issue's layout in a private namespace under a tmpfs
# and check it with --subtree; snapshot tests use fixtures/diff/base.json
# (two namespaces, groups across them, binds, a stack, an nsfs pin).

load test_helper

BASE="$FIXTURES/diff/base.json"

setup() {
	S="$BATS_TEST_TMPDIR/t.spec"
	# the issue's example: a shared volume, a slave of it, a read-only
	# file bind, an unbindable /tmp
	cat >"$BATS_TEST_TMPDIR/issue.spec" <<-'EOF'
		# /data is shared, /data2 a slave of it, resolv.conf a read-only
		# file bind, /tmp unbindable
		/data               shared:vol
		/data2              slave:vol
		/etc/resolv.conf    bind ro
		/tmp                tmpfs unbindable
	EOF
}

# The issue's layout under $W (a private tmpfs): /data a shared tmpfs,
# /data2 a bind of it made a slave, /etc/resolv.conf a read-only bind of a
# file, /tmp an unbindable tmpfs.
# shellcheck disable=SC2016
ISSUE_LAYOUT='
	W=$TMP/w
	mkdir -p "$W"
	mount -t tmpfs w "$W"
	mkdir "$W/data" "$W/data2" "$W/etc" "$W/tmp"
	touch "$W/etc/resolv.conf" "$W/resolv.conf.src"
	mount -t tmpfs vol "$W/data"
	mount --make-shared "$W/data"
	mount --bind "$W/data" "$W/data2"
	mount --make-slave "$W/data2"
	mount --bind "$W/resolv.conf.src" "$W/etc/resolv.conf"
	mount -o remount,bind,ro "$W/etc/resolv.conf"
	mount -t tmpfs tmp "$W/tmp"
	mount --make-unbindable "$W/tmp"
'

# check_issue 'BREAK': builds the layout, runs BREAK, checks the spec
check_issue() {
	run --separate-stderr in_private_ns "$ISSUE_LAYOUT$1"'
		"$MNTSNAP" check --subtree "$W" "$TMP/issue.spec"'
}

@test "the issue's example is 4 lines of spec (6 with comments), at most 8" {
	run grep -cv '^#' "$BATS_TEST_TMPDIR/issue.spec"
	assert_output 4
	run wc -l <"$BATS_TEST_TMPDIR/issue.spec"
	assert [ "$output" -le 8 ]
}

@test "live: the issue's layout meets its spec: exit 0, no output" {
	require_root
	check_issue ''
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "live: the default target is the caller's namespace; pid:PID names it too" {
	require_root
	run --separate-stderr in_private_ns "$ISSUE_LAYOUT"'
		"$MNTSNAP" check --subtree "$W" "$TMP/issue.spec"
		"$MNTSNAP" check --subtree "$W" "$TMP/issue.spec" pid:$$
		"$MNTSNAP" check --subtree "$W" "$TMP/issue.spec" ns:/proc/$$/ns/mnt
		echo done'
	assert_success
	assert_output "done"
}

@test "live: /data made private: its line and its slave's fail (the kernel made /data2 private too)" {
	require_root
	check_issue 'mount --make-private "$W/data"'
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "$BATS_TEST_TMPDIR/issue.spec:3: /data: propagation: expected shared:vol, found private"
	assert_line --index 1 "$BATS_TEST_TMPDIR/issue.spec:4: /data2: propagation: expected slave:vol, found private"
}

@test "live: /data made private while a peer outside the spec keeps the group: one line" {
	require_root
	check_issue 'mkdir "$W/peer"; mount --bind "$W/data" "$W/peer"; mount --make-private "$W/data"'
	assert_failure 1
	assert_output "$BATS_TEST_TMPDIR/issue.spec:3: /data: propagation: expected shared:vol, found private"
}

@test "live: /data2 made private: one line" {
	require_root
	check_issue 'mount --make-private "$W/data2"'
	assert_failure 1
	assert_output "$BATS_TEST_TMPDIR/issue.spec:4: /data2: propagation: expected slave:vol, found private"
}

@test "live: /data2 a slave of another group: one line" {
	require_root
	check_issue 'mkdir "$W/other"; mount -t tmpfs other "$W/other"; mount --make-shared "$W/other"
		umount "$W/data2"; mount --bind "$W/other" "$W/data2"; mount --make-slave "$W/data2"'
	assert_failure 1
	assert_output "$BATS_TEST_TMPDIR/issue.spec:4: /data2: propagation: expected slave:vol, found slave (of another group than vol's)"
}

@test "live: the file bind remounted read-write: one line" {
	require_root
	check_issue 'mount -o remount,bind,rw "$W/etc/resolv.conf"'
	assert_failure 1
	assert_output "$BATS_TEST_TMPDIR/issue.spec:5: /etc/resolv.conf: options: expected ro, found rw"
}

@test "live: the file bind gone: one line" {
	require_root
	check_issue 'umount "$W/etc/resolv.conf"'
	assert_failure 1
	assert_output "$BATS_TEST_TMPDIR/issue.spec:5: /etc/resolv.conf: mount: expected a mount, found none"
}

@test "live: /tmp made bindable: one line" {
	require_root
	check_issue 'mount --make-private "$W/tmp"'
	assert_failure 1
	assert_output "$BATS_TEST_TMPDIR/issue.spec:6: /tmp: propagation: expected unbindable, found bindable"
}

@test "live: /tmp a ramfs: one line" {
	require_root
	check_issue 'umount "$W/tmp"; mount -t ramfs tmp "$W/tmp"; mount --make-unbindable "$W/tmp"'
	assert_failure 1
	assert_output "$BATS_TEST_TMPDIR/issue.spec:6: /tmp: type: expected tmpfs, found ramfs"
}

@test "live: everything broken at once: one line per expectation, in spec order" {
	require_root
	check_issue 'mount --make-private "$W/data2"; mount -o remount,bind,rw "$W/etc/resolv.conf"
		mount --make-private "$W/tmp"'
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --partial "issue.spec:4: /data2: propagation:"
	assert_line --index 1 --partial "issue.spec:5: /etc/resolv.conf: options:"
	assert_line --index 2 --partial "issue.spec:6: /tmp: propagation:"
}

@test "live: -q prints nothing, exit 1; --json one object per unmet expectation" {
	require_root
	run --separate-stderr in_private_ns "$ISSUE_LAYOUT"'
		mount --make-private "$W/tmp"
		"$MNTSNAP" check -q --subtree "$W" "$TMP/issue.spec" || echo "status $?"
		"$MNTSNAP" check --json --subtree "$W" "$TMP/issue.spec" >"$TMP/out.json" || echo "status $?"'
	assert_success
	assert_output "status 1
status 1"
	run jq -c '.[]' "$BATS_TEST_TMPDIR/out.json"
	assert_output "{\"file\":\"$BATS_TEST_TMPDIR/issue.spec\",\"line\":6,\"mountpoint\":\"/tmp\",\"property\":\"propagation\",\"expected\":\"unbindable\",\"found\":\"bindable\"}"
}

@test "live: the spec from standard input" {
	require_root
	run --separate-stderr in_private_ns "$ISSUE_LAYOUT"'
		"$MNTSNAP" check --subtree "$W" - <"$TMP/issue.spec"
		printf "/tmp ramfs\n" | "$MNTSNAP" check --subtree "$W" -'
	assert_failure 1
	assert_output "-:1: /tmp: type: expected ramfs, found tmpfs"
}

@test "live: [LABEL] sections need --ns LABEL to name the target's namespace" {
	require_root
	printf '[me]\n/tmp unbindable\n' >"$S"
	run --separate-stderr in_private_ns "$ISSUE_LAYOUT"'
		"$MNTSNAP" check --subtree "$W" "$TMP/t.spec" || echo "status $?"
		"$MNTSNAP" check --ns me --subtree "$W" "$TMP/t.spec" && echo met'
	assert_success
	assert_output "status 2
met"
	assert_equal "$stderr" "mntsnap: check: $S:1:1: section: '[me]': a live target has one namespace, unlabelled (name it with --ns me)"
}

@test "snapshot: sections check groups across namespaces" {
	cat >"$S" <<-'EOF'
		[ns0]
		/             shared:root
		/mnt          tmpfs shared:mnt sb=mnt
		  a           shared:a
		/mnt/pin      nsfs=mnt:ns1
		[ns1]
		/             slave:root shared:root1
		/mnt          shared:mnt sb=mnt
		  a           slave:a shared:a1
	EOF
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_success
	assert_output ""
	# the same names the other way round: ns1's /mnt/a is not a slave of
	# ns0's /mnt group
	sed -i 's/slave:a shared:a1/slave:mnt/' "$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 1
	assert_output "$S:9: /mnt/a: propagation: expected slave:mnt, found slave:a (the group of line 4)"
}

@test "snapshot: two names never stand for one group, nor one name for two" {
	printf '[ns0]\n/mnt/a shared:x\n/mnt/b shared:y\n/mnt/c shared:x\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 1
	assert_line --index 0 "$S:3: /mnt/b: propagation: expected shared:y, found shared:x (the group of line 2)"
	assert_line --index 1 "$S:4: /mnt/c: propagation: expected shared:x, found shared (of another group than x's)"
	assert_equal "${#lines[@]}" 2
}

@test "snapshot: a section of a label the snapshot lacks is one unmet expectation" {
	printf '[ns0]\n/mnt\n[nsX userns=initial]\n/\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 1
	assert_output "$S:3: [nsX]: namespace: expected a namespace labelled 'nsX', found none"
}

@test "snapshot: lines outside sections need --ns when the snapshot has several namespaces" {
	printf '/mnt/u unbindable\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 2
	assert_equal "$stderr" "mntsnap: check: $S: the target has 2 namespaces: name the one the lines outside sections describe with --ns LABEL"
	run --separate-stderr "$MNTSNAP" check --ns ns0 "$S" "$BASE"
	assert_success
	run --separate-stderr "$MNTSNAP" check --ns ns1 "$S" "$BASE"
	assert_failure 1
	assert_output "$S:1: /mnt/u: mount: expected a mount, found none"
	run --separate-stderr "$MNTSNAP" check --ns nsX "$S" "$BASE"
	assert_failure 2
	assert_equal "$stderr" "mntsnap: check: --ns 'nsX': no such namespace in the target"
}

@test "snapshot: exact: every mount below is listed, or each extra one is reported" {
	cat >"$S" <<-'EOF'
		/mnt tmpfs exact
		  a
		  b
		  c
		  d
		  e
		  f
		  x
		  x
		  u
		  ext
		  pin
	EOF
	run --separate-stderr "$MNTSNAP" check --ns ns0 "$S" "$BASE"
	assert_success
	sed -i '/^  [bx]$/d' "$S"
	run --separate-stderr "$MNTSNAP" check --ns ns0 "$S" "$BASE"
	assert_failure 1
	assert_line --index 0 "$S:1: /mnt: exact: expected no other mount, found /mnt/b tmpfs"
	assert_line --index 1 "$S:1: /mnt: exact: expected no other mount, found /mnt/x tmpfs"
	assert_line --index 2 "$S:1: /mnt: exact: expected no other mount, found /mnt/x ramfs"
	assert_equal "${#lines[@]}" 3
	# a section: the whole namespace
	printf '[ns1 exact]\n/\n/proc\n/mnt\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 1
	assert_output "$S:1: [ns1]: exact: expected no other mount, found /mnt/a tmpfs"
}

@test "snapshot: stacked mounts: lines at one path match the mounts there lowest first" {
	printf '[ns0]\n/mnt/x tmpfs\n/mnt/x ramfs\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_success
	# one mount each: the ramfs line may not take the tmpfs again
	printf '[ns0]\n/mnt/x tmpfs\n/mnt/x tmpfs\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 1
	assert_output "$S:3: /mnt/x: type: expected tmpfs, found ramfs"
	# `.` under a line: the mount on top of it
	printf '[ns0]\n/mnt/x tmpfs\n  . ramfs\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_success
}

@test "live: a line at a stack's path takes its lowest mount, whatever the line before matched" {
	require_root
	# made lower, /x, upper: after /x, the next mount is the upper one
	run --separate-stderr in_private_ns '
		W=$TMP/w; mkdir -p $W; mount -t tmpfs w $W; mkdir $W/d $W/x
		mount -t tmpfs lower $W/d
		mount -t tmpfs x $W/x
		mount -t ramfs upper $W/d
		printf "/x tmpfs\n/d tmpfs source=lower\n/d ramfs source=upper\n" > $TMP/s.spec
		"$MNTSNAP" check --subtree "$W" $TMP/s.spec'
	assert_success
	assert_output ""
}

@test "snapshot: indentation means below the enclosing line's mount" {
	printf '[ns0]\n/proc proc\n  sys ro\n/mnt/x ramfs\n  . tmpfs\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 1
	assert_output "$S:5: /mnt/x: mount: expected a mount, found none below the enclosing line's mount"
}

@test "snapshot: binds, roots and superblock names" {
	cat >"$S" <<-'EOF'
		[ns0]
		/mnt/a sb=s1 bind
		/mnt/b sb=s1 bind
		/mnt/f bind=/mnt/e/sub root=/sub
		/proc/sys bind=/proc/sys root=/sys ro
		/mnt/c sb=s2
	EOF
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_success
	printf '[ns0]\n/mnt/a sb=s1\n/mnt/c sb=s1 bind\n/mnt/f bind=/mnt/e\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 1
	assert_line --index 0 "$S:3: /mnt/c: sb: expected sb=s1, found another superblock (dev 0:32)"
	assert_line --index 1 "$S:3: /mnt/c: bind: expected bind, found not a bind (root /, the only mount of its superblock)"
	assert_line --index 2 "$S:4: /mnt/f: bind: expected bind=/mnt/e (root /), found root /sub"
	assert_equal "${#lines[@]}" 3
}

@test "snapshot: options, sbopts, fsopt, source, nsfs, deleted" {
	cat >"$S" <<-'EOF'
		[ns0]
		/ ext4 source=/dev/sda1 opts=rw,relatime sbopts=errors=remount-ro,rw fsopt=errors
		/proc proc nosuid nodev noexec relatime rw
		/mnt fsopt=size=1024k fsopt=mode
		/mnt/pin nsfs=mnt:ns1
	EOF
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_success
	cat >"$S" <<-'EOF'
		[ns0]
		/ xfs source=/dev/sdb opts=rw sbopts=rw fsopt=errors=panic
		/proc suid strictatime ro
		/mnt fsopt=size=2m fsopt=uid deleted
		/mnt/pin nsfs=net
	EOF
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 1
	assert_output "$S:2: /: type: expected xfs, found ext4
$S:2: /: source: expected /dev/sdb, found /dev/sda1
$S:2: /: opts: expected rw, found rw,relatime
$S:2: /: sbopts: expected rw, found rw,errors=remount-ro
$S:2: /: fsopt: expected errors=panic, found errors=remount-ro
$S:3: /proc: options: expected ro, found rw
$S:3: /proc: options: expected suid, found nosuid
$S:3: /proc: options: expected strictatime, found relatime
$S:4: /mnt: fsopt: expected size=2m, found size=1024k
$S:4: /mnt: fsopt: expected uid, found no uid
$S:4: /mnt: deleted: expected deleted, found not deleted
$S:5: /mnt/pin: nsfs: expected nsfs=net, found nsfs=mnt:ns1"
}

@test "snapshot: --subtree relocates the spec" {
	printf '/ tmpfs shared\n/a shared:g\n/b shared:g\n/d slave:g\n/x ramfs\n' >"$S"
	run --separate-stderr "$MNTSNAP" check --ns ns0 --subtree /mnt "$S" "$BASE"
	assert_success
	printf '/ exact\n' >"$S"
	run --separate-stderr "$MNTSNAP" check --ns ns1 --subtree /mnt "$S" "$BASE"
	assert_failure 1
	assert_output "$S:1: /: exact: expected no other mount, found /a tmpfs"
}

@test "snapshot: deleting lines of absolute paths never makes a passing spec fail" {
	cat >"$S" <<-'EOF'
		[ns0]
		/ ext4 shared:root
		  /proc proc
		    /proc/sys ro bind
		  /mnt tmpfs shared:mnt
		    /mnt/a shared:a sb=a
		    /mnt/b shared:a sb=a
		    /mnt/d slave:a
		    /mnt/x tmpfs
		      /mnt/x ramfs
		[ns1]
		/ slave:root
		  /mnt shared:mnt
		    /mnt/a slave:a
	EOF
	run "$MNTSNAP" check "$S" "$BASE"
	assert_success
	n=$(wc -l <"$S")
	# each mount line in turn (section lines stay)
	for i in $(seq 1 "$n"); do
		[[ $(sed -n "${i}p" "$S") != "["* ]] || continue
		sed "${i}d" "$S" >"$S.less"
		run "$MNTSNAP" check "$S.less" "$BASE"
		assert_success
	done
}

@test "errors: every spec error is one line naming FILE:LINE:COL and the rule, exit 2" {
	local -a cases=(
		'/a source="x|1:11: lexical: unterminated quoted string'
		'mntsnap-spec 2|1:14: version: unsupported spec version '\''2'\'' (this mntsnap reads version 1)'
		'[ns0|1:1: section: '\''['\'' without a closing '\'']'\'''
		'data|1:1: mountpoint: '\''data'\'': a relative mountpoint needs an enclosing line (indent it under one, or write the absolute path)'
		'/a\n  b/../c|2:3: mountpoint: '\''b/../c'\'': not a normalised relative path (no empty, '\''.'\'' or '\''..'\'' component, no trailing '\''/'\'')'
		'/a tmpfs sizee=1m|1:10: attribute: unknown attribute '\''sizee=1m'\'''
		'/a shared:a/b|1:4: name: '\''shared:a/b'\'': a name is letters, digits, '\''_'\'', '\''.'\'' and '\''-'\'' (at least one)'
		'/a ro rw|1:7: duplicate: '\''rw'\'': ro/rw is already stated at column 4'
		'/a private slave|1:12: conflict: '\''private'\'' contradicts '\''slave'\'' (private is neither shared nor a slave)'
	)
	for c in "${cases[@]}"; do
		printf "# a comment first\n${c%%|*}\n" >"$S"
		run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
		assert_failure 2
		assert_output ""
		want=${c#*|}
		# one line below the comment
		assert_equal "$stderr" "mntsnap: check: $S:$((${want%%:*} + 1)):${want#*:}"
	done
}

@test "errors: a control character in an error is escaped: still one line" {
	printf '/a source="x\\ny" frob\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 2
	assert_equal "$stderr" "mntsnap: check: $S:1:18: attribute: unknown attribute 'frob'"
	printf '/a b "source"="x\\ny"\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$BASE"
	assert_failure 2
	assert_equal "$stderr" "mntsnap: check: $S:1:6: attribute: unknown attribute 'source=x\\012y'"
}

@test "errors: usage and files" {
	run --separate-stderr "$MNTSNAP" check
	assert_failure 2
	[[ $stderr == *"mntsnap check: no spec given"* ]]
	run --separate-stderr "$MNTSNAP" check "$S.none" "$BASE"
	assert_failure 2
	assert_equal "$stderr" "mntsnap: check: cannot read '$S.none': No such file or directory"
	run --separate-stderr "$MNTSNAP" check "$BATS_TEST_TMPDIR" "$BASE"
	assert_failure 2
	assert_equal "$stderr" "mntsnap: check: cannot read '$BATS_TEST_TMPDIR': Is a directory"
	run --separate-stderr "$MNTSNAP" check - - </dev/null
	assert_failure 2
	[[ $stderr == *"'-': standard input can be only one of SPEC and TARGET"* ]]
	run --separate-stderr "$MNTSNAP" check a b c
	assert_failure 2
	[[ $stderr == *"'c': too many arguments (SPEC and TARGET)"* ]]
	run --separate-stderr "$MNTSNAP" check --subtree rel "$S" "$BASE"
	assert_failure 2
	[[ $stderr == *"--subtree 'rel': not an absolute normalised path"* ]]
	printf '/\n' >"$S"
	run --separate-stderr "$MNTSNAP" check "$S" "$S.none"
	assert_failure 2
	[[ $stderr == "mntsnap: check: "*"$S.none"* ]]
}

# Mount lines of a full spec deleted, one at a time and in random subsets:
# check still passes (each line is absolute, so none changes meaning).
# shellcheck disable=SC2016
DELETE_LINES='
	spec=$TMP/full.spec
	"$MNTSNAP" capture -p $$ --subtree "$W" --format=spec >"$spec"
	"$MNTSNAP" capture -p $$ -o "$TMP/snap.json"
	"$MNTSNAP" check "$spec" "$TMP/snap.json"
	mapfile -t mount_lines < <(grep -nE "^ *[/\"]" "$spec" | cut -d: -f1)
	[ "${#mount_lines[@]}" -gt 1 ]
	try() {
		sed "$1" "$spec" >"$TMP/less.spec"
		"$MNTSNAP" check "$TMP/less.spec" "$TMP/snap.json" || {
			echo "deleting lines ($1) of this spec fails:"
			cat "$spec"
			return 1
		}
	}
	for i in "${mount_lines[@]}"; do
		try "${i}d"
	done
	RANDOM=$2
	for k in $(seq 20); do
		expr=""
		for i in "${mount_lines[@]}"; do
			if ((RANDOM % 2)); then expr+="${i}d;"; fi
		done
		try "$expr"
	done
	all=""
	for i in "${mount_lines[@]}"; do all+="${i}d;"; done
	try "$all"
	echo "${#mount_lines[@]} mount lines"
'

@test "live: deleting any mount lines of a captured full spec still passes check" {
	require_root
	"$MNTSNAP" capture --help | grep -q -- --format || skip "capture --format=spec not built in"
	local layout
	for layout in issue group_tree inverse_chain slave_of_slave overmount tucked file_bind flags; do
		if [ "$layout" = issue ]; then
			build=$ISSUE_LAYOUT
		else
			build='W=$TMP/w; mkdir -p "$W"; mount -t tmpfs w "$W"; mount --make-private "$W"
				source "$TOP/tests/bats/layouts.bash"; layout_'$layout' "$W"'
		fi
		run --separate-stderr in_private_ns "$build$DELETE_LINES" "$layout" $((RANDOM))
		assert_success
		assert_line --regexp '^[0-9]+ mount lines$'
	done
}

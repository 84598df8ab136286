#!/usr/bin/env bats
# replay -n is a preflight: it checks everything the real run would (bind
# roots, --external paths, mountpoints in reused filesystems, the pin
# directory and its pins, the target's --root, RLIMIT_NOFILE), lists every
# problem on its own line and exits 2; the real run makes the same checks
# before its first change, so on the same input it exits 2 with the target
# unchanged.  Also: --mkdir, stale pins, -n --json.

load test_helper

# The layout every test starts from: a tmpfs W holding src/a (a directory),
# src/f (a file), a bind of src/a at W/b, a bind of src/f at W/ff, a tmpfs at
# W/mp; the snapshot of it in $TMP/snap.json.
layout='
	W=$TMP/w
	mkdir -p $W
	mount -t tmpfs w $W
	mkdir -p $W/src/a $W/b $W/mp
	echo f >$W/src/f
	touch $W/ff
	mount --bind $W/src/a $W/b
	mount --bind $W/src/f $W/ff
	mount -t tmpfs mp $W/mp
	"$MNTSNAP" capture -p $$ -o $TMP/snap.json
	mkdir -p $TMP/pins
'

# both_refuse ARGS...: replay -n ARGS, then the real replay ARGS; prints
# "n-exit=", "n-err: " lines, "real-exit=", "real-err: " lines, and
# "unchanged" when the caller's mountinfo is the same after both.
both_refuse='
	both_refuse() {
		cat /proc/self/mountinfo >$TMP/before
		r=0; "$MNTSNAP" replay -n "$@" $TMP/snap.json >$TMP/plan 2>$TMP/err || r=$?
		echo "n-exit=$r"
		sed "s/^/n-err: /" $TMP/err
		r=0; "$MNTSNAP" replay --no-verify "$@" $TMP/snap.json >/dev/null 2>$TMP/err || r=$?
		echo "real-exit=$r"
		sed "s/^/real-err: /" $TMP/err
		cat /proc/self/mountinfo | cmp -s $TMP/before - && echo unchanged
		true
	}
'

@test "preflight: a bind root gone from the host: -n exits 2 naming it, the real run changes nothing" {
	require_root
	run in_private_ns "$layout$both_refuse"'
		umount $W/b
		rmdir $W/src/a
		both_refuse --new=$TMP/pins'
	assert_success
	assert_line "n-exit=2"
	assert_line --regexp "^n-err: mntsnap: replay: 'ns0:$BATS_TEST_TMPDIR/w/b' \(tmpfs [0-9]+:[0-9]+\): its root '/src/a' is not in its source '$BATS_TEST_TMPDIR/w' .*: No such file or directory$"
	assert_line "real-exit=2"
	# the real run meets it at its step (the preflight of a real run does not
	# look up every source: replay undoes everything on a failed step)
	assert_line --regexp "^real-err: mntsnap: replay: step [0-9]+, clone mount 'ns0:$BATS_TEST_TMPDIR/w/b' .*'/src/a'.*: No such file or directory$"
	assert_line unchanged
}

@test "preflight: an --external path that does not exist" {
	require_root
	run in_private_ns "$layout$both_refuse"'
		both_refuse --new=$TMP/pins --external $W/mp:$TMP/nonexistent'
	assert_success
	assert_line "n-exit=2"
	assert_line "n-err: mntsnap: replay: --external '$BATS_TEST_TMPDIR/nonexistent': its source: open_tree '$BATS_TEST_TMPDIR/nonexistent': No such file or directory"
	assert_line "real-exit=2"
	assert_line --regexp "^real-err: mntsnap: replay: step [0-9]+, .* external '$BATS_TEST_TMPDIR/nonexistent': open_tree '$BATS_TEST_TMPDIR/nonexistent': No such file or directory$"
	assert_line unchanged
}

@test "preflight: a mountpoint missing in a reused filesystem, and one of the wrong kind" {
	require_root
	run in_private_ns "$layout$both_refuse"'
		umount $W/mp $W/ff
		rmdir $W/mp
		rm $W/ff
		mkdir $W/ff
		both_refuse --new=$TMP/pins'
	assert_success
	assert_line "n-exit=2"
	assert_line --regexp "^n-err: mntsnap: replay: 'ns0:$BATS_TEST_TMPDIR/w/mp' \(tmpfs [0-9:]+\): its mountpoint '/mp' is missing in the reused filesystem of '$BATS_TEST_TMPDIR/w' \(--create-mountpoints creates it\): No such file or directory$"
	assert_line --regexp "^n-err: mntsnap: replay: 'ns0:$BATS_TEST_TMPDIR/w/ff' \(tmpfs [0-9:]+\): its root is a file, its mountpoint '/ff' in '$BATS_TEST_TMPDIR/w' a directory "
	assert_line "real-exit=2"
	assert_line --regexp "^real-err: mntsnap: replay: step [0-9]+, .*'ns0:$BATS_TEST_TMPDIR/w/(ff|mp)'"
	assert_line unchanged
}

@test "preflight: every problem is listed, one line each" {
	require_root
	run in_private_ns "$layout$both_refuse"'
		umount $W/b
		rmdir $W/src/a
		both_refuse --new=$TMP/missing --external $W/mp:$TMP/nonexistent'
	assert_success
	assert_line "n-exit=2"
	assert_line "n-err: mntsnap: replay: --new '$BATS_TEST_TMPDIR/missing': does not exist (create it, or give --mkdir)"
	assert_line --regexp "^n-err: mntsnap: replay: --external '$BATS_TEST_TMPDIR/nonexistent': "
	assert_line --regexp "^n-err: mntsnap: replay: 'ns0:$BATS_TEST_TMPDIR/w/b' .*its root '/src/a'"
	assert_line "real-exit=2"
	assert_line "real-err: mntsnap: replay: --new '$BATS_TEST_TMPDIR/missing': does not exist (create it, or give --mkdir)"

	assert_line unchanged
	[ ! -e "$BATS_TEST_TMPDIR/missing" ]
}

@test "preflight: a file descriptor limit the replay cannot fit" {
	require_root
	run in_private_ns "$layout$both_refuse"'
		ulimit -n 12
		both_refuse --new=$TMP/pins'
	assert_success
	assert_line "n-exit=2"
	assert_line --regexp "^n-err: mntsnap: replay: RLIMIT_NOFILE: the replay holds up to [0-9]+ files open at once, the limit is 12 .*: Too many open files$"
	assert_line "real-exit=2"
	assert_line unchanged
}

@test "preflight: --target --root on a shared mount in the target: -n says so, the target is unchanged" {
	require_root
	run in_private_ns "$layout"'
		mkdir -p $TMP/tgt
		unshare --mount --propagation private bash -c "mount -t tmpfs tgt $TMP/tgt; mount --make-shared $TMP/tgt; exec sleep 1000000" &
		tpid=$!
		trap "kill $tpid" EXIT
		while [ "$(cat /proc/$tpid/comm)" != sleep ]; do sleep 0.05; done
		cat /proc/$tpid/mountinfo >$TMP/tgt.before
		r=0; "$MNTSNAP" replay -n --target=$tpid --root=$TMP/tgt $TMP/snap.json >/dev/null 2>$TMP/err || r=$?
		echo "n-exit=$r"; sed "s/^/n-err: /" $TMP/err
		r=0; "$MNTSNAP" replay --no-verify --target=$tpid --root=$TMP/tgt $TMP/snap.json >/dev/null 2>$TMP/err || r=$?
		echo "real-exit=$r"; sed "s/^/real-err: /" $TMP/err
		cat /proc/$tpid/mountinfo | cmp -s $TMP/tgt.before - && echo target-unchanged
		true'
	assert_success
	assert_line "n-exit=2"
	assert_line --regexp "^n-err: mntsnap: replay: --root: --root '$BATS_TEST_TMPDIR/tgt': is on a shared mount in the target namespace \(peer group [0-9]+ of '$BATS_TEST_TMPDIR/tgt'\): the tree would propagate to its peers; "
	assert_line "real-exit=2"
	assert_line target-unchanged
}

# --- the pin directory ---------------------------------------------------------

@test "pins: a missing DIR is an error, with --mkdir it is made (mode 0700)" {
	require_root
	run in_private_ns "$layout"'
		r=0; "$MNTSNAP" replay --no-verify --new=$TMP/made $TMP/snap.json 2>&1 || r=$?
		echo "exit=$r"
		[ -e $TMP/made ] || echo not-made
		"$MNTSNAP" replay -n --mkdir --new=$TMP/made $TMP/snap.json >/dev/null && echo n-ok
		[ -e $TMP/made ] || echo not-made-by-n
		"$MNTSNAP" replay --no-verify --mkdir --new=$TMP/made $TMP/snap.json && echo real-ok
		echo "mode=$(stat -c %a $TMP/made)"
		nsenter --mount=$TMP/made/ns0 cat $W/b/../src/f'
	assert_success
	assert_line "mntsnap: replay: --new '$BATS_TEST_TMPDIR/made': does not exist (create it, or give --mkdir)"
	assert_line "exit=2"
	assert_line not-made
	assert_line n-ok
	assert_line not-made-by-n
	assert_line real-ok
	assert_line "mode=700"
	assert_line f
}

@test "pins: a missing DIR under a shared mount says it is missing; with --mkdir, how to make it private" {
	require_root
	run in_private_ns "$layout"'
		mkdir -p $TMP/run
		mount -t tmpfs run $TMP/run
		mount --make-shared $TMP/run
		"$MNTSNAP" replay -n --new=$TMP/run/x $TMP/snap.json || echo "exit=$?"
		"$MNTSNAP" replay -n --mkdir --new=$TMP/run/x $TMP/snap.json || echo "exit=$?"
		mkdir $TMP/run/x
		"$MNTSNAP" replay -n --new=$TMP/run/x $TMP/snap.json || echo "exit=$?"
		mount --bind $TMP/run/x $TMP/run/x
		mount --make-private $TMP/run/x
		"$MNTSNAP" replay -n --new=$TMP/run/x $TMP/snap.json >/dev/null && echo fixed'
	assert_success
	assert_equal "${lines[0]}" "mntsnap: replay: --new '$BATS_TEST_TMPDIR/run/x': does not exist (create it, or give --mkdir)"
	assert_equal "${lines[1]}" "exit=2"
	assert_regex "${lines[2]}" "^mntsnap: replay: --new '$BATS_TEST_TMPDIR/run/x': --mkdir would make it on a shared mount \(peer group [0-9]+ of '$BATS_TEST_TMPDIR/run'\): the pins would propagate to its peers; mkdir it, then mount --bind $BATS_TEST_TMPDIR/run/x $BATS_TEST_TMPDIR/run/x && mount --make-private $BATS_TEST_TMPDIR/run/x first$"
	assert_equal "${lines[3]}" "exit=2"
	assert_regex "${lines[4]}" "^mntsnap: replay: --new '$BATS_TEST_TMPDIR/run/x': is on a shared mount \(peer group [0-9]+ of '$BATS_TEST_TMPDIR/run'\): the pins would propagate to its peers; mount --bind $BATS_TEST_TMPDIR/run/x $BATS_TEST_TMPDIR/run/x && mount --make-private $BATS_TEST_TMPDIR/run/x first$"
	assert_equal "${lines[5]}" "exit=2"
	assert_equal "${lines[6]}" fixed
}

@test "pins: a stale pin (its namespace gone) is reused; a live one is refused, naming it" {
	require_root
	run in_private_ns "$layout"'
		"$MNTSNAP" replay --no-verify --new=$TMP/pins $TMP/snap.json
		umount $TMP/pins/ns0
		[ -f $TMP/pins/ns0 ] && echo stale-file
		"$MNTSNAP" replay --no-verify --new=$TMP/pins $TMP/snap.json && echo reused
		nsenter --mount=$TMP/pins/ns0 cat $W/src/f
		cat /proc/self/mountinfo >$TMP/before
		"$MNTSNAP" replay -n --new=$TMP/pins $TMP/snap.json || echo "n-exit=$?"
		"$MNTSNAP" replay --no-verify --new=$TMP/pins $TMP/snap.json || echo "real-exit=$?"
		cat /proc/self/mountinfo | cmp -s $TMP/before - && echo unchanged
		true'
	assert_success
	assert_line stale-file
	assert_line "mntsnap: replay: warning: pin '$BATS_TEST_TMPDIR/pins/ns0': a stale pin (its namespace is gone): reused"
	assert_line reused
	assert_line f
	assert_line "mntsnap: replay: pin '$BATS_TEST_TMPDIR/pins/ns0': a namespace is pinned there (a live pin: umount $BATS_TEST_TMPDIR/pins/ns0 && rm $BATS_TEST_TMPDIR/pins/ns0 to replace it)"
	assert_line "n-exit=2"
	assert_line "real-exit=2"
	assert_line unchanged
}

@test "pins: a stale pin stays in place when the replay fails" {
	require_root
	run in_private_ns "$layout"'
		touch $TMP/pins/ns0
		n=$("$MNTSNAP" replay -n --new=$TMP/pins $TMP/snap.json 2>/dev/null | wc -l)
		MNTSNAP_FAIL_AT_STEP=$n "$MNTSNAP" replay --no-verify --new=$TMP/pins $TMP/snap.json 2>/dev/null || echo "exit=$?"
		[ -f $TMP/pins/ns0 ] && echo still-there
		findmnt $TMP/pins/ns0 >/dev/null || echo not-mounted'
	assert_success
	assert_line "exit=2"
	assert_line still-there
	assert_line not-mounted
}

# --- replay -n --json -------------------------------------------------------------

@test "replay -n --json: steps, sources and where each comes from, mappings, no problems" {
	require_root
	run in_private_ns "$layout"'
		mkdir -p $TMP/ext
		"$MNTSNAP" replay -n --json --new=$TMP/pins --external $W/mp:$TMP/ext $TMP/snap.json >$TMP/plan.json
		jq -r "
		  \"ok=\(.ok)\",
		  \"version=\(.plan_version)\",
		  \"target=\(.target.kind) \(.target.new_dir)\",
		  \"problems=\(.problems | length)\",
		  \"steps=\(.steps | length)\",
		  \"numbered=\([.steps[].step] == [range(1; (.steps | length) + 1)])\",
		  (.steps[] | select(.kind == \"clone\" and .path == \"$TMP/w/b\") | \"clone-b=\(.object) \(.namespace) \(.object_kind)\"),
		  (.sources[] | select(.from == \"external\") | \"external=\(.path) \(.fstype)\"),
		  (.sources[] | select(.path == \"$TMP/w\") | \"live-w=\(.from)\"),
		  (.mappings[] | \"mapping=\(.kind) \(.from) -> \(.to) (\(.mounts))\"),
		  (.namespaces[] | \"ns=\(.label) \(.pin)\")" $TMP/plan.json
		"$MNTSNAP" replay -n --new=$TMP/pins --external $W/mp:$TMP/ext $TMP/snap.json | wc -l'
	assert_success
	assert_line "ok=true"
	assert_line "version=1"
	assert_line "target=new $BATS_TEST_TMPDIR/pins"
	assert_line "problems=0"
	assert_line "numbered=true"
	assert_line "clone-b=ns0:$BATS_TEST_TMPDIR/w/b ns0 mount"
	assert_line "external=$BATS_TEST_TMPDIR/ext tmpfs"
	assert_line "live-w=live"
	assert_line "mapping=external $BATS_TEST_TMPDIR/w/mp -> $BATS_TEST_TMPDIR/ext (1)"
	assert_line "ns=ns0 $BATS_TEST_TMPDIR/pins/ns0"
	# as many steps as the text plan has lines
	local steps=${lines[4]#steps=}
	assert_equal "${lines[${#lines[@]} - 1]}" "$steps"
}

@test "replay -n --json with problems: exit 2, the document lists them, stderr too" {
	require_root
	run --separate-stderr in_private_ns "$layout"'
		umount $W/b
		rmdir $W/src/a
		"$MNTSNAP" replay -n --json --new=$TMP/missing $TMP/snap.json >$TMP/plan.json || echo "exit=$?"
		jq -r "\"ok=\(.ok)\", (.problems[] | \"problem=\(.item): \(.problem)\")" $TMP/plan.json'
	assert_success
	assert_line "exit=2"
	assert_line "ok=false"
	assert_line "problem=--new '$BATS_TEST_TMPDIR/missing': does not exist (create it, or give --mkdir)"
	assert_line --regexp "^problem='ns0:$BATS_TEST_TMPDIR/w/b' \(tmpfs [0-9:]+\): its root '/src/a' is not in its source"
	[[ "$stderr" == *"mntsnap: replay: --new '$BATS_TEST_TMPDIR/missing': does not exist (create it, or give --mkdir)"* ]]
}

@test "replay -n --json: a plan refused for its mounts is still a document, each mount a problem" {
	jq '.namespaces[0].mounts[5] += {fstype: "fuse.sshfs", dev: "0:1048575", shared_id: 0, master_id: 0}' \
		"$TOP/spec/examples/group-tree.json" >"$BATS_TEST_TMPDIR/s.json"
	run -2 --separate-stderr "$MNTSNAP" replay -n --json --new="$BATS_TEST_TMPDIR" --ns ns0 "$BATS_TEST_TMPDIR/s.json"
	assert_equal "$(jq -r .ok <<<"$output")" false
	assert_equal "$(jq -r '.steps | length' <<<"$output")" 0
	assert_equal "$(jq -r '.problems[] | select(.item == "'"'ns0:/mnt' (fuse.sshfs 0:1048575)"'") | .problem' <<<"$output")" \
		"no live mount of this superblock contains its root '/', and fuse.sshfs cannot be created (give one with --external /mnt:PATH)"
	[[ "$stderr" == *"mntsnap: replay: 'ns0:/mnt' (fuse.sshfs 0:1048575): no live mount of this superblock contains its root '/', and fuse.sshfs cannot be created (give one with --external /mnt:PATH)"* ]]
}

@test "replay --json without --dry-run, --mkdir without --new: usage errors" {
	run "$MNTSNAP" replay --json --new=/tmp "$TOP/spec/examples/group-tree.json"
	assert_failure
	assert_output --partial "--json: only with --dry-run"
	run "$MNTSNAP" replay --mkdir --target=1 --root=/x "$TOP/spec/examples/group-tree.json"
	assert_failure
	assert_output --partial "--mkdir: only with --new"
}

#!/usr/bin/env bats
# The bats helpers mntsnap installs for its users
# ($(PREFIX)/share/mntsnap/bats/mntsnap.bash): each passes and fails as it
# says, with a bats-assert style block on stderr.  The copy tested is the
# one `make install` puts in place.

load test_helper

setup_file() {
	make -s -C "$TOP" install DESTDIR="$BATS_FILE_TMPDIR/root" PREFIX=/usr >/dev/null
}

setup() {
	HELPERS="$BATS_FILE_TMPDIR/root/usr/share/mntsnap/bats/mntsnap.bash"
	# shellcheck source=share/mntsnap/bats/mntsnap.bash
	source "$HELPERS"
	export MNTSNAP
	# one namespace of fixtures/diff/base.json (without its pin of ns1)
	SNAP="$BATS_TEST_TMPDIR/one.json"
	jq '.namespaces |= [.[0] | .mounts |= map(select(.mountpoint != "/mnt/pin"))]' \
		"$FIXTURES/diff/base.json" >"$SNAP"
}

@test "make install puts the helpers in share/mntsnap/bats" {
	[ -f "$HELPERS" ]
	run diff "$HELPERS" "$TOP/share/mntsnap/bats/mntsnap.bash"
	assert_success
}

@test "assert_mount_layout: a spec from a heredoc that the target meets" {
	run --separate-stderr assert_mount_layout --target "$SNAP" <<-'EOF'
		/mnt     tmpfs shared:mnt
		  a      shared:a
		  b      shared:a
		  d      slave:a
		/mnt/u   unbindable
	EOF
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "assert_mount_layout: a spec the target does not meet: the block on stderr, return 1" {
	run --separate-stderr assert_mount_layout --target "$SNAP" <<-'EOF'
		/mnt/a   shared:a
		/mnt/c   shared:a
		/mnt/u   ro
	EOF
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "-- mount layout differs --
-:2: /mnt/c: propagation: expected shared:a, found shared (of another group than a's)
-:3: /mnt/u: options: expected ro, found rw
--"
}

@test "assert_mount_layout: a spec file, --subtree" {
	printf '/ tmpfs\n/a shared:g\n/b shared:g\n' >"$BATS_TEST_TMPDIR/t.spec"
	run --separate-stderr assert_mount_layout --target "$SNAP" --subtree /mnt "$BATS_TEST_TMPDIR/t.spec"
	assert_success
	printf '/ ramfs\n' >"$BATS_TEST_TMPDIR/t.spec"
	run --separate-stderr assert_mount_layout --target="$SNAP" --subtree=/mnt "$BATS_TEST_TMPDIR/t.spec"
	assert_failure 1
	assert_equal "$stderr" "-- mount layout differs --
$BATS_TEST_TMPDIR/t.spec:1: /: type: expected ramfs, found tmpfs
--"
}

@test "assert_mount_layout: a spec error is a failure that names FILE:LINE:COL" {
	run --separate-stderr assert_mount_layout --target "$SNAP" <<<'/mnt tmpfs frob'
	assert_failure 1
	assert_equal "$stderr" "-- mntsnap check failed (exit status 2) --
mntsnap: check: -:1:12: attribute: unknown attribute 'frob'
--"
}

@test "assert_mount: spec words and findmnt-style fields" {
	run --separate-stderr assert_mount --target "$SNAP" /mnt/u fstype=tmpfs propagation=unbindable \
		options=rw,relatime source=tmpfs root=/
	assert_success
	run --separate-stderr assert_mount --target "$SNAP" /mnt/f bind root=/sub type=tmpfs rw
	assert_success
	run --separate-stderr assert_mount --target "$SNAP" /mnt/x
	assert_success
	run --separate-stderr assert_mount --target "$SNAP" /mnt/u fstype=ramfs options=ro,nosuid
	assert_failure 1
	assert_equal "$stderr" "-- mount layout differs --
-:1: /mnt/u: type: expected ramfs, found tmpfs
-:1: /mnt/u: options: expected ro, found rw
-:1: /mnt/u: options: expected nosuid, found suid
--"
	run --separate-stderr assert_mount --target "$SNAP" /nowhere
	assert_failure 1
	assert_equal "$stderr" "-- mount layout differs --
-:1: /nowhere: mount: expected a mount, found none
--"
}

@test "assert_peers: one peer group, or the block" {
	run --separate-stderr assert_peers --target "$SNAP" /mnt/a /mnt/b
	assert_success
	run --separate-stderr assert_peers --target "$SNAP" /mnt/a /mnt/c
	assert_failure 1
	assert_equal "$stderr" "-- mount layout differs --
-:2: /mnt/a: propagation: expected shared:mnt_c, found shared (of another group than mnt_c's)
--"
	run --separate-stderr assert_peers --target "$SNAP" /mnt/a /mnt/x
	assert_failure 1
	assert_equal "$stderr" "-- mount layout differs --
-:1: /mnt/x: propagation: expected shared:mnt_x, found private
--"
}

@test "assert_slave_of: a slave of the other's group, or the block" {
	run --separate-stderr assert_slave_of --target "$SNAP" /mnt/d /mnt/a
	assert_success
	run --separate-stderr assert_slave_of --target "$SNAP" /mnt/d /mnt/c
	assert_failure 1
	assert_equal "$stderr" "-- mount layout differs --
-:2: /mnt/d: propagation: expected slave:mnt_c, found slave (of another group than mnt_c's)
--"
	run --separate-stderr assert_slave_of --target "$SNAP" /mnt/b /mnt/a
	assert_failure 1
	assert_equal "$stderr" "-- mount layout differs --
-:2: /mnt/b: propagation: expected slave:mnt_a, found shared:mnt_a
--"
}

@test "the helpers want their arguments" {
	run --separate-stderr assert_peers /a
	assert_failure 1
	assert_equal "$stderr" "-- assert_peers: A and B needed --"
	run --separate-stderr assert_slave_of
	assert_failure 1
	run --separate-stderr assert_mount
	assert_failure 1
}

@test "live: the caller's namespace by default; paths with spaces and quotes" {
	require_root
	run --separate-stderr in_private_ns 'source "$1"
		W=$TMP/w
		mkdir -p "$W"
		mount -t tmpfs w "$W"
		mkdir "$W/a b\"c" "$W/peer" "$W/sl"
		mount -t tmpfs -o ro x "$W/a b\"c"
		mount --make-shared "$W/a b\"c"
		mount --bind "$W/a b\"c" "$W/peer"
		mount --bind "$W/a b\"c" "$W/sl"
		mount --make-slave "$W/sl"
		assert_mount "$W/a b\"c" fstype=tmpfs options=ro propagation=shared
		assert_peers "$W/a b\"c" "$W/peer"
		assert_slave_of "$W/sl" "$W/peer"
		assert_mount_layout <<-EOF
			"$W/a b\"c" tmpfs ro shared:x
			$W/peer shared:x
			$W/sl slave:x
		EOF
		echo passed
		assert_mount "$W/sl" propagation=shared' "$HELPERS"
	assert_failure 1
	assert_output "passed"
	assert_equal "$stderr" "-- mount layout differs --
-:1: $BATS_TEST_TMPDIR/w/sl: propagation: expected shared, found slave
--"
}

@test "under set -e (a bats test body): a failing helper stops the test" {
	run --separate-stderr bash -ec 'source "$1"; assert_mount --target "$2" /mnt/u unbindable
		echo reached; assert_mount --target "$2" /mnt/u ro; echo not reached' bash "$HELPERS" "$SNAP"
	assert_failure 1
	assert_output "reached"
	assert_equal "$stderr" "-- mount layout differs --
-:1: /mnt/u: options: expected ro, found rw
--"
}

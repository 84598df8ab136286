#!/usr/bin/env bats
# --fresh never creates (nor reconfigures) a superblock the kernel shares
# machine-wide or per namespace (lib/replay/features.c): such a mount is
# cloned from a live mount of the same superblock, or refused with a
# one-line error naming the mount and --external.  The plan (-n) prints
# "create TYPE superblock" for every superblock it would fsopen.
#
# Never fsopen one of these types here, and never pass them options: the
# snapshots are generated, and only -n runs on a shared type's snapshot
# unless its live mount is cloned.

load test_helper

# Every NEVER_SHARED entry of features.c.
SHARED_TYPES=(cgroup2 cgroup cpuset sysfs mqueue binfmt_misc devtmpfs debugfs tracefs
	securityfs pstore configfs fusectl efivarfs selinuxfs rpc_pipefs nfsd)

# snap_with TYPE DEV ROOT OUT: a snapshot of a tmpfs root and one TYPE mount
# of superblock DEV (root ROOT) at /m.
snap_with() {
	printf '1 0 0:1048574 / / rw,relatime - tmpfs tmpfs rw\n' >"$BATS_TEST_TMPDIR/mi"
	printf '2 1 %s %s /m rw,relatime - %s %s rw\n' "$2" "$3" "$1" "$1" >>"$BATS_TEST_TMPDIR/mi"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/mi" -o "$4"
}

# cgroup2_super: the super options of every cgroup2 mount of this namespace.
cgroup2_super() {
	awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup2") print $(i + 3) }' \
		/proc/self/mountinfo | sort -u
}

@test "fresh: a shared type with no live mount is refused, never created (--fresh and not)" {
	# 0:1048575 (the largest minor) is no live superblock
	for t in "${SHARED_TYPES[@]}"; do
		snap_with "$t" 0:1048575 / "$BATS_TEST_TMPDIR/$t.json"
		for mode in --fresh ""; do
			run -2 "$MNTSNAP" replay -n $mode --mkdir --new="$BATS_TEST_TMPDIR/out" \
				"$BATS_TEST_TMPDIR/$t.json"
			refute_output --partial "create $t superblock"
			assert_output --regexp "^mntsnap: replay: 'ns0:/m' \($t 0:1048575\): no live mount of this superblock contains its root '/', and $t is shared [a-zA-Z -]+: replay never creates it \(give one with --external /m:PATH\)$"
			[ "${#lines[@]}" = 1 ]
		done
	done
}

@test "fresh: a type nobody can create is refused the same way" {
	snap_with fuse.sshfs 0:1048575 / "$BATS_TEST_TMPDIR/f.json"
	run -2 "$MNTSNAP" replay -n --fresh --mkdir --new="$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/f.json"
	refute_output --partial "create fuse"
	assert_output "mntsnap: replay: 'ns0:/m' (fuse.sshfs 0:1048575): no live mount of this superblock contains its root '/', and fuse.sshfs cannot be created (give one with --external /m:PATH)"
}

@test "fresh: with two namespaces the --external key names the namespace" {
	printf '1 0 0:1048574 / / rw - tmpfs tmpfs rw\n' >"$BATS_TEST_TMPDIR/a"
	printf '1 0 0:1048573 / / rw - tmpfs tmpfs rw\n2 1 0:1048575 / /d rw - debugfs debugfs rw\n' \
		>"$BATS_TEST_TMPDIR/b"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/a" -F "$BATS_TEST_TMPDIR/b" -o "$BATS_TEST_TMPDIR/s.json"
	run -2 "$MNTSNAP" replay -n --fresh --mkdir --new="$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/s.json"
	assert_output --partial "'ns1:/d' (debugfs 0:1048575): no live mount of this superblock contains its root '/', and debugfs is shared machine-wide: replay never creates it"
	assert_output --partial "(give one with --external ns1:/d:PATH)"
}

@test "fresh: a shared type with a live mount is cloned from it, never created" {
	require_root
	# the private namespace holds copies of the host's /sys, /proc, /dev,
	# cgroup mounts: each shared type mounted here is a live source
	run in_private_ns '
		types=" '"${SHARED_TYPES[*]}"' "
		awk "{ for (i = 7; \$i != \"-\"; i++); print \$(i + 1), \$3, \$4 }" /proc/self/mountinfo |
		while read -r t dev root; do
			case $types in *" $t "*) ;; *) continue ;; esac
			[ -e $TMP/$t.json ] && continue
			printf "1 0 0:1048574 / / rw - tmpfs tmpfs rw\n2 1 %s %s /m rw - %s %s rw\n" \
				$dev $root $t $t >$TMP/mi
			"$MNTSNAP" capture -F $TMP/mi -o $TMP/$t.json
			echo "type $t $dev"
			"$MNTSNAP" replay -n --fresh --mkdir --new=$TMP/out $TMP/$t.json
		done'
	assert_success
	n=0
	while read -r _ t dev; do
		assert_line --regexp "^[0-9]+ clone $t superblock $dev from live mount '"
		refute_line --partial "create $t superblock"
		n=$((n + 1))
	done < <(grep '^type ' <<<"$output")
	[ "$n" -gt 0 ]
}

@test "fresh: a capture of this namespace replays with --fresh and leaves cgroup2's root flags alone" {
	require_root
	run in_private_ns '
		types=" '"${SHARED_TYPES[*]}"' "
		cgroup2_super() {
			awk "{ for (i = 7; \$i != \"-\"; i++); if (\$(i + 1) == \"cgroup2\") print \$(i + 3) }" \
				/proc/self/mountinfo | sort -u
		}
		before=$(cgroup2_super)
		"$MNTSNAP" capture -p $$ -o $TMP/me.json
		"$MNTSNAP" replay -n --fresh --mkdir --new=$TMP/out $TMP/me.json >$TMP/plan
		# not one superblock of a shared type is created: only then run it
		for t in $types; do
			if grep " create $t superblock" $TMP/plan; then
				echo "PLAN CREATES $t"
				exit 1
			fi
		done
		echo planned
		mkdir -p $TMP/out
		rc=0
		"$MNTSNAP" replay --fresh --mkdir --new=$TMP/out $TMP/me.json 2>$TMP/err || rc=$?
		echo "rc $rc"
		echo "err lines $(wc -l <$TMP/err)"
		[ "$(cgroup2_super)" = "$before" ] && echo "cgroup2 unchanged: $before"'
	assert_success
	assert_line planned
	assert_line --regexp '^rc (0|2)$'
	if [ "$(sed -n 's/^rc //p' <<<"$output")" = 2 ]; then
		assert_line 'err lines 1'
	fi
	assert_line --regexp '^cgroup2 unchanged: '
}

@test "fresh: a superblock mounted only in another namespace is cloned there" {
	require_root
	# overlay (a type replay does not create) mounted only in namespace B,
	# and cgroup v1 unmounted from the caller's: both come from elsewhere
	run in_private_ns '
		mkdir -p $TMP/l $TMP/u $TMP/w $TMP/ov
		unshare --mount --propagation private bash -c "
			mount -t overlay ov -o lowerdir=$TMP/l,upperdir=$TMP/u,workdir=$TMP/w $TMP/ov
			touch $TMP/ready; exec sleep 600" &
		b=$!
		trap "kill $b" EXIT
		while [ ! -e $TMP/ready ]; do sleep 0.1; done
		read -r dev opts < <(awk -v p=$TMP/ov "\$5 == p { print \$3, \$NF }" /proc/$b/mountinfo)
		cg=$(awk "\$5 == \"/sys/fs/cgroup/cpu\" { print \$3 }" /proc/self/mountinfo)
		printf "1 0 0:1048574 / / rw - tmpfs tmpfs rw\n2 1 %s / /m rw - overlay ov %s\n" \
			$dev $opts >$TMP/mi
		[ -z "$cg" ] || printf "3 1 %s / /cg rw - cgroup cgroup rw,cpu\n" $cg >>$TMP/mi
		[ -z "$cg" ] || umount /sys/fs/cgroup/cpu
		"$MNTSNAP" capture -F $TMP/mi -o $TMP/s.json
		echo "dev $dev cg $cg"
		"$MNTSNAP" replay -n --mkdir --new=$TMP/out $TMP/s.json
		mkdir $TMP/out
		# verified: the result is the snapshot, /m on the overlay of B
		"$MNTSNAP" replay --mkdir --new=$TMP/out $TMP/s.json
		echo replayed'
	assert_success
	dev=$(sed -n 's/^dev \([^ ]*\) .*/\1/p' <<<"$output")
	cg=$(sed -n 's/^dev .* cg //p' <<<"$output")
	assert_line --regexp "^[0-9]+ clone overlay superblock $dev from live mount '$BATS_TEST_TMPDIR/ov' in mount namespace [0-9]+ \(root '/'\)$"
	if [ -n "$cg" ]; then
		assert_line --regexp "^[0-9]+ clone cgroup superblock $cg from live mount '/sys/fs/cgroup/cpu' in mount namespace [0-9]+ "
	fi
	assert_line replayed
}

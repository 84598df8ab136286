#!/usr/bin/env bats
# User namespaces (issue 11 §5): capture records the owner of each mount
# namespace (initial or not, its uid and gid maps); replay recreates it, so
# the mounts inherited from the parent come back locked, as in a container;
# diff and the verification report a changed owner.
#
# The "container" is `unshare --user --mount sleep` with maps written from
# outside (no newuidmap here), made in the test's private namespace: its
# mounts are the test's, copied and locked.

load test_helper

setup() {
	require_root
	unshare --user --map-root-user true 2>/dev/null || skip "no user namespaces"
}

# The container: tmpfs C with a read-only nosuid tmpfs C/x, and a static
# helper C/umount2 that unmounts its argument alone (umount(8) is not in
# a replayed subtree) and prints the error.
build_container='
	source "$TOP/tests/bats/userns_helper.bash"
	W=$TMP/w
	mkdir -p $W
	mount -t tmpfs -o size=1m wsrc $W
	mkdir $W/c $W/out
	mount -t tmpfs -o size=1m ctr $W/c
	mkdir $W/c/x
	mount -t tmpfs -o ro,nosuid,size=1m inner $W/c/x
	printf "%s\n" "#include <errno.h>" "#include <stdio.h>" "#include <string.h>" \
		"#include <sys/mount.h>" \
		"int main(int c, char **v) { (void)c; if (umount2(v[1], 0) < 0) {" \
		"printf(\"%s\\n\", strerror(errno)); return 1; } puts(\"unmounted\"); return 0; }" \
		> $TMP/umount2.c
	cc -static -o $W/c/umount2 $TMP/umount2.c
	container_start "0 100000 65536" "0 200000 1000"
'
export build_container

@test "userns: capture records the owner of a namespace in a user namespace, and the initial one" {
	run -0 in_private_ns '
		eval "$build_container"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		jq -e ".format_version == 3" $TMP/c.json
		jq -e ".namespaces[0].owner_userns | del(.locked) == {initial: false, uid_map: [\"0 100000 65536\"], gid_map: [\"0 200000 1000\"]}" $TMP/c.json
		# every mount of the container is inherited: locked
		jq -e ".namespaces[0] | .owner_userns.locked == [.mounts[].id]" $TMP/c.json
		jq -e --argjson i $(stat -L -c %i /proc/$CPID/ns/user) ".namespaces[0].owner_userns_ino == \$i" $TMP/c.json
		"$MNTSNAP" capture -p $$ --subtree $W > $TMP/h.json
		jq -e ".namespaces[0].owner_userns == {initial: true, locked: null, uid_map: [\"0 0 4294967295\"], gid_map: [\"0 0 4294967295\"]}" $TMP/h.json
		echo done'
	assert_line done
}

@test "userns: replay recreates the owner (a new user namespace with the captured maps, pinned) and locks inherited mounts" {
	run -0 in_private_ns '
		eval "$build_container"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		kill $CPID; wait $CPID || :
		"$MNTSNAP" replay --mkdir --new $W/out $TMP/c.json
		test -e $W/out/ns0.userns
		# the owner, as a user checks it: capture the pin
		"$MNTSNAP" capture -m $W/out/ns0 > $TMP/r.json
		jq -e ".namespaces[0].owner_userns | del(.locked) == {initial: false, uid_map: [\"0 100000 65536\"], gid_map: [\"0 200000 1000\"]}" $TMP/r.json
		jq -e ".namespaces[0] | .owner_userns.locked == [.mounts[].id]" $TMP/r.json
		jq -e --argjson i $(stat -c %i $W/out/ns0.userns) ".namespaces[0].owner_userns_ino == \$i" $TMP/r.json
		[ $(stat -c %i $W/out/ns0.userns) != $(stat -L -c %i /proc/self/ns/user) ]
		"$MNTSNAP" diff $TMP/c.json $TMP/r.json
		# inherited: locked, it cannot be unmounted alone (the subtree
		# is the root of the replayed namespace)
		run_in() { nsenter --user=$W/out/ns0.userns --mount=$W/out/ns0 "$@"; }
		out=$(run_in /umount2 /x) && exit 1
		[ "$out" = "Invalid argument" ]
		echo done'
	assert_line done
}

@test "userns: --fresh, the original torn down: a new owner with the captured maps, and the same layout" {
	run -0 in_private_ns '
		eval "$build_container"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		kill $CPID; wait $CPID || :
		umount -R $W/c
		"$MNTSNAP" replay --fresh --mkdir --new $W/out $TMP/c.json
		"$MNTSNAP" capture -m $W/out/ns0 > $TMP/r.json
		jq -e ".namespaces[0].owner_userns | del(.locked) == {initial: false, uid_map: [\"0 100000 65536\"], gid_map: [\"0 200000 1000\"]}" $TMP/r.json
		jq -e ".namespaces[0] | .owner_userns.locked == [.mounts[].id]" $TMP/r.json
		jq -e --argjson i $(stat -c %i $W/out/ns0.userns) ".namespaces[0].owner_userns_ino == \$i" $TMP/r.json
		"$MNTSNAP" diff $TMP/c.json $TMP/r.json
		echo done'
	assert_line done
}

@test "userns: replay uses the live owner when it is still there, and --userns=PID" {
	run -0 in_private_ns '
		eval "$build_container"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		"$MNTSNAP" replay --mkdir --new $W/out $TMP/c.json
		test ! -e $W/out/ns0.userns
		"$MNTSNAP" capture -m $W/out/ns0 > $TMP/r.json
		jq -e --argjson i $(stat -L -c %i /proc/$CPID/ns/user) ".namespaces[0].owner_userns_ino == \$i" $TMP/r.json
		# --userns: another user namespace, chosen
		unshare --user sleep 60 & other=$!
		sleep 0.3
		echo "0 100000 65536" > /proc/$other/uid_map
		echo "0 200000 1000" > /proc/$other/gid_map
		mkdir $W/out2
		"$MNTSNAP" replay --userns=$other --mkdir --new $W/out2 $TMP/c.json
		"$MNTSNAP" capture -m $W/out2/ns0 > $TMP/r2.json
		jq -e --argjson i $(stat -L -c %i /proc/$other/ns/user) ".namespaces[0].owner_userns_ino == \$i" $TMP/r2.json
		kill $other
		echo done'
	assert_line done
}

@test "userns: --userns=none replays in the caller's user namespace with a warning, and verification reports the owner (exit 1)" {
	run -0 in_private_ns '
		eval "$build_container"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		set +e
		"$MNTSNAP" replay --userns=none --mkdir --new $W/out $TMP/c.json > $TMP/out 2> $TMP/err
		rc=$?
		set -e
		echo "rc=$rc"
		cat $TMP/out $TMP/err
		[ $rc = 1 ]
		grep -q "warning: namespace .ns0.: --userns=none" $TMP/err
		grep -qx "~ namespace ns0: owner: user namespace uid 0 100000 65536, gid 0 200000 1000 -> initial user namespace" $TMP/out
		test ! -e $W/out/ns0.userns
		# not locked: owned by the user namespace of the caller
		[ "$(nsenter --mount=$W/out/ns0 /umount2 /x)" = unmounted ]
		echo done'
	assert_line done
}

@test "userns: diff reports a changed owner (exit 1); snapshots of format 1 stay readable" {
	run -0 in_private_ns '
		eval "$build_container"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		jq ".namespaces[0].owner_userns.uid_map = [\"0 300000 65536\"]" $TMP/c.json > $TMP/d.json
		set +e
		"$MNTSNAP" diff $TMP/c.json $TMP/d.json > $TMP/out
		rc=$?
		set -e
		[ $rc = 1 ]
		grep -qx "~ namespace ns0: owner: user namespace uid 0 100000 65536, gid 0 200000 1000 -> user namespace uid 0 300000 65536, gid 0 200000 1000" $TMP/out
		jq ".namespaces[0].owner_userns.initial = true" $TMP/c.json > $TMP/e.json
		set +e
		"$MNTSNAP" diff $TMP/c.json $TMP/e.json > /dev/null
		rc=$?
		set -e
		[ $rc = 1 ]
		# format 1: no owner_userns (unknown, not compared); rewritten as 2
		jq "del(.host.boot_id, .namespaces[].owner_userns, .namespaces[].mounts[].root_type, .namespaces[].mounts[].fs_uuid, .namespaces[].mounts[].fs_label) | .format_version = 1" $TMP/c.json > $TMP/v1.json
		"$MNTSNAP" diff $TMP/v1.json $TMP/c.json
		jq "del(.host.boot_id, .namespaces[].mounts[].root_type, .namespaces[].mounts[].fs_uuid, .namespaces[].mounts[].fs_label) | .format_version = 1" $TMP/c.json > $TMP/bad.json
		set +e
		"$MNTSNAP" diff $TMP/bad.json $TMP/c.json 2> $TMP/err
		rc=$?
		set -e
		[ $rc = 2 ]
		cat $TMP/err
		grep -q "owner_userns" $TMP/err
		echo done'
	assert_line done
}

@test "userns: a whole-namespace replay inside a user namespace says the mounts are locked" {
	run -0 in_private_ns '
		mkdir -p $TMP/w
		mount -t tmpfs -o size=1m w $TMP/w
		mkdir $TMP/w/out
		unshare --user --map-root-user --mount --propagation private bash -c "
			\"$MNTSNAP\" capture -p \$\$ -o $TMP/w/s.json
			\"$MNTSNAP\" replay --new $TMP/w/out $TMP/w/s.json 2> $TMP/err; echo rc=\$?"
		cat $TMP/err
		# one line per problem (the preflight lists them all)
		! grep -qv "^mntsnap: replay: " $TMP/err
		grep -q "^mntsnap: replay: .*open_tree .*(mounts on it are locked: mntsnap runs in a user namespace other than the initial one.*: Invalid argument$" $TMP/err
		echo done'
	assert_line rc=2
	assert_line done
}

# A container that made mounts itself (issue 11 §5): inherited from the
# test's namespace, so locked, are C, C/x (private) and C/h; made inside,
# after the copy, by root of the container's user namespace: the tmpfs
# C/y, the shared tmpfs C/y/s with its peer C/y/t, and C/y/u, a bind of
# C/h, which the container made shared first (a group mixing an
# inherited and a made member).  nsumount (outside the container's files)
# enters a user and a mount namespace and unmounts one mount alone.
build_made='
	source "$TOP/tests/bats/userns_helper.bash"
	# root of the container (uid 100000 outside) must reach W: not under
	# the private TMP of the test
	W=$(mktemp -d /tmp/mntsnap-userns.XXXXXX)
	chmod 755 $W
	mount -t tmpfs -o size=1m wsrc $W
	mkdir $W/c $W/out $W/out2
	mount -t tmpfs -o size=1m ctr $W/c
	mkdir $W/c/x $W/c/y $W/c/h
	mount -t tmpfs -o ro,nosuid,size=1m inner $W/c/x
	mount -t tmpfs -o size=1m hin $W/c/h
	nsumount_build
	container_start "0 100000 65536" "0 100000 65536" "umount -R $W 2>/dev/null || :; rmdir $W"
	nsenter -t $CPID --user --mount sh -ec "
		mount -t tmpfs made $W/c/y
		mkdir $W/c/y/s $W/c/y/t $W/c/y/u
		mount -t tmpfs -o size=1m sh $W/c/y/s
		mount --make-shared $W/c/y/s
		mount --bind $W/c/y/s $W/c/y/t
		mount --make-shared $W/c/h
		mount --bind $W/c/h $W/c/y/u"
'
export build_made

# The replayed namespace DIR/ns0 against the snapshot: the same layout, the
# inherited mounts locked and the others not (captured, and tried).
check_made='
	"$MNTSNAP" capture -m $OUT/ns0 > $TMP/r.json
	"$MNTSNAP" diff $TMP/c.json $TMP/r.json
	jq -e "[.namespaces[0] | .owner_userns.locked[] as \$i | .mounts[] | select(.id == \$i) | .mountpoint] == [\"/\", \"/x\", \"/h\"]" $TMP/r.json
	jq -e "[.namespaces[0].mounts[] | select(.mountpoint == (\"/y/s\", \"/y/t\")) | .shared_id] | .[0] == .[1] and .[0] > 0" $TMP/r.json
	jq -e "[.namespaces[0].mounts[] | select(.mountpoint == (\"/h\", \"/y/u\")) | .shared_id] | .[0] == .[1] and .[0] > 0" $TMP/r.json
	jq -e "[.namespaces[0].mounts[] | select(.mountpoint == (\"/h\", \"/y/s\")) | .master_id] == [0, 0]" $TMP/r.json
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /x)" = "Invalid argument" ]
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /h)" = "Invalid argument" ]
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /y/t)" = unmounted ]
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /y/u)" = unmounted ]
'
export check_made

@test "userns: capture records which mounts are locked: the inherited ones, not those the container made" {
	run -0 in_private_ns '
		eval "$build_made"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		jq -e "[.namespaces[0] | .owner_userns.locked[] as \$i | .mounts[] | select(.id == \$i) | .mountpoint] == [\"$W/c\", \"$W/c/x\", \"$W/c/h\"]" $TMP/c.json
		jq -e "[.namespaces[0].mounts[] | select(.mountpoint == (\"$W/c/y/s\", \"$W/c/y/t\")) | .shared_id] | .[0] == .[1] and .[0] > 0" $TMP/c.json
		# the locks are part of the layout: diff reports one that changed
		jq "(.namespaces[0].owner_userns.locked) |= .[:2]" $TMP/c.json > $TMP/d.json
		set +e
		"$MNTSNAP" diff $TMP/c.json $TMP/d.json > $TMP/out
		rc=$?
		set -e
		cat $TMP/out
		[ $rc = 1 ]
		grep -qx "~ $W/c/h: locked: yes -> no" $TMP/out
		echo done'
	assert_line done
}

@test "userns: replay locks the inherited mounts only; the container's own are unlocked and stay shared" {
	run -0 in_private_ns '
		eval "$build_made"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		kill $CPID; wait $CPID || :
		"$MNTSNAP" replay --mkdir --new $W/out $TMP/c.json
		OUT=$W/out USERNS=$W/out/ns0.userns
		eval "$check_made"
		echo done'
	assert_line done
}

@test "userns: --fresh, the original torn down: the inherited mounts locked, the container's own not, groups shared" {
	run -0 in_private_ns '
		eval "$build_made"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		kill $CPID; wait $CPID || :
		umount -R $W/c
		"$MNTSNAP" replay --fresh --mkdir --new $W/out $TMP/c.json
		OUT=$W/out USERNS=$W/out/ns0.userns
		eval "$check_made"
		echo done'
	assert_line done
}

@test "userns: with the live owner, and without recorded locks (every mount inherited, groups still shared)" {
	run -0 in_private_ns '
		eval "$build_made"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		"$MNTSNAP" replay --mkdir --new $W/out $TMP/c.json
		OUT=$W/out USERNS=/proc/$CPID/ns/user
		eval "$check_made"
		# locks not recorded (a file written before they were): all
		# copied in, locked, as a container started the usual way
		jq ".namespaces[0].owner_userns.locked = null" $TMP/c.json > $TMP/n.json
		"$MNTSNAP" replay --mkdir --new $W/out2 $TMP/n.json
		"$MNTSNAP" capture -m $W/out2/ns0 > $TMP/r2.json
		jq -e "[.namespaces[0] | .owner_userns.locked | length] == [7]" $TMP/r2.json
		jq -e "[.namespaces[0].mounts[] | select(.mountpoint == (\"/y/s\", \"/y/t\")) | .shared_id] | .[0] == .[1] and .[0] > 0" $TMP/r2.json
		[ "$($TMP/nsumount /proc/$CPID/ns/user $W/out2/ns0 /y/t)" = "Invalid argument" ]
		echo done'
	assert_line done
}

@test "userns: capture -A inside a user namespace warns about the namespaces it could not see (how many, a pid), exit 0" {
	require_root
	run --separate-stderr unshare --user --map-root-user --mount "$MNTSNAP" capture -A
	assert_success
	jq -e '.namespaces | length >= 1' <<<"$output"
	# its own namespace, probed: the locks are recorded
	jq -e '.namespaces[0].owner_userns.locked | length >= 1' <<<"$output"
	[ "${#stderr_lines[@]}" -ge 1 ]
	for line in "${stderr_lines[@]}"; do
		[[ "$line" == "mntsnap: capture: warning: "* ]]
	done
	[[ "$stderr" =~ "mntsnap: capture: warning: the mount namespaces of "[0-9]+" process"(es)?" (pid "[0-9]+(" and others")?") could not be read: "(Permission denied|Operation not permitted) ]]
	jq -e '[.warnings[] | select(test("^the mount namespaces of [0-9]+ process(es)? \\(pid [0-9]+"))] | length == 1' <<<"$output"
}

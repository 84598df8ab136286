#!/usr/bin/env bats
# User namespaces (issue 11 §5): an inherited, locked mount below one the
# container made, what `mount --rbind` or pivot_root inside a container
# leaves.  Replay must bring it back locked, the container's own mounts
# around it unlocked, in plain and --fresh modes.

load test_helper

setup() {
	require_root
	unshare --user --map-root-user true 2>/dev/null || skip "no user namespaces"
}

# Inherited from the test's namespace (so locked in the container): C, C/x
# and C/h with its child C/h/k.  Made by the container (root of its user
# namespace, after the copy): the tmpfs C/n (a new root), C/n/old, an
# rbind of C/h (the clone's root is not locked, its child C/n/old/k keeps
# the lock), the tmpfs C/n/old/e next to it, C/n/old/k/d on the locked k,
# and, shared with C/n/old, C/n/p: an rbind of it (C/n/p/k locked, C/n/p/e
# and C/n/p/k/d not).
# nsumount enters a user and a mount namespace and unmounts one mount alone.
build_under='
	source "$TOP/tests/bats/userns_helper.bash"
	W=$(mktemp -d /tmp/mntsnap-lockunder.XXXXXX)
	chmod 755 $W
	mount -t tmpfs -o size=1m wsrc $W
	mkdir $W/c $W/out
	mount -t tmpfs -o size=1m ctr $W/c
	mkdir $W/c/x $W/c/h $W/c/n
	mount -t tmpfs -o ro,nosuid,size=1m inner $W/c/x
	mount -t tmpfs -o size=1m hin $W/c/h
	mkdir $W/c/h/k
	mount -t tmpfs -o nodev,size=1m kin $W/c/h/k
	mkdir $W/c/h/k/d
	nsumount_build
	container_start "0 100000 65536" "0 100000 65536" "umount -R $W 2>/dev/null || :; rmdir $W"
	nsenter -t $CPID --user --mount sh -ec "
		mount -t tmpfs -o size=1m newroot $W/c/n
		mkdir $W/c/n/old $W/c/n/p
		mount --rbind $W/c/h $W/c/n/old
		mkdir $W/c/n/old/e
		mount -t tmpfs -o size=1m own $W/c/n/old/e
		mount -t tmpfs -o size=1m ond $W/c/n/old/k/d
		mount --make-shared $W/c/n/old
		mount --rbind $W/c/n/old $W/c/n/p"
'
export build_under

# The replayed namespace $OUT/ns0 (owner $USERNS) against the snapshot: the
# same layout, and the locks as the kernel has them, captured and tried.
check_under='
	"$MNTSNAP" capture -m $OUT/ns0 > $TMP/r.json
	"$MNTSNAP" diff $TMP/c.json $TMP/r.json
	jq -e "[.namespaces[0] | .owner_userns.locked[] as \$i | .mounts[] | select(.id == \$i) | .mountpoint] | sort == [\"/\", \"/h\", \"/h/k\", \"/n/old/k\", \"/n/p/k\", \"/x\"]" $TMP/r.json
	jq -e "[.namespaces[0].mounts[] | select(.mountpoint == (\"/n/old\", \"/n/p\")) | .shared_id] | .[0] == .[1] and .[0] > 0" $TMP/r.json
	# inherited, below the container-made C/n/old: locked
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /n/old/k)" = "Invalid argument" ]
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /n/p/k)" = "Invalid argument" ]
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /h/k)" = "Invalid argument" ]
	# made by the container: not locked, beside and below it (C/n/p/e
	# goes with C/n/old/e: they are peers, the umount propagates)
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /n/old/k/d)" = unmounted ]
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /n/p/k/d)" = unmounted ]
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /n/old/e)" = unmounted ]
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /n/p/e)" = "Invalid argument" ]
	# the carrier itself: busy (its children), not locked (Invalid argument)
	[ "$($TMP/nsumount $USERNS $OUT/ns0 /n/old)" = "Device or resource busy" ]
'
export check_under

@test "userns locked-under: capture records an inherited mount below a container-made one as locked" {
	run -0 in_private_ns '
		eval "$build_under"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		jq -e "[.namespaces[0] | .owner_userns.locked[] as \$i | .mounts[] | select(.id == \$i) | .mountpoint] | sort == [\"$W/c\", \"$W/c/h\", \"$W/c/h/k\", \"$W/c/n/old/k\", \"$W/c/n/p/k\", \"$W/c/x\"]" $TMP/c.json
		echo done'
	assert_line done
}

@test "userns locked-under: replay brings the inherited mount below a container-made one back locked" {
	run -0 in_private_ns '
		eval "$build_under"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		kill $CPID; wait $CPID || :
		# the plan says how: C/n/old and C/n/p carry their locked k
		"$MNTSNAP" replay -n --new $W/out $TMP/c.json > $TMP/plan
		[ "$(grep -c "attach .ns0:$W/c/n/\(old\|p\). from inside .*(the inherited mounts below it: locked)" $TMP/plan)" = 2 ]
		"$MNTSNAP" replay --mkdir --new $W/out $TMP/c.json
		OUT=$W/out USERNS=$W/out/ns0.userns
		eval "$check_under"
		echo done'
	assert_line done
}

@test "userns locked-under: --fresh, the original torn down: locked below, unlocked around" {
	run -0 in_private_ns '
		eval "$build_under"
		"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
		kill $CPID; wait $CPID || :
		umount -R $W/c
		"$MNTSNAP" replay --fresh --mkdir --new $W/out $TMP/c.json
		OUT=$W/out USERNS=$W/out/ns0.userns
		eval "$check_under"
		echo done'
	assert_line done
}

# The same container, which then made the inherited C/h (with children)
# and C/h/k (a leaf) unbindable, the locked C/n/old/k too, and shared the
# locked C/n/p/k: the copy into the owner makes unbindable mounts private
# and shared ones slaves; replay puts both back, from inside.
propagation_under='
	nsenter -t $CPID --user --mount sh -ec "
		mount --make-unbindable $W/c/h
		mount --make-unbindable $W/c/h/k
		mount --make-unbindable $W/c/n/old/k
		mount --make-shared $W/c/n/p/k"
	"$MNTSNAP" capture -p $CPID --subtree $W/c > $TMP/c.json
	jq -e "[.namespaces[0].mounts[] | select(.unbindable) | .mountpoint] == [\"$W/c/h\", \"$W/c/h/k\", \"$W/c/n/old/k\"]" $TMP/c.json
	kill $CPID; wait $CPID || :
'
export propagation_under

@test "userns locked-under: inherited mounts made unbindable or shared by the container, above and below its own" {
	run -0 in_private_ns '
		eval "$build_under"
		eval "$propagation_under"
		"$MNTSNAP" replay --mkdir --new $W/out $TMP/c.json
		"$MNTSNAP" capture -m $W/out/ns0 > $TMP/r.json
		"$MNTSNAP" diff $TMP/c.json $TMP/r.json
		jq -e "[.namespaces[0].mounts[] | select(.unbindable) | .mountpoint] == [\"/h\", \"/h/k\", \"/n/old/k\"]" $TMP/r.json
		jq -e "[.namespaces[0].mounts[] | select(.mountpoint == \"/n/p/k\") | .shared_id > 0] == [true]" $TMP/r.json
		[ "$($TMP/nsumount $W/out/ns0.userns $W/out/ns0 /n/old/k)" = "Invalid argument" ]
		[ "$($TMP/nsumount $W/out/ns0.userns $W/out/ns0 /n/p/k)" = "Invalid argument" ]
		echo done'
	assert_line done
}

@test "userns locked-under: --fresh, unbindable and shared inherited mounts" {
	run -0 in_private_ns '
		eval "$build_under"
		eval "$propagation_under"
		umount -R $W/c
		"$MNTSNAP" replay --fresh --mkdir --new $W/out $TMP/c.json
		"$MNTSNAP" capture -m $W/out/ns0 > $TMP/r.json
		"$MNTSNAP" diff $TMP/c.json $TMP/r.json
		[ "$($TMP/nsumount $W/out/ns0.userns $W/out/ns0 /n/old/k)" = "Invalid argument" ]
		echo done'
	assert_line done
}

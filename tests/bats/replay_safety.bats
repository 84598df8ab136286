#!/usr/bin/env bats
# Replay must validate the whole snapshot before it touches anything, change
# nothing on --dry-run, leave the target exactly as it was when any step
# fails (fault injection at every step of a real plan), never mount outside
# the target root through a symlink, and never propagate into the caller.

load test_helper

setup() {
	require_root
	export -f mountinfo_no_ids
}

# snap_json: a small valid snapshot: a tmpfs root, peers /a and /b, a slave /c.
# The devices are made up, so every superblock is one replay creates.
snap_json() {
	jq -n '
	def m(id; parent; dev; mp; shared; master): {
		id: id, mnt_id: id, parent: parent, dev: dev, root: "/", mountpoint: mp,
		fstype: "tmpfs", source: "safety", mount_options: ["rw", "relatime"],
		super_options: ["rw", "mode=755"], shared_id: shared, master_id: master,
		propagate_from: 0, unbindable: false, deleted: false, nsfs: null, idmap: null };
	{
		format: "mntsnap", format_version: 1,
		tool: { name: "mntsnap", version: "0.1.0" }, created: null,
		host: { kernel: null, arch: null, hostname: null },
		capture: { method: "mountinfo", subtree: null, selection: "mount" },
		namespaces: [ {
			label: "ns0", mnt_ns_id: null, ns_ino: null, owner_userns_ino: null,
			pids: [], nsfs_paths: [], root_mount: 1,
			mounts: [
				m(1; null; "0:9901"; "/"; 0; 0),
				m(2; 1; "0:9902"; "/a"; 10; 0),
				m(3; 1; "0:9902"; "/b"; 10; 0),
				m(4; 1; "0:9902"; "/c"; 0; 10)
			] } ],
		warnings: [] }'
}

# bad_snapshot CASE: snap_json broken in one way.
bad_snapshot() {
	case $1 in
	malformed) snap_json | head -c 200 ;;
	parent_cycle) snap_json | jq '.namespaces[0].mounts[2].parent = 4 | .namespaces[0].mounts[3].parent = 3' ;;
	dangling_parent) snap_json | jq '.namespaces[0].mounts[2].parent = 99' ;;
	master_cycle) snap_json | jq '.namespaces[0].mounts[1].master_id = 20 | .namespaces[0].mounts[2].master_id = 20
		| .namespaces[0].mounts[3] |= (.shared_id = 20 | .master_id = 10)' ;;
	unnormalised) snap_json | jq '.namespaces[0].mounts[2].mountpoint = "/a/../b"' ;;
	relative) snap_json | jq '.namespaces[0].mounts[2].mountpoint = "b"' ;;
	fstype) snap_json | jq '.namespaces[0].mounts[3].fstype = "nosuchfs"' ;;
	two_roots) snap_json | jq '.namespaces[0].mounts[2].parent = null' ;;
	siblings) snap_json | jq '.namespaces[0].mounts[3].mountpoint = "/b"' ;;
	esac
}

# check_rejected CASE REGEXP: replay of the broken snapshot, into a new
# namespace and into an existing one (--root), exits 2 with one line
# "mntsnap: replay: ..." matching REGEXP (one line per problem, every line
# so prefixed), and changes nothing: the caller's
# and the target's mountinfo are byte-identical, the --new directory empty.
check_rejected() {
	bad_snapshot "$1" >"$BATS_TEST_TMPDIR/bad.json"
	run in_private_ns '
		bad=$TMP/bad.json
		mkdir "$TMP/out" "$TMP/tgt"
		mount -t tmpfs tgt "$TMP/tgt"
		unshare --mount --propagation private sleep 1000000 &
		tpid=$!
		trap "kill $tpid" EXIT
		# unshare execs sleep once the namespace is made private
		while [ "$(cat /proc/$tpid/comm)" != sleep ]; do sleep 0.05; done
		cat /proc/self/mountinfo >"$TMP/self.before"
		cat /proc/$tpid/mountinfo >"$TMP/tgt.before"
		r=0
		"$MNTSNAP" replay --mkdir --new="$TMP/out" "$bad" 2>"$TMP/err1" >/dev/null || r=$?
		echo "new-exit=$r"
		sed "s/^/new-err: /" "$TMP/err1"
		echo "new-err-lines=$(wc -l <"$TMP/err1")"
		grep -qv "^mntsnap: replay: " "$TMP/err1" || echo new-err-prefixed
		r=0
		"$MNTSNAP" replay --target=$tpid --root="$TMP/tgt" "$bad" 2>"$TMP/err2" >/dev/null || r=$?
		echo "target-exit=$r"
		sed "s/^/target-err: /" "$TMP/err2"
		echo "target-err-lines=$(wc -l <"$TMP/err2")"
		grep -qv "^mntsnap: replay: " "$TMP/err2" || echo target-err-prefixed
		cat /proc/self/mountinfo | cmp "$TMP/self.before" - && echo self-unchanged
		cat /proc/$tpid/mountinfo | cmp "$TMP/tgt.before" - && echo target-unchanged
		[ -z "$(ls -A "$TMP/out")" ] && echo out-empty
		[ -z "$(ls -A "$TMP/tgt")" ] && echo tgt-empty
		true
	'
	assert_success
	assert_line "new-exit=2"
	refute_line "new-err-lines=0"
	assert_line new-err-prefixed
	assert_line --regexp "^new-err: mntsnap: replay: .*($2)"
	assert_line "target-exit=2"
	refute_line "target-err-lines=0"
	assert_line target-err-prefixed
	assert_line --regexp "^target-err: mntsnap: replay: .*($2)"
	assert_line self-unchanged
	assert_line target-unchanged
	assert_line out-empty
	assert_line tgt-empty
}

@test "safety: malformed JSON is rejected naming the file" {
	check_rejected malformed "bad\.json"
}

@test "safety: a cycle in parents is rejected naming the namespace and mount" {
	check_rejected parent_cycle "ns0.*(mount|parent).*cycle|cycle.*ns0"
}

@test "safety: a dangling parent is rejected naming the mount and the parent" {
	check_rejected dangling_parent "ns0.* 3.*parent 99"
}

@test "safety: a cycle of group masters is rejected" {
	check_rejected master_cycle "master.*cycle"
}

@test "safety: an unnormalised mountpoint /a/../b is rejected" {
	check_rejected unnormalised "ns0.*mountpoint '/a/\.\./b'"
}

@test "safety: a relative mountpoint is rejected" {
	check_rejected relative "ns0.*mountpoint 'b'"
}

@test "safety: an unsupported fstype is rejected naming the mount and the type" {
	check_rejected fstype "ns0.*(/c|mount 4).*nosuchfs|ns0.*nosuchfs.*(/c|mount 4)"
}

@test "safety: two siblings on one mountpoint are rejected naming both" {
	check_rejected siblings "ns0.* 4: mountpoint '/b': also that of its sibling 3"
}

@test "safety: two roots in one namespace are rejected" {
	check_rejected two_roots "ns0.*two root"
}

@test "safety: --dry-run prints the plan, one line per step, and changes nothing" {
	snap_json >"$BATS_TEST_TMPDIR/snap.json"
	run in_private_ns '
		mkdir "$TMP/out"
		cat /proc/self/mountinfo >"$TMP/before"
		"$MNTSNAP" replay --dry-run --mkdir --new="$TMP/out" "$TMP/snap.json" >"$TMP/plan"
		echo "plan-lines=$(grep -c . "$TMP/plan")"
		cat /proc/self/mountinfo | cmp "$TMP/before" - && echo unchanged
		[ -z "$(ls -A "$TMP/out")" ] && echo out-empty
		# a plan names what it does: every mountpoint of the snapshot appears
		for mp in /a /b /c; do grep -q -- "$mp" "$TMP/plan" && echo "names $mp"; done
		true
	'
	assert_success
	assert_line unchanged
	assert_line out-empty
	assert_line "names /a"
	assert_line "names /b"
	assert_line "names /c"
	# at least one step per mount
	local n
	n=$(sed -n 's/^plan-lines=//p' <<<"$output")
	[ "$n" -ge 4 ]
}

# fault_injection LAYOUT [OPTION...]: every step of the plan (or every k-th
# for a long plan, always the first and the last) made to fail in turn:
# exit 2, and the caller's mountinfo and the --new directory unchanged.
# Beyond the last step nothing is injected and the replay succeeds, which
# proves the steps counted are the ones the executor numbers.
fault_injection() {
	run in_private_ns '
		source "$TOP/tests/bats/roundtrip_helper.bash"
		layout=$1
		shift
		st=$TMP/rt
		trap "rt_stop $st" EXIT
		rt_start "$layout" "$st"
		"$MNTSNAP" capture "${RT_NSFILES[@]/#/--mount=}" -o "$st/snap.json"
		mkdir "$st/out"
		"$MNTSNAP" replay --dry-run --mkdir --new="$st/out" "$@" "$st/snap.json" >"$st/plan"
		steps=$(grep -c . "$st/plan")
		echo "steps=$steps"
		[ "$steps" -gt 0 ]
		stride=$(( (steps + 39) / 40 ))
		cat /proc/self/mountinfo >"$st/before"
		bad=0
		for n in $(seq 1 "$stride" "$steps") "$steps"; do
			r=0
			MNTSNAP_FAIL_AT_STEP=$n "$MNTSNAP" replay --mkdir --new="$st/out" "$@" "$st/snap.json" \
				>/dev/null 2>"$st/err" || r=$?
			if [ "$r" != 2 ]; then
				echo "step $n: exit $r, expected 2: $(cat "$st/err")"
				bad=1
			fi
			if ! cat /proc/self/mountinfo | cmp -s "$st/before" -; then
				echo "step $n: the caller namespace changed:"
				diff "$st/before" /proc/self/mountinfo || true
				bad=1
				cat /proc/self/mountinfo >"$st/before"
			fi
			if [ -n "$(ls -A "$st/out")" ]; then
				echo "step $n: left in $st/out: $(ls -A "$st/out")"
				bad=1
			fi
		done
		echo "bad=$bad"
		r=0
		MNTSNAP_FAIL_AT_STEP=$((steps + 1)) "$MNTSNAP" replay --mkdir --new="$st/out" "$@" "$st/snap.json" || r=$?
		echo "beyond-exit=$r"
	' "$@"
	assert_success
	assert_line "bad=0"
	assert_line "beyond-exit=0"
}

@test "safety: fault injection at every step (propagated layout)" {
	fault_injection propagated
}

@test "safety: fault injection at every step (crossns_peers, --fresh)" {
	fault_injection crossns_peers --fresh
}

@test "safety: fault injection at every step (inverse_chain)" {
	fault_injection inverse_chain
}

# The target root holds symlinks that lead out of it (absolute and ../..); the
# snapshot mounts on those paths.  Whatever replay does (refuse, or resolve
# inside the root), no mount may appear outside the root in the target
# namespace, and a refusal leaves the target unchanged.
@test "safety: symlinks in the target root do not lead mounts outside it" {
	run in_private_ns '
		mkdir "$TMP/tgt"
		mount -t tmpfs -o mode=755 tgt "$TMP/tgt"
		ln -s /etc "$TMP/tgt/x"
		ln -s ../../../../../../../../etc "$TMP/tgt/y"
		dev=$(mountpoint -d "$TMP/tgt")
		jq -n --arg dev "$dev" "
		def m(id; parent; dev; mp): {
			id: id, mnt_id: id, parent: parent, dev: dev, root: \"/\", mountpoint: mp,
			fstype: \"tmpfs\", source: (if parent == null then \"tgt\" else \"escape\" end),
			mount_options: [\"rw\", \"relatime\"], super_options: [\"rw\", \"mode=755\"],
			shared_id: 0, master_id: 0, propagate_from: 0, unbindable: false,
			deleted: false, nsfs: null, idmap: null };
		{ format: \"mntsnap\", format_version: 1,
		  tool: { name: \"mntsnap\", version: \"0.1.0\" }, created: null,
		  host: { kernel: null, arch: null, hostname: null },
		  capture: { method: \"mountinfo\", subtree: null, selection: \"mount\" },
		  namespaces: [ { label: \"ns0\", mnt_ns_id: null, ns_ino: null,
			owner_userns_ino: null, pids: [], nsfs_paths: [], root_mount: 1,
			mounts: [ m(1; null; \$dev; \"/\"), m(2; 1; \"0:9911\"; \"/x\"),
				  m(3; 1; \"0:9912\"; \"/y\") ] } ],
		  warnings: [] }" >"$TMP/snap.json"
		unshare --mount --propagation private sleep 1000000 &
		tpid=$!
		trap "kill $tpid" EXIT
		# unshare execs sleep once the namespace is made private
		while [ "$(cat /proc/$tpid/comm)" != sleep ]; do sleep 0.05; done
		cat /proc/$tpid/mountinfo >"$TMP/before"
		for extra in "" --create-mountpoints; do
			r=0
			"$MNTSNAP" replay --target=$tpid --root="$TMP/tgt" $extra "$TMP/snap.json" \
				>"$TMP/out" 2>&1 || r=$?
			cat "$TMP/out"
			echo "exit$extra=$r"
			# a refusal must say which mount it refused
			if [ "$r" = 2 ] && ! grep -q "^mntsnap: replay: .*/[xy]" "$TMP/out"; then
				echo "UNEXPLAINED refusal$extra"
			fi
			# mounts outside the root that were not there before
			awk "{ print \$5 }" /proc/$tpid/mountinfo | sort >"$TMP/after.mp"
			awk "{ print \$5 }" "$TMP/before" | sort >"$TMP/before.mp"
			comm -13 "$TMP/before.mp" "$TMP/after.mp" | while read -r mp; do
				case $mp in
				"$TMP/tgt" | "$TMP/tgt"/*) ;;
				*) echo "OUTSIDE: $mp" ;;
				esac
			done
			if [ "$r" = 2 ] && ! cat /proc/$tpid/mountinfo | cmp -s "$TMP/before" -; then
				echo "CHANGED after a refusal$extra:"
				diff "$TMP/before" /proc/$tpid/mountinfo || true
			fi
		done
		echo done
	'
	assert_success
	assert_line done
	refute_output --partial OUTSIDE
	refute_output --partial CHANGED
	refute_output --partial UNEXPLAINED
	refute_output --regexp "exit[a-z-]*=[^012]"
}

# Replay --new from a caller whose every mount is shared: nothing may
# propagate into the caller.  With DIR on a private mount the only new mounts
# are the pins DIR/LABEL; with DIR on a shared mount replay either refuses
# (exit 2, naming DIR, nothing changed) or again adds only the pins.
@test "safety: nothing propagates into the caller's namespace" {
	run in_private_ns '
		source "$TOP/tests/bats/roundtrip_helper.bash"
		st=$TMP/rt
		trap "rt_stop $st" EXIT
		rt_start crossns_peers "$st"
		"$MNTSNAP" capture "${RT_NSFILES[@]/#/--mount=}" -o "$st/snap.json"
		mkdir "$st/out" "$st/out2"
		mount --make-rshared /
		mount -t tmpfs pins "$st/out"
		mount --make-private "$st/out"
		for dir in "$st/out" "$st/out2"; do
			mountinfo_no_ids /proc/self/mountinfo | sort >"$st/before"
			r=0
			"$MNTSNAP" replay --mkdir --new="$dir" "$st/snap.json" 2>"$st/err" || r=$?
			echo "$(basename "$dir")-exit=$r"
			sed "s/^/err: /" "$st/err"
			mountinfo_no_ids /proc/self/mountinfo | sort >"$st/after"
			comm -13 "$st/before" "$st/after" >"$st/added"
			comm -23 "$st/before" "$st/after" | sed "s/^/removed: /"
			if [ "$r" = 2 ]; then
				grep -q "^mntsnap: replay: .*$dir" "$st/err" || echo "UNEXPLAINED refusal"
				sed "s/^/added: /" "$st/added"
				continue
			fi
			# anything added that is not one of the two pins
			{ grep -v "^mnt:\[[0-9]*\] $dir/ns[01] .* nsfs " "$st/added" || true; } |
				sed "s/^/added: /"
			echo "$(basename "$dir")-pins=$(grep -c "^mnt:\[[0-9]*\] $dir/ns[01] .* nsfs " "$st/added" || true)"
		done
	'
	assert_success
	assert_line "out-exit=0"
	assert_line "out-pins=2"
	assert_line --regexp "^out2-exit=[02]$"
	refute_output --partial "removed: "
	refute_output --partial "added: "
	refute_output --partial UNEXPLAINED
}

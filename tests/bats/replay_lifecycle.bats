#!/usr/bin/env bats
# A replay cannot escape its target and dies cleanly: pins go beneath DIR
# only, --root is resolved without following symlinks, the executor dies
# with mntsnap and undoes what it did when mntsnap is interrupted or killed,
# a replay whose verification could not run says so with its own status
# (3), and a killed `capture -o` leaves no temporary file behind.

load test_helper

setup() {
	require_root
}

# snap N [LABEL]: a tmpfs root and N binds of one other tmpfs at /d0 ...
# (devices made up: replay creates both superblocks).
snap() {
	jq -n --argjson n "$1" --arg lbl "${2:-ns0}" '
	def m(id; parent; dev; mp): {
		id: id, mnt_id: id, parent: parent, dev: dev, root: "/", mountpoint: mp,
		fstype: "tmpfs", source: "lifecycle", mount_options: ["rw", "relatime"],
		super_options: ["rw", "mode=755"], shared_id: 0, master_id: 0,
		propagate_from: 0, unbindable: false, deleted: false, nsfs: null, idmap: null };
	{
		format: "mntsnap", format_version: 1,
		tool: { name: "mntsnap", version: "0.1.0" }, created: null,
		host: { kernel: null, arch: null, hostname: null },
		capture: { method: "mountinfo", subtree: null, selection: "mount" },
		namespaces: [ {
			label: $lbl, mnt_ns_id: null, ns_ino: null, owner_userns_ino: null,
			pids: [], nsfs_paths: [], root_mount: 1,
			mounts: ([m(1; null; "0:9901"; "/")] +
				[range(0; $n) | m(. + 2; 1; "0:9902"; "/d\(.)")]) } ],
		warnings: [] }'
}

# The prologue of the scripts below: a target process in a namespace of its
# own ($tpid), a tmpfs $TMP/tgt in it, $TMP/outside beside it.
TARGET='
	mkdir "$TMP/tgt" "$TMP/outside" "$TMP/out"
	mount -t tmpfs -o mode=755 tgt "$TMP/tgt"
	unshare --mount --propagation private sleep 1000000 &
	tpid=$!
	trap "kill $tpid" EXIT
	# unshare execs sleep once the namespace is made private
	while [ "$(cat /proc/$tpid/comm)" != sleep ]; do sleep 0.05; done
	# mountpoints in the target that are not at or below $TMP/tgt
	outside() {
		awk -v t="$TMP/tgt" "\$5 != t && index(\$5, t \"/\") != 1 { print \$5 }" \
			/proc/$tpid/mountinfo
	}
	outside >"$TMP/outside.before"
'

@test "lifecycle: a label that is not a plain file name pins nothing, anywhere" {
	snap 1 ../escaped >"$BATS_TEST_TMPDIR/dotdot.json"
	snap 1 "$BATS_TEST_TMPDIR/abs-pin" >"$BATS_TEST_TMPDIR/abs.json"
	run in_private_ns '
		mkdir "$TMP/out"
		cat /proc/self/mountinfo >"$TMP/before"
		for s in dotdot abs; do
			r=0
			"$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/$s.json" >/dev/null 2>"$TMP/err" || r=$?
			echo "$s-exit=$r"
			echo "$s-lines=$(wc -l <"$TMP/err")"
			sed "s/^/$s-err: /" "$TMP/err"
		done
		cat /proc/self/mountinfo | cmp "$TMP/before" - && echo unchanged
		[ -z "$(ls -A "$TMP/out")" ] && echo out-empty
		[ ! -e "$TMP/escaped" ] && echo no-escaped
		[ ! -e "$TMP/abs-pin" ] && echo no-abs-pin
		true
	'
	assert_success
	assert_line "dotdot-exit=2"
	assert_line "dotdot-lines=1"
	assert_line --regexp "^dotdot-err: mntsnap: replay: .*'\.\./escaped'"
	assert_line "abs-exit=2"
	assert_line "abs-lines=1"
	assert_line --regexp "^abs-err: mntsnap: replay: .*abs-pin'"
	assert_line unchanged
	assert_line out-empty
	assert_line no-escaped
	assert_line no-abs-pin
}

@test "lifecycle: a pin name that is a symlink in DIR is refused, not followed" {
	snap 1 >"$BATS_TEST_TMPDIR/snap.json"
	run in_private_ns '
		mkdir "$TMP/out"
		ln -s "$TMP/elsewhere" "$TMP/out/ns0"
		cat /proc/self/mountinfo >"$TMP/before"
		r=0
		"$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json" >/dev/null 2>"$TMP/err" || r=$?
		echo "exit=$r"
		sed "s/^/err: /" "$TMP/err"
		cat /proc/self/mountinfo | cmp "$TMP/before" - && echo unchanged
		[ ! -e "$TMP/elsewhere" ] && echo not-followed
		[ -L "$TMP/out/ns0" ] && echo link-kept
		true
	'
	assert_success
	assert_line "exit=2"
	assert_line --regexp "^err: mntsnap: replay: .*/out/ns0'"
	assert_line unchanged
	assert_line not-followed
	assert_line link-kept
}

# A symlink anywhere in --root is refused, even one that stays inside the
# target's tree: the target's owner can swap it.  Nothing is mounted.
@test "lifecycle: --root through a symlink is refused naming it, with -t and with --new" {
	snap 2 >"$BATS_TEST_TMPDIR/snap.json"
	run in_private_ns "$TARGET"'
		mkdir "$TMP/tgt/real"
		ln -s "$TMP/outside" "$TMP/tgt/out-link"
		ln -s real "$TMP/tgt/in-link"
		cat /proc/self/mountinfo >"$TMP/self.before"
		cat /proc/$tpid/mountinfo >"$TMP/tgt.before"
		for root in "$TMP/tgt/out-link" "$TMP/tgt/in-link" "$TMP/tgt/in-link/."; do
			name=$(basename "$(dirname "$root/x")")
			for mode in t new; do
				r=0
				if [ $mode = t ]; then
					"$MNTSNAP" replay -t $tpid --root="$root" "$TMP/snap.json" \
						>/dev/null 2>"$TMP/err" || r=$?
				else
					"$MNTSNAP" replay --mkdir --new="$TMP/out" --root="$root" "$TMP/snap.json" \
						>/dev/null 2>"$TMP/err" || r=$?
				fi
				echo "$mode-$name-exit=$r lines=$(wc -l <"$TMP/err")"
				grep -q "^mntsnap: replay: .*--root '\''$root'\''.*: a component is a symbolic link (not followed" "$TMP/err" ||
					echo "UNEXPLAINED $mode $root: $(cat "$TMP/err")"
			done
		done
		cat /proc/self/mountinfo | cmp "$TMP/self.before" - && echo self-unchanged
		cat /proc/$tpid/mountinfo | cmp "$TMP/tgt.before" - && echo target-unchanged
		[ -z "$(ls -A "$TMP/outside")" ] && echo outside-empty
		[ -z "$(ls -A "$TMP/out")" ] && echo out-empty
		true
	'
	assert_success
	assert_line "t-out-link-exit=2 lines=1"
	assert_line "new-out-link-exit=2 lines=1"
	assert_line "t-in-link-exit=2 lines=1"
	assert_line "new-in-link-exit=2 lines=1"
	refute_output --partial UNEXPLAINED
	assert_line self-unchanged
	assert_line target-unchanged
	assert_line outside-empty
	assert_line out-empty
}

# $TMP/tgt/d is a directory and a symlink to $TMP/outside in turn (renames
# in a loop) while replay grafts at --root $TMP/tgt/d again and again:
# whatever each replay does, no mount appears outside $TMP/tgt.
@test "lifecycle: --root raced by a directory/symlink swap never grafts outside" {
	snap 1 >"$BATS_TEST_TMPDIR/snap.json"
	run in_private_ns "$TARGET"'
		mkdir "$TMP/tgt/d"
		ln -s "$TMP/outside" "$TMP/tgt/s"
		(
			cd "$TMP/tgt"
			for i in $(seq 20000); do
				[ -e "$TMP/stop" ] && break
				mv -T d x && mv -T s d && mv -T d s && mv -T x d
			done
		) &
		swapper=$!
		declare -A seen
		for i in $(seq 40); do
			r=0
			"$MNTSNAP" replay -t $tpid --root="$TMP/tgt/d" --no-verify "$TMP/snap.json" \
				>/dev/null 2>&1 || r=$?
			seen[t$r]=1
			rm -rf "$TMP/out"
			r=0
			"$MNTSNAP" replay --mkdir --new="$TMP/out" --root="$TMP/tgt/d" --no-verify \
				"$TMP/snap.json" >/dev/null 2>&1 || r=$?
			seen[new$r]=1
			if [ -e "$TMP/out/ns0" ]; then
				# the new namespace is a copy of ours: what it has that we do not
				nsenter --mount="$TMP/out/ns0" awk "{ print \$5 }" /proc/self/mountinfo |
					sort >"$TMP/new.mp"
				awk "{ print \$5 }" /proc/self/mountinfo | sort >"$TMP/self.mp"
				comm -13 "$TMP/self.mp" "$TMP/new.mp" | while read -r mp; do
					case $mp in
					"$TMP/tgt" | "$TMP/tgt"/*) ;;
					*) echo "OUTSIDE (--new): $mp" ;;
					esac
				done
				umount "$TMP/out/ns0"
			fi
		done
		touch "$TMP/stop"
		wait $swapper
		outside | cmp "$TMP/outside.before" - >/dev/null || {
			echo "OUTSIDE (-t):"
			outside | comm -13 "$TMP/outside.before" -
		}
		[ -z "$(ls -A "$TMP/outside")" ] && echo outside-empty
		echo "exits: ${!seen[*]}"
	'
	assert_success
	refute_output --partial OUTSIDE
	assert_line outside-empty
	refute_line --regexp "^exits: .*(t|new)[^02 ]"
}

# interrupt SIGNAL MODE: a replay of 10,000 mounts (--new, or -t with
# --root) gets SIGNAL as soon as its executor is there.  Prints the exit
# status, the error, whether the executor was gone within 20 s, and
# whether anything is left: pins in DIR, mounts in the caller or the target.
interrupt() {
	snap 10000 >"$BATS_TEST_TMPDIR/snap.json"
	in_private_ns "$TARGET"'
		sig=$1 mode=$2
		cat /proc/self/mountinfo >"$TMP/self.before"
		cat /proc/$tpid/mountinfo >"$TMP/tgt.before"
		# a background job of a script starts with SIGINT ignored
		if [ "$mode" = new ]; then
			env --default-signal=INT "$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json" \
				>/dev/null 2>"$TMP/err" &
		else
			env --default-signal=INT "$MNTSNAP" replay -t $tpid --root="$TMP/tgt" \
				"$TMP/snap.json" >/dev/null 2>"$TMP/err" &
		fi
		pid=$!
		child=
		for i in $(seq 2000); do
			read -r child _ </proc/$pid/task/$pid/children || true
			[ -n "$child" ] && break
			sleep 0.005
		done
		[ -n "$child" ] || echo "NO EXECUTOR SEEN"
		kill -s "$sig" $pid
		r=0
		wait $pid || r=$?
		echo "exit=$r"
		sed "s/^/err: /" "$TMP/err"
		echo "err-lines=$(wc -l <"$TMP/err")"
		for i in $(seq 200); do
			[[ -n $child && -d /proc/$child ]] || break
			sleep 0.1
		done
		if [[ -n $child && -d /proc/$child ]]; then echo "EXECUTOR STILL THERE"; fi
		[ -z "$(ls -A "$TMP/out")" ] && echo no-pin
		ls -A "$TMP/out" | sed "s/^/left in DIR: /"
		cat /proc/self/mountinfo | cmp "$TMP/self.before" - && echo self-unchanged
		cat /proc/$tpid/mountinfo | cmp "$TMP/tgt.before" - && echo target-unchanged
		[ -z "$(ls -A "$TMP/tgt")" ] && echo tgt-empty
		true
	' "$@"
}

@test "lifecycle: SIGTERM during replay --new undoes it and exits 2" {
	run interrupt TERM new
	assert_success
	assert_line "exit=2"
	assert_line "err: mntsnap: replay: interrupted by SIGTERM: everything replayed was undone"
	assert_line "err-lines=1"
	refute_output --partial "EXECUTOR"
	assert_line no-pin
	assert_line self-unchanged
}

@test "lifecycle: SIGINT during replay --new undoes it and exits 2" {
	run interrupt INT new
	assert_success
	assert_line "exit=2"
	assert_line "err: mntsnap: replay: interrupted by SIGINT: everything replayed was undone"
	refute_output --partial "EXECUTOR"
	assert_line no-pin
	assert_line self-unchanged
}

@test "lifecycle: SIGTERM during replay -t --root undoes the graft and exits 2" {
	run interrupt TERM t
	assert_success
	assert_line "exit=2"
	assert_line "err: mntsnap: replay: interrupted by SIGTERM: everything replayed was undone"
	refute_output --partial "EXECUTOR"
	assert_line self-unchanged
	assert_line target-unchanged
	assert_line tgt-empty
}

@test "lifecycle: SIGKILL of mntsnap during replay --new: the executor undoes and goes" {
	run interrupt KILL new
	assert_success
	assert_line "exit=137"
	refute_output --partial "EXECUTOR"
	assert_line no-pin
	assert_line self-unchanged
}

@test "lifecycle: SIGKILL of mntsnap during replay -t --root: the graft is undone" {
	run interrupt KILL t
	assert_success
	assert_line "exit=137"
	refute_output --partial "EXECUTOR"
	assert_line target-unchanged
	assert_line tgt-empty
}

# Status 2 promises an unchanged target; a replay that succeeded but could
# not be verified is kept, and says so with status 3.
@test "lifecycle: replayed but not verified exits 3, names the verification and keeps the pins" {
	snap 2 >"$BATS_TEST_TMPDIR/snap.json"
	run in_private_ns '
		r=0
		MNTSNAP_FAIL_VERIFY=1 "$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json" \
			>/dev/null 2>"$TMP/err" || r=$?
		echo "exit=$r"
		sed "s/^/err: /" "$TMP/err"
		echo "err-lines=$(wc -l <"$TMP/err")"
		grep -q " $TMP/out/ns0 .* nsfs " /proc/self/mountinfo && echo pinned
		"$MNTSNAP" diff "$TMP/snap.json" <("$MNTSNAP" capture -m "$TMP/out/ns0") &&
			echo same-layout
		true
	'
	assert_success
	assert_line "exit=3"
	assert_line --regexp "^err: mntsnap: replay: verification \(the replay itself succeeded\): "
	assert_line "err-lines=1"
	assert_line pinned
	assert_line same-layout
}

# capture -o of a 50,000-mount mountinfo killed at moments spread over its
# run: the directory holds the input and at most a whole output, never a
# temporary file.
@test "lifecycle: capture -o killed with SIGKILL leaves no temporary file" {
	local d=$BATS_TEST_TMPDIR/w
	mkdir "$d"
	awk 'BEGIN { print "1 0 0:1 / / rw - tmpfs t rw"
		for (i = 2; i <= 50000; i++)
			printf "%d 1 0:%d / /m%d rw,relatime shared:%d - tmpfs src%d rw,size=1024k\n", i, i, i, i, i }' \
		>"$BATS_TEST_TMPDIR/mi"
	local t0 t1 ms
	t0=$(date +%s%N)
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/mi" -o "$d/snap.json"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	rm "$d/snap.json"
	local k pid left=
	for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
		"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/mi" -o "$d/snap.json" &
		pid=$!
		sleep "$(awk -v ms="$ms" -v k="$k" 'BEGIN { printf "%.3f", ms * k / 12000 }')"
		kill -9 $pid 2>/dev/null || true
		wait $pid || true
		left+=$(ls -A "$d" | grep -vx snap.json || true)
	done
	assert_equal "$left" ""
}

@test "lifecycle: capture -o removes the temporary files of runs that died" {
	local d=$BATS_TEST_TMPDIR/w
	mkdir "$d"
	# a pid that is no process, and one that is (this shell)
	: >"$d/.snap.json.mntsnap-tmp-2147483647-0"
	: >"$d/.snap.json.mntsnap-tmp-$$-0"
	run "$MNTSNAP" capture -F "$FIXTURES/mountinfo/$(ls "$FIXTURES/mountinfo" | head -1)" -o "$d/snap.json"
	assert_success
	run ls -A "$d"
	assert_output ".snap.json.mntsnap-tmp-$$-0
snap.json"
}

# SIGTERM at moments spread over a whole replay (verification included):
# each run either undid everything and exited 2, or kept the replay and
# exited 0, or was killed before it changed anything; never a pin left by a
# run that did not exit 0.
@test "lifecycle: SIGTERM at any moment of a replay: all undone (2) or all kept (0)" {
	snap 10000 >"$BATS_TEST_TMPDIR/snap.json"
	run in_private_ns '
		mkdir "$TMP/out"
		cat /proc/self/mountinfo >"$TMP/before"
		t0=$(date +%s%N)
		"$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json" >/dev/null
		ms=$((($(date +%s%N) - t0) / 1000000))
		umount "$TMP/out/ns0"
		rm "$TMP/out/ns0"
		for k in $(seq 1 10); do
			"$MNTSNAP" replay --mkdir --new="$TMP/out" "$TMP/snap.json" >/dev/null 2>"$TMP/err" &
			pid=$!
			sleep "$(awk -v ms="$ms" -v k="$k" "BEGIN { printf \"%.3f\", ms * k / 10000 }")"
			kill -TERM $pid 2>/dev/null || true
			r=0
			wait $pid || r=$?
			pinned=no
			[ -e "$TMP/out/ns0" ] && pinned=yes
			echo "k=$k exit=$r pinned=$pinned $(cat "$TMP/err")"
			if [ $pinned = yes ]; then
				[ $r = 0 ] || echo "HALF: exit $r with a pin"
				umount "$TMP/out/ns0"
				rm "$TMP/out/ns0"
			elif [ $r = 0 ]; then
				echo "HALF: exit 0 without a pin"
			fi
			cat /proc/self/mountinfo | cmp -s "$TMP/before" - || echo "CHANGED after k=$k"
		done
	'
	assert_success
	refute_output --partial HALF
	refute_output --partial CHANGED
}

#!/usr/bin/env bats
# Smoke tests for `mntsnap replay` (the round-trip suite is replay_*.bats).
# Each test builds a small layout in its own private mount namespace,
# snapshots that namespace and replays it.

load test_helper

# snapshot_self OUT: a snapshot of the calling shell's mount namespace.  Uses
# `mntsnap capture` when it works, else converts /proc/self/mountinfo into the
# snapshot format (lib/json/snapjson.c) so these tests do not depend on capture.
snapshot_self() {
	if "$MNTSNAP" capture -p $$ -o "$1" 2>/dev/null; then
		return 0
	fi
	python3 - /proc/self/mountinfo >"$1" <<'PY'
import json, re, sys
def unesc(s):
    return re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), s)
ms = []
for line in open(sys.argv[1]).read().splitlines():
    f = line.split(' ')
    i = f.index('-')
    m = dict(id=int(f[0]), mnt_id=int(f[0]), parent=int(f[1]), dev=f[2], root=unesc(f[3]),
             mountpoint=unesc(f[4]), mount_options=f[5].split(','), fstype=f[i + 1],
             source=unesc(f[i + 2]) or 'none', super_options=[unesc(x) for x in f[i + 3].split(',')],
             shared_id=0, master_id=0, propagate_from=0, unbindable=False, deleted=False,
             nsfs=None, idmap=None)
    for o in f[6:i]:
        k, _, v = o.partition(':')
        if k == 'shared': m['shared_id'] = int(v)
        if k == 'master': m['master_id'] = int(v)
        if k == 'propagate_from': m['propagate_from'] = int(v)
        if k == 'unbindable': m['unbindable'] = True
    if m['fstype'] == 'nsfs':
        t, ino = re.match(r'(\w+):\[(\d+)\]', m['root']).groups()
        m['nsfs'] = dict(type=t, ino=int(ino), ns=None)
        m['root'] = '/'
    ms.append(m)
ids = {m['id'] for m in ms}
root = None
for m in ms:
    if m['parent'] not in ids:
        m['parent'] = None
        root = m['id']
ns = dict(label='ns0', mnt_ns_id=None, ns_ino=None, owner_userns_ino=None, pids=[],
          nsfs_paths=[], root_mount=root, mounts=ms)
json.dump(dict(format='mntsnap', format_version=1, tool=dict(name='mntsnap', version='test'),
               created=None, host=dict(kernel=None, arch=None, hostname=None),
               capture=dict(method='mountinfo', subtree=None, selection='pid'),
               namespaces=[ns], warnings=[]), sys.stdout, indent=1)
PY
}
export -f snapshot_self

# The layout: a tmpfs W with a shared tmpfs A, a peer C of A, a slave S of
# A, a bind B of A/x, a file bind F, two tmpfs stacked at D, a read-only E.
build_layout='
	W=$TMP/w
	mkdir -p $W
	mount -t tmpfs -o size=1m wsrc $W
	mkdir -p $W/a $W/b $W/c $W/s $W/d $W/e
	touch $W/f
	mount -t tmpfs -o size=2m,mode=700 asrc $W/a
	mkdir $W/a/x
	echo hello >$W/a/x/file
	mount --bind $W/a/x $W/b
	mount --bind $W/a/x/file $W/f
	mount --make-shared $W/a
	mount --bind $W/a $W/c
	mount --bind $W/a $W/s
	mount --make-slave $W/s
	mount -t tmpfs lower $W/d
	mount -t tmpfs upper $W/d
	mount -t tmpfs -o ro,noexec esrc $W/e
'
export build_layout

# propagation structure under $TMP/w, group numbers replaced by letters in
# order of appearance: "mountpoint fields..." per line
structure() {
	awk -v w="$2" '$5 ~ "^" w { out = $5 " " $6; for (i = 7; $i != "-"; i++) {
		split($i, kv, ":"); if (kv[2] != "") { if (!(kv[2] in g)) g[kv[2]] = sprintf("G%d", ++n)
		out = out " " kv[1] ":" g[kv[2]] } else out = out " " $i }
		print out " " $(i + 1) " " $(i + 2) }' "$1"
}
export -f structure

@test "replay --new rebuilds mounts, flags, stacking and propagation" {
	require_root
	in_private_ns "$build_layout"'
		snapshot_self $TMP/snap.json
		cat /proc/self/mountinfo >$TMP/before
		"$MNTSNAP" replay --no-verify --mkdir --new=$TMP/out $TMP/snap.json
		nsenter --mount=$TMP/out/ns0 cat /proc/self/mountinfo >$TMP/after
		structure $TMP/before $TMP/w >$TMP/want
		structure $TMP/after $TMP/w >$TMP/got
		diff -u $TMP/want $TMP/got
		# the caller gained only the pin
		diff <(cat $TMP/before) <(grep -v " $TMP/out/ns0 " /proc/self/mountinfo)
		grep -q " $TMP/out/ns0 .* - nsfs " /proc/self/mountinfo
		# the same superblocks: content is shared with the original
		[ "$(nsenter --mount=$TMP/out/ns0 cat $TMP/w/f)" = hello ]
	'
	# what the structure must contain, spelled out (with the bats helpers
	# mntsnap installs for its users)
	run --separate-stderr in_private_ns "$build_layout"'
		source "$TOP/share/mntsnap/bats/mntsnap.bash"
		snapshot_self $TMP/snap.json
		"$MNTSNAP" replay --no-verify --mkdir --new=$TMP/out2 $TMP/snap.json
		assert_mount_layout --target ns:$TMP/out2/ns0 <<-EOF
			$W tmpfs source=wsrc private exact
			  a tmpfs source=asrc opts=rw,relatime shared:a sbopts=rw,size=2048k,mode=700
			  b source=asrc bind root=/x
			  c source=asrc opts=rw,relatime shared:a
			  s source=asrc opts=rw,relatime slave:a
			  f source=asrc bind root=/x/file
			  d tmpfs source=lower
			  d tmpfs source=upper
			  e tmpfs source=esrc opts=ro,noexec,relatime
		EOF
		assert_peers --target ns:$TMP/out2/ns0 $W/a $W/c
		assert_slave_of --target ns:$TMP/out2/ns0 $W/s $W/c
		assert_mount --target ns:$TMP/out2/ns0 $W/d source=upper'
	assert_success
	assert_equal "$stderr" ""
}

@test "replay --fresh creates new superblocks with the snapshot's options" {
	require_root
	run in_private_ns "$build_layout"'
		snapshot_self $TMP/snap.json
		"$MNTSNAP" replay --fresh --no-verify --mkdir --new=$TMP/out $TMP/snap.json
		nsenter --mount=$TMP/out/ns0 cat /proc/self/mountinfo >$TMP/after
		echo "old $(awk -v p=$TMP/w/a "\$5 == p { print \$3 }" /proc/self/mountinfo)"
		echo "new $(awk -v p=$TMP/w/a "\$5 == p { print \$3 }" $TMP/after)"
		awk -v p=$TMP/w/a "\$5 == p { print \$NF }" $TMP/after
		nsenter --mount=$TMP/out/ns0 grep -qs hello $TMP/w/a/x/file || echo empty'
	assert_success
	old=$(sed -n 's/^old //p' <<<"$output")
	new=$(sed -n 's/^new //p' <<<"$output")
	[ -n "$old" ]
	[ -n "$new" ]
	[ "$old" != "$new" ]
	assert_line "rw,size=2048k,mode=700"
	assert_line empty
}

@test "replay --dry-run prints numbered steps and changes nothing" {
	require_root
	run in_private_ns "$build_layout"'
		snapshot_self $TMP/snap.json
		cat /proc/self/mountinfo >$TMP/before
		"$MNTSNAP" replay --dry-run --mkdir --new=$TMP/out $TMP/snap.json
		diff $TMP/before /proc/self/mountinfo
		[ ! -e $TMP/out ]'
	assert_success
	assert_line --index 0 "1 create mount namespace for 'ns0'"
	assert_line --regexp "^[0-9]+ attach 'ns0:$BATS_TEST_TMPDIR/w/a' onto 'ns0:$BATS_TEST_TMPDIR/w'$"
	assert_line --regexp "^[0-9]+ join 'ns0:$BATS_TEST_TMPDIR/w/c' to peer group [0-9]+$"
	assert_line --regexp "^[0-9]+ pin 'ns0' at '$BATS_TEST_TMPDIR/out/ns0'$"
}

@test "replay of a snapshot with a dangling parent fails before touching anything" {
	require_root
	run in_private_ns "$build_layout"'
		snapshot_self $TMP/snap.json
		python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
m = d[\"namespaces\"][0][\"mounts\"][-1]
m[\"parent\"] = 999999999
print(m[\"id\"])
json.dump(d, open(sys.argv[1], \"w\"))" $TMP/snap.json
		cat /proc/self/mountinfo >$TMP/before
		rc=0; "$MNTSNAP" replay --no-verify --mkdir --new=$TMP/out $TMP/snap.json || rc=$?
		diff $TMP/before /proc/self/mountinfo
		[ ! -e $TMP/out/ns0 ]
		exit $rc'
	assert_failure 2
	assert_output --regexp "^[0-9]+
mntsnap: replay: .*parent 999999999: no such mount in the namespace$"
}

@test "MNTSNAP_FAIL_AT_STEP at every step leaves the caller's mountinfo unchanged" {
	require_root
	run in_private_ns "$build_layout"'
		snapshot_self $TMP/snap.json
		n=$("$MNTSNAP" replay -n --mkdir --new=$TMP/out $TMP/snap.json | wc -l)
		echo "steps $n"
		cat /proc/self/mountinfo >$TMP/before
		for i in $(seq 1 $n); do
			rc=0
			MNTSNAP_FAIL_AT_STEP=$i "$MNTSNAP" replay --no-verify --mkdir --new=$TMP/out \
				$TMP/snap.json 2>$TMP/err || rc=$?
			[ $rc = 2 ] || { echo "step $i: exit $rc"; exit 1; }
			grep -q "^mntsnap: replay: step $i, .*: fault injected (MNTSNAP_FAIL_AT_STEP=$i)$" $TMP/err ||
				{ cat $TMP/err; exit 1; }
			diff $TMP/before /proc/self/mountinfo || { echo "step $i changed mountinfo"; exit 1; }
			[ ! -e $TMP/out ] || { echo "step $i left $TMP/out"; exit 1; }
		done'
	assert_success
	assert_line --regexp "^steps [0-9]+$"
}

@test "unresolvable sources are all named, one line each" {
	require_root
	run in_private_ns "$build_layout"'
		snapshot_self $TMP/snap.json
		python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
ms = d[\"namespaces\"][0][\"mounts\"]
for m, mp in ((ms[-2], \"/gone/one\"), (ms[-1], \"/gone/two\")):
    m.update(dev=\"8:250\", fstype=\"xfs\", mountpoint=sys.argv[2] + mp, root=\"/\",
             shared_id=0, master_id=0, parent=ms[0][\"id\"])
json.dump(d, open(sys.argv[1], \"w\"))" $TMP/snap.json $TMP
		cat /proc/self/mountinfo >$TMP/before
		rc=0; "$MNTSNAP" replay --no-verify --mkdir --new=$TMP/out $TMP/snap.json || rc=$?
		diff $TMP/before /proc/self/mountinfo
		exit $rc'
	assert_failure 2
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp "^mntsnap: replay: 'ns0:$BATS_TEST_TMPDIR/gone/one' \(xfs 8:250\): no live mount "
	assert_line --index 1 --regexp "^mntsnap: replay: 'ns0:$BATS_TEST_TMPDIR/gone/two' \(xfs 8:250\): no live mount "
}

@test "replay --new refuses a DIR on a shared mount" {
	require_root
	run in_private_ns "$build_layout"'
		snapshot_self $TMP/snap.json
		mkdir $TMP/pins
		mount -t tmpfs pins $TMP/pins
		mount --make-shared $TMP/pins
		cat /proc/self/mountinfo >$TMP/before
		rc=0; "$MNTSNAP" replay --no-verify --mkdir --new=$TMP/pins $TMP/snap.json || rc=$?
		diff $TMP/before /proc/self/mountinfo
		[ -z "$(ls $TMP/pins)" ]
		exit $rc'
	assert_failure 2
	assert_output --regexp "^mntsnap: replay: --new '$BATS_TEST_TMPDIR/pins': is on a shared mount \(peer group [0-9]+ of '$BATS_TEST_TMPDIR/pins'\): the pins would propagate to its peers; mount --bind $BATS_TEST_TMPDIR/pins $BATS_TEST_TMPDIR/pins && mount --make-private $BATS_TEST_TMPDIR/pins first\$"
}

@test "replay verifies: 0 when identical, 1 and the difference when not" {
	require_root
	"$MNTSNAP" capture -p $$ -o /dev/null 2>/dev/null || skip "capture not in this build"
	run in_private_ns "$build_layout"'
		"$MNTSNAP" capture -p $$ -o $TMP/snap.json
		"$MNTSNAP" replay --mkdir --new=$TMP/out $TMP/snap.json
		echo "identical rc=$?"
		# a slave whose master group is not in the snapshot cannot be a slave
		python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
for m in d[\"namespaces\"][0][\"mounts\"]:
    if m[\"mountpoint\"] == sys.argv[2]:
        m[\"master_id\"] = 987654
json.dump(d, open(sys.argv[1], \"w\"))" $TMP/snap.json $TMP/w/s
		rc=0; "$MNTSNAP" replay --mkdir --new=$TMP/out2 $TMP/snap.json || rc=$?
		echo "different rc=$rc"'
	assert_success
	assert_line "identical rc=0"
	assert_line "different rc=1"
	assert_line --partial "master group 987654 has no member in the replay: replayed private"
	assert_line --regexp "$BATS_TEST_TMPDIR/w/s.*master"
}

# Replay reads the caller's live mounts (where reused superblocks are cloned
# from) with listmount+statmount, or from mountinfo with libmount when the
# kernel cannot list them.  Both must give the same table, reachability
# included, on a layout that has every case the table decides: overmounts,
# a mount tucked under another, unbindable, propagated and slave copies,
# file binds and a name with a space.  Then a replay with each reader
# rebuilds the layout (diff says same).
@test "the live mounts read by statmount and from mountinfo are the same table" {
	run in_private_ns '
		source "$TOP/tests/bats/layouts.bash"
		d=$TMP/live
		mkdir -p "$d"
		mount -t tmpfs -o mode=755 live "$d"
		layout_overmount "$d"
		layout_tucked "$d"
		layout_unbindable "$d"
		mkdir "$d/prop" "$d/with space"
		layout_propagated "$d/prop"
		layout_file_bind "$d/prop/s/y"
		mount -t tmpfs -o mode=755 spaced "$d/with space"
		"$MNTSNAP" capture -p $$ --subtree "$d" -o "$TMP/snap.json"
		table() {
			"$MNTSNAP" -vvv replay --dry-run --mkdir --new="$TMP/none" "$TMP/snap.json" 2>&1 >/dev/null |
				grep "^mntsnap: live mount " |
				sed "s/^\(mntsnap: live mount [0-9]* parent\) [0-9]* \(.* at \/ \)/\1 - \2/"
		}
		# the whole table (a snapshot of a few superblocks may have
		# them looked up by id: replay_livetable.bats)
		MNTSNAP_LIVE_TABLE=statmount table >"$TMP/by-statmount"
		MNTSNAP_LIVE_TABLE=mountinfo table >"$TMP/by-mountinfo"
		MNTSNAP_LIVE_TABLE=statmount "$MNTSNAP" -vvv replay --dry-run --mkdir --new="$TMP/none" \
			"$TMP/snap.json" 2>&1 | grep "^mntsnap: live mounts (statmount)"
		diff -u "$TMP/by-mountinfo" "$TMP/by-statmount"
		# the table has its cases: covered and tucked mounts are not
		# reachable; the unescaped name is
		echo "unreachable=$(grep -c "reachable: no" "$TMP/by-statmount")"
		echo "spaced=$(grep -c " at $d/with space tmpfs reachable: yes" "$TMP/by-statmount")"
		for reader in statmount mountinfo; do
			mkdir "$TMP/out-$reader"
			MNTSNAP_LIVE_TABLE=$reader "$MNTSNAP" replay --mkdir --new="$TMP/out-$reader" \
				"$TMP/snap.json"
			"$MNTSNAP" capture --mount="$TMP/out-$reader/ns0" -o "$TMP/after.json"
			"$MNTSNAP" diff "$TMP/snap.json" "$TMP/after.json" && echo "$reader: same"
		done
	'
	assert_success
	assert_line --regexp "^mntsnap: live mounts \(statmount\): [0-9]+$"
	assert_line --regexp "^unreachable=([5-9]|[1-9][0-9])$"
	assert_line "spaced=1"
	assert_line "statmount: same"
	assert_line "mountinfo: same"
}

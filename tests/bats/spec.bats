#!/usr/bin/env bats
# spec/: the schema is a real JSON Schema, the examples satisfy it and load in
# mntsnap, the invalid snapshots are refused with an error naming the item,
# fresh captures satisfy the schema, and capture is deterministic.

load test_helper

SPEC="$BATS_TEST_DIRNAME/../../spec"

# Expected error (a substring of the one stderr line) for each spec/invalid
# file, and whether the schema alone can see the problem ("schema") or only
# mntsnap's semantic checks can ("semantic").
declare -gA INVALID_ERROR=(
	[bad-format-version]="format_version 4: unsupported (this mntsnap reads 1 to 3)"
	[cycle]="namespace 'ns0' mount 4: parent: cycle"
	[dangling-parent]="namespace 'ns0' mount 3: parent 99: no such mount in the namespace"
	[duplicate-id]="namespace 'ns0': mount id 2 appears twice"
	[duplicate-label]="namespace 'ns0': label: appears twice"
	[group-two-superblocks]="namespace 'ns0' mount 3: dev 0:57: its peer 2 in group 5 is on another superblock"
	[master-cycle]="peer group 7: master_id 8: cycle in the master graph"
	[relative-mountpoint]="namespace 'ns0' mount 2: mountpoint 'tmp': not an absolute normalised path"
	[sibling-mountpoint]="namespace 'ns0' mount 3: mountpoint '/tmp': also that of its sibling 2"
	[unknown-key]="propagation"
	[bad-label]="namespace #0: label '../escaped': not a valid label"
	[long-component]="namespace 'ns0' mount 3: mountpoint: component 2 is 256 bytes, longer than NAME_MAX (255)"
	[long-path]="namespace 'ns0' mount 3: mountpoint: 4225 bytes, longer than PATH_MAX"
	[mountpoint-outside-parent]="namespace 'ns0' mount 3: mountpoint '/tmpa': not at or below that of its parent 2 ('/tmp')"
	[pin-unknown-holder]="namespace 'ns0': nsfs_paths[0]: ns 'ns7': no such namespace in the snapshot"
	[pin-unnormalised-path]="namespace 'ns0': nsfs_paths[0]: path '/tmp/../run': not an absolute normalised path"
	[propagate-from-without-master]="namespace 'ns0' mount 3: propagate_from 5: set on a mount that is not a slave"
	[bad-capture-method]="capture.method 'statx': not one of its values"
	[bad-capture-selection]="capture.selection 'everything': not one of its values"
	[unknown-mount-option]="namespace 'ns0' mount 2147484648: mount_options: 'nolazytime': not a per-mount option"
	[nsfs-on-tmpfs]="namespace 'ns0' mount 2147484648: nsfs: set on a mount whose fstype 'tmpfs' is not nsfs"
	[nsfs-ns-not-mnt]="namespace 'ns0' mount 2147484754: nsfs.ns 'ns1': set for a 'net' namespace"
	[pin-missing]="namespace 'ns0' mount 2147484754: nsfs.ns 'ns1': the pin is missing from that namespace's nsfs_paths"
	[pin-no-nsfs-mount]="namespace 'ns1': nsfs_paths[1]: path '/run/ns2': no nsfs mount of this namespace there in 'ns0'"
	[locked-unknown-mount]="namespace 'ns0': owner_userns.locked[1]: no mount 99"
)
declare -gA INVALID_KIND=(
	[bad-format-version]=schema [cycle]=semantic [dangling-parent]=semantic
	[duplicate-id]=semantic [duplicate-label]=semantic [group-two-superblocks]=semantic
	[master-cycle]=semantic [relative-mountpoint]=schema [sibling-mountpoint]=semantic
	[unknown-key]=schema [bad-label]=schema [long-component]=schema [long-path]=schema
	[mountpoint-outside-parent]=semantic [pin-unknown-holder]=semantic
	[pin-unnormalised-path]=schema [propagate-from-without-master]=semantic
	[bad-capture-method]=schema [bad-capture-selection]=schema [unknown-mount-option]=schema
	[nsfs-on-tmpfs]=semantic [nsfs-ns-not-mnt]=semantic [pin-missing]=semantic
	[pin-no-nsfs-mount]=semantic [locked-unknown-mount]=semantic
)

setup_file() {
	# Debian's python3-jsonschema (make deps) is the reference validator; use
	# whichever python3 has the module, preferring the system one.
	local py
	for py in /usr/bin/python3 python3; do
		if "$py" -c 'import jsonschema' 2>/dev/null; then
			export SPEC_PYTHON=$py
			break
		fi
	done
	export VALIDATE="$BATS_FILE_TMPDIR/validate.py"
	cat >"$VALIDATE" <<'EOF'
"""validate.py SCHEMA FILE...: exit 0 when every FILE satisfies SCHEMA,
1 otherwise, printing each violation as FILE: /json/path: message."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
status = 0
for name in sys.argv[2:]:
    doc = json.load(open(name))
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        print(f"{name}: /{'/'.join(map(str, e.absolute_path))}: {e.message}")
        status = 1
sys.exit(status)
EOF
	export CANON="$BATS_FILE_TMPDIR/canon.py"
	cat >"$CANON" <<'EOF'
"""canon.py FILE: exit 0 when FILE is byte for byte the canonical form of its
own content: keys sorted, 2-space indentation, UTF-8, one final newline."""
import json
import sys

raw = open(sys.argv[1], encoding="utf-8").read()
canon = json.dumps(json.loads(raw), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
if raw != canon:
    for i, (a, b) in enumerate(zip(raw.splitlines(), canon.splitlines())):
        if a != b:
            print(f"{sys.argv[1]}:{i + 1}: {a!r} != canonical {b!r}")
            break
    sys.exit(1)
EOF
}

need_python() {
	[ -n "${SPEC_PYTHON:-}" ] || skip "python3-jsonschema not installed (make deps)"
}

validate() {
	"$SPEC_PYTHON" "$VALIDATE" "$SPEC/mntsnap.schema.json" "$@"
}

@test "the schema is a valid draft 2020-12 JSON Schema" {
	need_python
	run "$SPEC_PYTHON" -c '
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema", s["$schema"]
jsonschema.Draft202012Validator.check_schema(s)' "$SPEC/mntsnap.schema.json"
	assert_success
}

@test "the examples the spec promises exist" {
	local f
	for f in inverse-chain group-tree lxd-seed003; do
		[ -s "$SPEC/examples/$f.json" ] || {
			echo "missing spec/examples/$f.json" >&2
			return 1
		}
	done
}

@test "every example satisfies the schema" {
	need_python
	run validate "$SPEC"/examples/*.json
	assert_success
	assert_output ""
}

@test "every example is in canonical form (sorted keys, 2-space indent)" {
	need_python
	local f
	for f in "$SPEC"/examples/*.json; do
		"$SPEC_PYTHON" "$CANON" "$f"
	done
}

@test "every example loads in mntsnap: diff X X exits 0 and prints nothing" {
	local f
	for f in "$SPEC"/examples/*.json; do
		run --separate-stderr "$MNTSNAP" diff "$f" "$f"
		[ "$status" -eq 0 ] || {
			echo "$f: diff exit $status: $stderr" >&2
			return 1
		}
		assert_equal "$output" ""
		assert_equal "$stderr" ""
	done
}

@test "inverse-chain.json is seed 000: groups (0,3),(3,2),(2,1),(1,0) down one chain" {
	run jq -r '.namespaces[0] as $ns | $ns.mounts[] | select(.mountpoint | startswith("/tmp"))
		| "\(.mountpoint) (\(.shared_id),\(.master_id)) parent=\(.parent as $p | $ns.mounts[] | select(.id == $p) | .mountpoint)"' \
		"$SPEC/examples/inverse-chain.json"
	assert_success
	assert_output "$(printf '%s\n' '/tmp (0,3) parent=/' '/tmp/sub (3,2) parent=/tmp' \
		'/tmp/sub/sub (2,1) parent=/tmp/sub' '/tmp/sub/sub/sub (1,0) parent=/tmp/sub/sub')"
}

@test "group-tree.json is seed 001: (1,0)->(2,1),(3,1)->(4,3)->(0,4), stacked on /tmp in reverse" {
	# the master edges between groups, over both namespaces
	run jq -r '[.namespaces[].mounts[] | select(.shared_id != 0 or .master_id != 0)
		| "(\(.shared_id),\(.master_id))"] | unique | join(" ")' "$SPEC/examples/group-tree.json"
	assert_output "(0,4) (1,0) (2,1) (3,1) (4,3)"
	# ns0's stack on /tmp, bottom to top, by following parents
	run jq -r '.namespaces[0].mounts as $m | [$m[] | select(.mountpoint == "/tmp")]
		| sort_by(.id) | map("(\(.shared_id),\(.master_id))") | join(" ")' \
		"$SPEC/examples/group-tree.json"
	assert_output "(0,4) (4,3) (3,1) (1,0)"
	run jq -r '.namespaces[0].mounts as $m | [$m[] | select(.mountpoint == "/tmp")]
		| sort_by(.id) | [.[1:][] | .parent] == [.[:-1][] | .id]' "$SPEC/examples/group-tree.json"
	assert_output true
}

@test "every invalid snapshot has an expected error in this file" {
	local f base
	for f in "$SPEC"/invalid/*.json; do
		base=$(basename "$f" .json)
		[ -n "${INVALID_ERROR[$base]:-}" ] || {
			echo "no expected error for spec/invalid/$base.json" >&2
			return 1
		}
	done
	# and every expectation has its file
	for base in "${!INVALID_ERROR[@]}"; do
		[ -f "$SPEC/invalid/$base.json" ]
	done
}

@test "invalid snapshots: diff bad bad exits 2 with one line naming the file and the item" {
	local f base
	for f in "$SPEC"/invalid/*.json; do
		base=$(basename "$f" .json)
		run --separate-stderr "$MNTSNAP" diff "$f" "$f"
		[ "$status" -eq 2 ] || {
			echo "$base: exit $status, expected 2" >&2
			return 1
		}
		assert_equal "$output" ""
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || {
			echo "$base: more than one line: $stderr" >&2
			return 1
		}
		[[ "$stderr" == "mntsnap: diff: "*"$f"* ]] || {
			echo "$base: not 'mntsnap: diff: ... $f ...': $stderr" >&2
			return 1
		}
		[[ "$stderr" == *"${INVALID_ERROR[$base]}"* ]] || {
			echo "$base: '$stderr' lacks '${INVALID_ERROR[$base]}'" >&2
			return 1
		}
	done
}

@test "invalid snapshots the schema can see fail it; the others are well-formed" {
	need_python
	local f base
	for f in "$SPEC"/invalid/*.json; do
		base=$(basename "$f" .json)
		run validate "$f"
		case "${INVALID_KIND[$base]}" in
		schema) assert_failure 1 ;;
		# each file breaks exactly one cross-reference rule, nothing else
		semantic) assert_success ;;
		*) false ;;
		esac
	done
}

# Builds a layout with shared, slave, shared+slave, unbindable, bind of a
# subdirectory, a stack, an overmount and an nsfs mount under $TMP/t, in the
# current (private) namespace.  Used inside in_private_ns scripts.
LAYOUT='
	t=$TMP/t
	mkdir -p "$t"
	mount -t tmpfs spec-top "$t"
	mkdir -p "$t"/{a,b,c,d,u,stack,over/inner,data/sub}
	mount -t tmpfs spec-a "$t/a" && mount --make-shared "$t/a"
	mount --bind "$t/a" "$t/b" && mount --make-slave "$t/b"
	mount --bind "$t/a" "$t/c" && mount --make-slave "$t/c" && mount --make-shared "$t/c"
	mount -t tmpfs spec-u "$t/u" && mount --make-unbindable "$t/u"
	mount --bind "$t/data/sub" "$t/d"
	mount -t tmpfs -o size=1m,mode=700 "spec with space" "$t/stack"
	mount -t tmpfs -o ro spec-stack2 "$t/stack"
	mount -t tmpfs spec-inner "$t/over/inner"
	mount -t tmpfs spec-over "$t/over"
	touch "$t/netns"
	mount --bind /proc/self/ns/net "$t/netns"
'

@test "a fresh capture satisfies the schema (listmount and mountinfo, pretty and compact)" {
	require_root
	need_python
	in_private_ns "$LAYOUT"'
		for k in auto mountinfo; do
			"$MNTSNAP" capture -p $$ --kernel=$k -o "$TMP/$k.json"
			"$MNTSNAP" capture -p $$ --kernel=$k --compact -o "$TMP/$k-compact.json"
		done
	'
	run validate "$BATS_TEST_TMPDIR"/{auto,mountinfo}{,-compact}.json
	assert_success
	assert_output ""
	# the layout is really in there (the capture saw the mounts just made)
	run jq -r '[.namespaces[0].mounts[] | select(.mountpoint | test("/t/(stack|netns)$"))
		| .mountpoint] | length' "$BATS_TEST_TMPDIR/auto.json"
	assert_output 3
	# compact is one line holding the same document
	[ "$(wc -l <"$BATS_TEST_TMPDIR/auto-compact.json")" -eq 1 ]
	run "$SPEC_PYTHON" -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); a.pop("created"); b.pop("created"); sys.exit(a!=b)' \
		"$BATS_TEST_TMPDIR/auto.json" "$BATS_TEST_TMPDIR/auto-compact.json"
	assert_success
}

@test "a fresh capture is in canonical form and loads back (diff X X is 0)" {
	require_root
	need_python
	in_private_ns "$LAYOUT"'"$MNTSNAP" capture -p $$ -o "$TMP/snap.json"'
	"$SPEC_PYTHON" "$CANON" "$BATS_TEST_TMPDIR/snap.json"
	run --separate-stderr "$MNTSNAP" diff "$BATS_TEST_TMPDIR/snap.json" "$BATS_TEST_TMPDIR/snap.json"
	assert_success
	assert_equal "$stderr" ""
}

@test "determinism: two captures of an unchanged namespace differ only in created" {
	require_root
	in_private_ns "$LAYOUT"'
		for k in auto mountinfo; do
			"$MNTSNAP" capture -p $$ --kernel=$k -o "$TMP/$k-1.json"
			"$MNTSNAP" capture -p $$ --kernel=$k -o "$TMP/$k-2.json"
		done
	'
	local k
	for k in auto mountinfo; do
		# created is there, on one line of its own
		[ "$(grep -c '^  "created": ' "$BATS_TEST_TMPDIR/$k-1.json")" -eq 1 ]
		run diff <(grep -v '^  "created": ' "$BATS_TEST_TMPDIR/$k-1.json") \
			<(grep -v '^  "created": ' "$BATS_TEST_TMPDIR/$k-2.json")
		assert_success
		assert_output ""
	done
}

@test "lxd-seed003.json is what capture -F makes of seed 003's mountinfo" {
	local mi="$FIXTURES/mountinfo/lxd-seed003.mountinfo"
	[ -f "$mi" ] || skip "fixture $mi not on this branch yet"
	run --separate-stderr "$MNTSNAP" capture -F "$mi" -o "$BATS_TEST_TMPDIR/lxd.json"
	assert_success
	run diff <(jq -S 'del(.created, .host, .tool)' "$SPEC/examples/lxd-seed003.json") \
		<(jq -S 'del(.created, .host, .tool)' "$BATS_TEST_TMPDIR/lxd.json")
	assert_success
}

@test "lxd-seed003.json keeps seed 003's stacks and overmounts" {
	# /sys, /sys/devices/virtual/net and /sys/fs/cgroup stacked twice; cgmanager twice:
	# once hidden under the second /sys/fs/cgroup, once visible on it
	run jq -r '[.namespaces[0].mounts[] | .mountpoint] | group_by(.) | map(select(length > 1))
		| map("\(.[0]) x\(length)") | join(", ")' "$SPEC/examples/lxd-seed003.json"
	assert_output "/sys x2, /sys/devices/virtual/net x2, /sys/fs/cgroup x2, /sys/fs/cgroup/cgmanager x2"
	run jq -r '.namespaces[0].mounts as $m | $m[] | select(.mountpoint == "/sys/fs/cgroup/cgmanager")
		| .parent as $p | $m[] | select(.id == $p) | "\(.mountpoint) \(.dev)"' \
		"$SPEC/examples/lxd-seed003.json"
	assert_output "$(printf '%s\n' '/sys/fs/cgroup 0:41' '/sys/fs/cgroup 0:42')"
}

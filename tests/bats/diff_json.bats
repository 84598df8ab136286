#!/usr/bin/env bats
# diff --json for scripts: typed values (booleans, numbers, option arrays,
# peer groups and masters as their member mounts), never the text output's
# words; every output satisfies spec/diff.schema.json (spec/DIFF-JSON.md).
# Variants of fixtures/diff/base.json made with jq (diff_helper.bash).

load test_helper
load diff_helper

setup_file() {
	export SCHEMA="$BATS_TEST_DIRNAME/../../spec/diff.schema.json"
	export VALIDATE="$BATS_FILE_TMPDIR/validate.py"
	cat >"$VALIDATE" <<'EOF'
"""validate.py SCHEMA FILE: exit 0 when FILE satisfies SCHEMA, else 1,
printing each violation as /json/path: message."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
status = 0
for e in jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))):
    print(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}")
    status = 1
sys.exit(status)
EOF
}

setup() {
	B="$BATS_TEST_TMPDIR/b.json"
	OUT="$BATS_TEST_TMPDIR/out.json"
}

# json_to 'JQ FILTER' [diff options...]: diff --json BASE VARIANT into $OUT,
# exit 1 (differences), checked against the schema.
json_to() {
	variant "$1" >"$B"
	shift
	local rc=0
	"$MNTSNAP" diff --json "$@" "$BASE" "$B" >"$OUT" || rc=$?
	[ "$rc" -eq 1 ]
	valid "$OUT"
}

# valid FILE: FILE satisfies spec/diff.schema.json.
valid() {
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed (make deps)"
	run /usr/bin/python3 "$VALIDATE" "$SCHEMA" "$1"
	assert_success
	assert_output ""
}

# q 'JQ FILTER': the filter on $OUT, compact.
q() { jq -c "$1" "$OUT"; }

@test "the schema is a valid draft 2020-12 JSON Schema, and [] satisfies it" {
	echo '[]' >"$BATS_TEST_TMPDIR/empty.json"
	valid "$BATS_TEST_TMPDIR/empty.json"
}

@test "every difference has the nine keys; layer is a number, ns_b null when the labels agree" {
	json_to '(byid(106).fstype) = "ramfs" | del(byid(113))'
	run q '.[] | keys'
	assert_output '["field","kind","layer","mountpoint","new","ns","ns_b","old","text"]
["field","kind","layer","mountpoint","new","ns","ns_b","old","text"]'
	run q '[.[] | [.field, .kind, .layer, .ns_b]]'
	assert_output '[["fstype","changed",1,null],["mount","removed",2,null]]'
}

@test "strings stay strings; an added or removed mount is an object, not its fstype" {
	json_to '(byid(106).fstype) = "ramfs" | (byid(111).root) = "/r" | del(byid(113))'
	run q '.[] | [.field, .old, .new]'
	assert_output '["fstype","tmpfs","ramfs"]
["root","/sub","/r"]
["mount",{"fstype":"ramfs","root":"/","source":"ramfs"},null]'
}

@test "booleans are booleans, not yes/no: unbindable, deleted, shared" {
	json_to '(byid(114).unbindable) = false | (byid(112).deleted) = true | (byid(112).root) = "/gone"
		| (byid(112).shared_id) = 77'
	run q '.[] | select(.field | IN("unbindable", "deleted", "shared")) | [.field, .old, .new]'
	assert_output '["unbindable",true,false]
["deleted",false,true]
["shared",false,true]'
	run q '[.[].old, .[].new | select(type == "string" and IN("yes", "no"))] | length'
	assert_output 0
}

@test "options are arrays as captured, not rw,relatime strings" {
	json_to '(byid(110).mount_options) += ["ro"]'
	run q '.[0] | [.field, .old, .new, .text]'
	assert_output '["mount_options",["rw","relatime"],["rw","relatime","ro"],"~ /mnt/e: options: +ro"]'
	# a script finds what was added without parsing the text
	run q '.[0] | .new - .old'
	assert_output '["ro"]'
}

@test "numbers are numbers: dev as major and minor, --strict-ids' raw ids" {
	json_to '(byid(101).dev) = "8:2"'
	run q '.[] | select(.ns == "ns0") | [.field, .old, .new]'
	assert_output '["dev",{"major":8,"minor":1},{"major":8,"minor":2}]'
	renumber >"$B"
	rc=0
	"$MNTSNAP" diff --json --strict-ids --ns ns1 "$BASE" "$B" >"$OUT" || rc=$?
	assert_equal "$rc" 1
	valid "$OUT"
	run q '.[] | select(.field == "mnt_ns_id" or (.mountpoint == "/" and .field == "shared_id")) | [.field, .layer, .old, .new]'
	assert_output '["mnt_ns_id",null,4501,11501]
["shared_id",1,20,1020]'
}

@test "a master is its group's member mounts with namespace labels; none is null, external []" {
	json_to '(byid(109).master_id) = 12 | (byid(115).master_id) = 0 | (byid(204).master_id) = 99'
	run q '.[] | select(.field == "master") | [.ns, .mountpoint, .old, .new]'
	assert_output '["ns0","/mnt/d",[{"layer":1,"mountpoint":"/mnt/a","ns":"ns0"},{"layer":1,"mountpoint":"/mnt/b","ns":"ns0"}],[{"layer":1,"mountpoint":"/mnt/c","ns":"ns0"}]]
["ns0","/mnt/ext",[],null]
["ns1","/mnt/a",[{"layer":1,"mountpoint":"/mnt/a","ns":"ns0"},{"layer":1,"mountpoint":"/mnt/b","ns":"ns0"}],[]]'
	# the text still says it in words
	run q '.[] | select(.mountpoint == "/mnt/d") | .text'
	assert_output '"~ /mnt/d: master: (group of /mnt/a) -> (group of /mnt/c)"'
}

@test "peers: each side's groups, each group its members (across namespaces too)" {
	# /mnt/b leaves /mnt/a's group; ns1's / joins ns0's / group
	json_to '(byid(107).shared_id) = 0 | (byid(201).shared_id) = 1 | (byid(201).master_id) = 0'
	run q '.[] | select(.field == "peers" and .mountpoint == "/mnt/a") | [.old, .new]'
	assert_output '[[[{"layer":1,"mountpoint":"/mnt/a","ns":"ns0"},{"layer":1,"mountpoint":"/mnt/b","ns":"ns0"}]],[[{"layer":1,"mountpoint":"/mnt/a","ns":"ns0"}]]]'
	run q '.[] | select(.field == "peers" and .mountpoint == "/") | [.ns, (.old | map(map(.ns + ":" + .mountpoint))), (.new | map(map(.ns + ":" + .mountpoint)))]'
	assert_output '["ns0",[["ns0:/"],["ns1:/"]],[["ns0:/","ns1:/"]]]'
}

@test "superblock: the mounts on it, itself included" {
	json_to '(byid(111).dev) = "0:77"'
	run q '.[0] | [.field, .old, .new]'
	assert_output '["superblock",[{"layer":1,"mountpoint":"/mnt/e","ns":"ns0"},{"layer":1,"mountpoint":"/mnt/f","ns":"ns0"}],[{"layer":1,"mountpoint":"/mnt/f","ns":"ns0"}]]'
}

@test "nsfs pins and a source that is none: objects and null, not words" {
	json_to '(byid(116).nsfs.ns) = null | (byid(116).nsfs.type) = "net" | del(.namespaces[1].nsfs_paths[0])
		| (byid(112).source) = ""'
	run q '.[] | select(.field == "nsfs") | [.old, .new]'
	assert_output '[{"ns":"ns1","type":"mnt"},{"ns":null,"type":"net"}]'
}

@test "a namespace only on one side: its label; whole-namespace items have null mountpoint and layer" {
	json_to 'del(.namespaces[1]) | del(byid(116))'
	run q '.[] | select(.field == "namespace") | [.kind, .mountpoint, .layer, .old, .new]'
	assert_output '["removed",null,null,"ns1",null]'
}

@test "identical layouts: [] (exit 0), valid" {
	renumber >"$B"
	run --separate-stderr "$MNTSNAP" diff --json "$BASE" "$B"
	assert_success
	assert_output "[]"
}

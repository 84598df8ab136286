#!/usr/bin/env bats
# The snapshot reader (lib/jsonpull.c, lib/snapjson.c): what capture writes
# reads back the same, escapes and non-ASCII included; a file that is not
# quite right is refused with exit 2 and one line naming file:line:column
# (or the item), never a crash.

load test_helper

EX="$BATS_TEST_DIRNAME/../../spec/examples/inverse-chain.json"

setup() {
	F="$BATS_TEST_TMPDIR/f.json"
}

# rejected FILE MESSAGE: `diff FILE EXAMPLE` exits 2, prints nothing on
# stdout and exactly "mntsnap: diff: MESSAGE" on stderr.
rejected() {
	run --separate-stderr "$MNTSNAP" diff "$1" "$EX"
	assert_equal "$status" 2
	assert_output ""
	assert_equal "$stderr" "mntsnap: diff: $2"
}

# edit SED_SCRIPT: the example with one edit, into $F.
edit() {
	sed "$1" "$EX" >"$F"
}

@test "every spec example reads: diff X X exits 0 with no output" {
	local f
	for f in "$BATS_TEST_DIRNAME"/../../spec/examples/*.json; do
		run --separate-stderr "$MNTSNAP" diff "$f" "$f"
		assert_equal "$status" 0
		assert_output ""
		assert_equal "$stderr" ""
	done
}

@test "escapes and non-ASCII in mountpoints and sources read back as the live namespace" {
	require_root
	in_private_ns '
		B=$TMP/b
		mkdir -p "$B"
		mount -t tmpfs base "$B"
		mount --make-private "$B"
		for d in "$@"; do
			mkdir "$B/$d"
			mount -t tmpfs "src $d" "$B/$d"
		done
		"$MNTSNAP" capture -p $$ --subtree "$B" -o "$TMP/snap.json"
		# JSON escapes in the file: newline, tab, backslash, quote
		grep -qF "new\\nline" "$TMP/snap.json"
		grep -qF "tab\\there" "$TMP/snap.json"
		grep -qF "back\\\\slash" "$TMP/snap.json"
		grep -qF "quo\\\"te" "$TMP/snap.json"
		"$MNTSNAP" diff "$TMP/snap.json" "$TMP/snap.json"
		"$MNTSNAP" diff --subtree "$B" "$TMP/snap.json" pid:$$
		# the same snapshot with every non-ASCII character as \u escapes
		# (the emoji as a surrogate pair)
		jq -a . "$TMP/snap.json" >"$TMP/ascii.json"
		grep -qF "\\ud83d\\ude00" "$TMP/ascii.json"
		! cmp -s "$TMP/snap.json" "$TMP/ascii.json"
		"$MNTSNAP" diff "$TMP/snap.json" "$TMP/ascii.json"
	' "a b" $'tab\there' $'new\nline' 'back\slash' 'quo"te' 'ünï' '日本' $'\U0001F600'
}

@test "a truncated file: the line and column where it ends" {
	head -n 30 "$EX" >"$F"
	rejected "$F" \
		"$F:31:1: malformed JSON: unexpected end of the file (',' or ']' expected)"
}

@test "no prefix of a snapshot crashes the reader: each is refused with one line" {
	local size n last
	size=$(stat -c %s "$EX")
	# the document ends with its last '}' (then a newline)
	last=$((size - 2))
	for ((n = 0; n <= last; n += 11)); do
		head -c "$n" "$EX" >"$F"
		run --separate-stderr "$MNTSNAP" diff "$F" "$F"
		[ "$status" -eq 2 ] || {
			echo "prefix of $n bytes: exit $status: $stderr" >&2
			return 1
		}
		[[ "$stderr" == "mntsnap: diff: $F:"* ]] || {
			echo "prefix of $n bytes: $stderr" >&2
			return 1
		}
		[ "$(wc -l <<<"$stderr")" -eq 1 ] || {
			echo "prefix of $n bytes: not one line: $stderr" >&2
			return 1
		}
	done
	head -c "$((last + 1))" "$EX" >"$F"
	run "$MNTSNAP" diff "$F" "$EX"
	assert_success
}

@test "text after the document is refused; whitespace after it is not" {
	{ cat "$EX"; echo x; } >"$F"
	rejected "$F" "$F:163:1: malformed JSON: 'x' after the end of the document"
	{ cat "$EX"; printf ' \n\t\r\n'; } >"$F"
	run "$MNTSNAP" diff "$F" "$EX"
	assert_success
}

@test "a duplicate key names the object and the key" {
	edit '23p'
	rejected "$F" "$F:24:11: namespace 'ns0' mounts[0]: duplicate key 'fstype'"
	edit '12p'
	rejected "$F" "$F:13:5: host: duplicate key 'hostname'"
}

@test "unknown and missing keys name the object and the key" {
	edit '27a\          "propagation": "shared",'
	rejected "$F" "$F:28:11: namespace 'ns0' mount 1: unknown key 'propagation'"
	edit '23d'
	rejected "$F" "$F:45:9: namespace 'ns0' mount 1: fstype: missing"
}

@test "invalid UTF-8 in a string: the byte and its place" {
	edit '23s/tmpfs/tmp\xfffs/'
	rejected "$F" "$F:23:25: malformed JSON: invalid UTF-8 (byte 0xff) in a string"
	# overlong '/', a UTF-16 surrogate encoded as UTF-8, a cut sequence
	edit '23s/tmpfs/tmp\xc0\xaffs/'
	rejected "$F" "$F:23:25: malformed JSON: invalid UTF-8 (byte 0xc0) in a string"
	edit '23s/tmpfs/tmp\xed\xa0\x80fs/'
	rejected "$F" "$F:23:25: malformed JSON: invalid UTF-8 (byte 0xed) in a string"
	edit '23s/tmpfs"/tmp\xe2\x82"/'
	rejected "$F" "$F:23:25: malformed JSON: invalid UTF-8 (byte 0xe2) in a string"
}

@test "escapes JSON forbids, and raw control characters" {
	edit '23s/tmpfs/tmp\\u0000fs/'
	rejected "$F" "$F:23:25: malformed JSON: \\u0000 in a string (NUL bytes are not allowed)"
	edit '23s/tmpfs/tmp\\ud800fs/'
	rejected "$F" \
		"$F:23:25: malformed JSON: invalid \\u escape in a string: high surrogate \\uD800 without its low half"
	edit '23s/tmpfs/tmp\\udc00fs/'
	rejected "$F" \
		"$F:23:25: malformed JSON: invalid \\u escape in a string: lone low surrogate \\uDC00"
	edit '23s/tmpfs/tmp\\qfs/'
	rejected "$F" "$F:23:25: malformed JSON: invalid escape '\\q' in a string"
	edit '23s/tmpfs/tmp\tfs/'
	rejected "$F" \
		"$F:23:25: malformed JSON: control character 0x09 in a string (it must be escaped)"
}

@test "escaped strings decode: a snapshot with \\u escapes equals the one without" {
	edit '36s|"/"|"\\u002f"|; 59s|"/tmp"|"\\/t\\u006dp"|'
	grep -qF '"\/t\u006dp"' "$F"
	run --separate-stderr "$MNTSNAP" diff "$F" "$EX"
	assert_equal "$status" 0
	assert_output ""
}

@test "integers: too big, negative, fractional; the largest one is read" {
	edit '27s/1,/99999999999999999999,/'
	rejected "$F" \
		"$F:27:21: namespace 'ns0' mount 1: mnt_id: 99999999999999999999: too big (integers are below 2^63)"
	edit '27s/1,/9223372036854775808,/'
	rejected "$F" \
		"$F:27:21: namespace 'ns0' mount 1: mnt_id: 9223372036854775808: too big (integers are below 2^63)"
	local bad
	for bad in -1 1.0 1e2; do
		edit "27s/1,/$bad,/"
		rejected "$F" "$F:27:21: namespace 'ns0' mount 1: mnt_id: expected a non-negative integer"
	done
	edit '27s/1,/01,/'
	rejected "$F" "$F:27:21: malformed JSON: number with a leading zero"
	edit '27s/1,/9223372036854775807,/'
	run "$MNTSNAP" diff --strict-ids "$F" "$EX"
	assert_equal "$status" 1
	assert_output --partial "mnt_id: 9223372036854775807 -> 1"
}

@test "deep nesting is refused at 512 levels, not by a stack overflow" {
	local deep
	deep=$(printf '%*s' 600 '' | tr ' ' '[')$(printf '%*s' 600 '' | tr ' ' ']')
	edit "25s/null/$deep/"
	rejected "$F" "$F:25:527: malformed JSON: nesting deeper than 512 levels"
	edit '25s/null/[[[[[[[[[[]]]]]]]]]]/'
	rejected "$F" "$F:25:20: namespace 'ns0' mount 1: idmap: expected an object or null"
}

@test "a syntax error anywhere wins over an error the reader met first" {
	edit '27a\          "propagation": "shared",'
	sed -i '$d' "$F"
	rejected "$F" "$F:163:1: malformed JSON: unexpected end of the file (',' or '}' expected)"
}

@test "format_version is checked before anything else" {
	edit '9s/1/4/; 27a\          "propagation": "shared",'
	rejected "$F" "$F: format_version 4: unsupported (this mntsnap reads 1 to 3)"
	edit '9s/1/4294967297/'
	rejected "$F" "$F: format_version 4294967297: unsupported (this mntsnap reads 1 to 3)"
	edit '9s/1/"1"/'
	rejected "$F" "$F: not a mntsnap snapshot: format_version: expected an integer"
}

@test "not a snapshot: an empty file, an array, an object without format" {
	: >"$F"
	rejected "$F" "$F:1:1: malformed JSON: unexpected end of the file (a value expected)"
	echo '[]' >"$F"
	rejected "$F" "$F: not a mntsnap snapshot: expected a JSON object"
	echo '{}' >"$F"
	rejected "$F" "$F: not a mntsnap snapshot: format: missing"
	run --separate-stderr "$MNTSNAP" diff "$BATS_TEST_TMPDIR" "$EX"
	assert_equal "$status" 2
	assert_equal "$stderr" \
		"mntsnap: diff: cannot read '$BATS_TEST_TMPDIR': not a regular file (a directory)"
}

@test "what is not a regular file is refused at once, naming the file" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	# a FIFO without a writer: refused, not waited on
	run --separate-stderr timeout 10 "$MNTSNAP" diff "$BATS_TEST_TMPDIR/fifo" "$EX"
	assert_equal "$status" 2
	assert_equal "$stderr" \
		"mntsnap: diff: cannot read '$BATS_TEST_TMPDIR/fifo': not a regular file (a FIFO)"
	run --separate-stderr timeout 10 "$MNTSNAP" replay -n --mkdir --new="$BATS_TEST_TMPDIR/new" "$BATS_TEST_TMPDIR/fifo"
	assert_equal "$status" 2
	assert_equal "$stderr" \
		"mntsnap: replay: cannot read '$BATS_TEST_TMPDIR/fifo': not a regular file (a FIFO)"
	run --separate-stderr timeout 10 "$MNTSNAP" diff /dev/zero "$EX"
	assert_equal "$status" 2
	assert_equal "$stderr" \
		"mntsnap: diff: cannot read '/dev/zero': not a regular file (a character device)"
}

@test "standard input and pipes without a name (<(...)) are read" {
	run --separate-stderr "$MNTSNAP" diff <(cat "$EX") "$EX"
	assert_equal "$status" 0
	assert_equal "$stderr" ""
	# /dev/zero on standard input: refused at its first byte, not read on
	run --separate-stderr timeout 10 "$MNTSNAP" diff - "$EX" </dev/zero
	assert_equal "$status" 2
	assert_equal "$stderr" "mntsnap: diff: <stdin>:1:1: malformed JSON: a value expected, not byte 0x00"
}

@test "a snapshot larger than 1 GiB is refused before it is read" {
	truncate -s $((1024 * 1024 * 1024 + 1)) "$F"
	run --separate-stderr timeout 10 "$MNTSNAP" diff "$F" "$EX"
	assert_equal "$status" 2
	assert_equal "$stderr" "mntsnap: diff: cannot read '$F': larger than 1 GiB, the most a snapshot may be"
	# (the limit through a pipe, and a file of exactly the limit: readfile_test.c)
}

@test "a snapshot truncated while it is read: an error or a result, never a signal" {
	local big="$BATS_TEST_TMPDIR/big.json" i
	# 20,000 mounts, about 13 MB
	awk 'BEGIN { print "1 0 0:30 / / rw - tmpfs none rw"
		for (i = 2; i <= 20001; i++) printf "%d 1 0:31 / /m%d rw - tmpfs s rw,size=1024k\n", i, i }' \
		>"$BATS_TEST_TMPDIR/mi"
	"$MNTSNAP" capture -F "$BATS_TEST_TMPDIR/mi" -o "$big.orig"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		cp "$big.orig" "$big"
		"$MNTSNAP" diff "$big" "$big" >/dev/null 2>&1 &
		sleep 0.0$i
		truncate -s 100 "$big"
		local st=0
		wait $! || st=$?
		[ "$st" -le 2 ] || {
			echo "run $i: exit status $st" >&2
			return 1
		}
	done
}

@test "standard input is read from where it stands" {
	run --separate-stderr "$MNTSNAP" diff - "$EX" <"$EX"
	assert_equal "$status" 0
	# one byte ('{') already consumed: what is left starts with no '{', so
	# it is read as a spec (spec/SPEC.md), which it is not either
	run --separate-stderr bash -c '{ dd bs=1 count=1 status=none >/dev/null; "$1" diff - "$2"; } <"$2"' \
		bash "$MNTSNAP" "$EX"
	assert_equal "$status" 2
	[[ "$stderr" == "mntsnap: diff: <stdin>:2:3: "* ]]
	assert_equal "${#lines[@]}" 0
}

@test "files of a whole number of pages read like any other" {
	local size pad prefix
	size=$(stat -c %s "$EX")
	for pad in $((4096 - size)) $((8192 - size)); do
		{ cat "$EX"; printf '%*s' "$pad" ''; } >"$F"
		[ "$(stat -c %s "$F")" -eq $((size + pad)) ]
		run --separate-stderr "$MNTSNAP" diff "$F" "$EX"
		assert_equal "$status" 0
	done
	# cut inside a string at the end of the page
	prefix='{"format": "mntsnap", "x": "'
	{ printf '%s' "$prefix"; printf '%*s' $((4096 - ${#prefix})) '' | tr ' ' a; } >"$F"
	[ "$(stat -c %s "$F")" -eq 4096 ]
	rejected "$F" "$F:1:4097: malformed JSON: unexpected end of the file (inside a string)"
}

@test "columns count characters, not bytes" {
	edit '12s/"example",/"ünï", "zz": 1,/'
	rejected "$F" "$F:12:24: host: unknown key 'zz'"
}

# jqed FILTER: the example through a jq filter, into $F.
jqed() {
	jq "$1" "$EX" >"$F"
}

@test "labels that are not names of a file in one directory are refused, naming them" {
	local label
	for label in ../escaped /etc/evil a/b . .. -x _x "" "ns 0" "nü"; do
		jqed ".namespaces[0].label = \"$label\""
		run --separate-stderr "$MNTSNAP" diff "$F" "$F"
		assert_equal "$status" 2
		if [ -z "$label" ]; then
			assert_equal "$stderr" "mntsnap: diff: $F: namespace #0: label: missing"
		else
			assert_equal "$stderr" "mntsnap: diff: $F: namespace #0: label '$label': not a valid label (1 to 64 letters, digits, '_', '.' or '-', the first a letter or digit)"
		fi
	done
	# a long label is cut, a newline is not printed raw
	jqed ".namespaces[0].label = \"$(printf 'n%.0s' {1..65})\""
	rejected "$F" "$F: namespace #0: label '$(printf 'n%.0s' {1..64})...': not a valid label (1 to 64 letters, digits, '_', '.' or '-', the first a letter or digit)"
	jqed '.namespaces[0].label = "a\nb"'
	rejected "$F" "$F: namespace #0: label 'a\\012b': not a valid label (1 to 64 letters, digits, '_', '.' or '-', the first a letter or digit)"
	for label in a 0 A.b-c_d "$(printf 'n%.0s' {1..64})"; do
		jqed ".namespaces[0].label = \"$label\""
		run --separate-stderr "$MNTSNAP" diff "$F" "$EX"
		assert_equal "$status" 0
	done
}

@test "a child's mountpoint must be its parent's or below it; the root's may be anywhere" {
	jqed '.namespaces[0].mounts[2].mountpoint = "/tmp2/sub"'
	rejected "$F" "$F: namespace 'ns0' mount 102: mountpoint '/tmp2/sub': not at or below that of its parent 101 ('/tmp')"
	jqed '.namespaces[0].mounts[2].mountpoint = "/"'
	rejected "$F" "$F: namespace 'ns0' mount 102: mountpoint '/': not at or below that of its parent 101 ('/tmp')"
	# stacked on the parent: the same mountpoint
	jqed '.namespaces[0].mounts[2].mountpoint = "/tmp" | .namespaces[0].mounts[3].mountpoint = "/tmp/sub"
		| .namespaces[0].mounts[4].mountpoint = "/tmp/sub/x"'
	run --separate-stderr "$MNTSNAP" diff "$F" "$F"
	assert_equal "$status" 0
	# a --subtree snapshot: the root mount at /srv
	jqed '.capture.subtree = "/srv" | .namespaces[0].mounts |= map(.mountpoint |= if . == "/" then "/srv" else "/srv" + . end)'
	run --separate-stderr "$MNTSNAP" diff "$F" "$F"
	assert_equal "$status" 0
	assert_equal "$stderr" ""
}

@test "propagate_from only on a slave, and never its master" {
	jqed '.namespaces[0].mounts[4].propagate_from = 2'
	rejected "$F" "$F: namespace 'ns0' mount 104: propagate_from 2: set on a mount that is not a slave (master_id 0)"
	jqed '.namespaces[0].mounts[3].propagate_from = 1'
	rejected "$F" "$F: namespace 'ns0' mount 103: propagate_from 1: equals master_id (recorded as 0 then)"
	jqed '.namespaces[0].mounts[3].propagate_from = 7'
	run --separate-stderr "$MNTSNAP" diff "$F" "$F"
	assert_equal "$status" 0
}

@test "pins name a namespace of the file and a path" {
	jqed '.namespaces[0].nsfs_paths = [{"ns": "ns0", "path": "/tmp"}, {"ns": "nsX", "path": "/tmp"}]'
	rejected "$F" "$F: namespace 'ns0': nsfs_paths[1]: ns 'nsX': no such namespace in the snapshot"
	jqed '.namespaces[0].nsfs_paths = [{"ns": "../x", "path": "/tmp"}]'
	rejected "$F" "$F: namespace 'ns0': nsfs_paths[0]: ns '../x': no such namespace in the snapshot"
	local p
	for p in tmp /tmp/ /tmp//a /tmp/./a /tmp/.. ""; do
		jqed ".namespaces[0].nsfs_paths = [{\"ns\": \"ns0\", \"path\": \"$p\"}]"
		rejected "$F" "$F: namespace 'ns0': nsfs_paths[0]: path '$p': not an absolute normalised path"
	done
}

@test "paths within PATH_MAX and NAME_MAX: mountpoint, root, pin, capture.subtree" {
	local c255 c256 long
	c255=$(printf 'c%.0s' {1..255})
	c256=${c255}c
	# 4095 bytes: 15 components of 255 and one of 254 -> the longest accepted
	long=$(printf "/$c255%.0s" {1..15})/${c255:1}
	[ ${#long} -eq 4095 ]
	jqed ".namespaces[0].mounts[1].root = \"$long\""
	run --separate-stderr "$MNTSNAP" diff "$F" "$F"
	assert_equal "$status" 0
	jqed ".namespaces[0].mounts[1].root = \"${long}d\""
	rejected "$F" "$F: namespace 'ns0' mount 101: root: 4096 bytes, longer than PATH_MAX (4096 with the NUL)"
	jqed ".namespaces[0].mounts[4].mountpoint = \"/tmp/sub/sub$long\""
	rejected "$F" "$F: namespace 'ns0' mount 104: mountpoint: 4107 bytes, longer than PATH_MAX (4096 with the NUL)"
	jqed ".namespaces[0].mounts[1].root = \"/a/$c256/b\""
	rejected "$F" "$F: namespace 'ns0' mount 101: root: component 2 is 256 bytes, longer than NAME_MAX (255)"
	jqed ".namespaces[0].mounts[1].root = \"/a/$c255/b\""
	run --separate-stderr "$MNTSNAP" diff "$F" "$F"
	assert_equal "$status" 0
	jqed ".namespaces[0].nsfs_paths = [{\"ns\": \"ns0\", \"path\": \"/$c256\"}]"
	rejected "$F" "$F: namespace 'ns0': nsfs_paths[0]: path '...': component 1 is 256 bytes, longer than NAME_MAX (255)"
	jqed ".capture.subtree = \"/x/$c256\""
	rejected "$F" "$F: capture.subtree '/x/$(printf 'c%.0s' {1..61})...': component 2 is 256 bytes, longer than NAME_MAX (255)"
}

# gen_long N down|up|parent-cycle: a snapshot of N mounts, one namespace.
# down, up: / and N-1 tmpfs mounts /m2 .. /mN beside each other, mount i in
# peer group i, its master group i - 1 (down) or i + 1 (up); the end of the
# chain has no master.  parent-cycle: 2 .. N-2 stacked on /s, N-1 and N
# each the parent of the other.
gen_long() {
	awk -v n="$1" -v kind="$2" 'BEGIN {
	printf "{\"capture\":{\"method\":\"listmount\",\"selection\":\"all\",\"subtree\":null},"
	printf "\"created\":\"2021-09-20T10:00:00Z\",\"format\":\"mntsnap\",\"format_version\":1,"
	printf "\"host\":{\"arch\":\"x86_64\",\"hostname\":\"h\",\"kernel\":\"6.18\"},"
	printf "\"namespaces\":[{\"label\":\"ns0\",\"mnt_ns_id\":4300,\"ns_ino\":4026532300,"
	printf "\"nsfs_paths\":[],\"owner_userns_ino\":4026531837,\"pids\":[],\"root_mount\":1,"
	printf "\"mounts\":[\n"
	for (i = 1; i <= n; i++) {
		master = 0
		shared = kind == "parent-cycle" || i == 1 ? 0 : i
		if (kind == "up" && i > 1 && i < n) master = i + 1
		if (kind == "down" && i > 2) master = i - 1
		parent = i == 1 ? "null" : 1
		mp = i == 1 ? "/" : "/m" i
		if (kind == "parent-cycle" && i > 1) {
			parent = i == n - 1 ? n : i == n ? n - 1 : i - 1
			mp = "/s"
		}
		printf "%s{\"deleted\":false,\"dev\":\"0:%d\",\"fstype\":\"tmpfs\",", (i > 1 ? ",\n" : ""), i + 30
		printf "\"id\":%d,\"idmap\":null,\"master_id\":%d,\"mnt_id\":%d,", i, master, i
		printf "\"mount_options\":[\"rw\"],\"mountpoint\":\"%s\",\"nsfs\":null,", mp
		printf "\"parent\":%s,\"propagate_from\":0,\"root\":\"/\",\"shared_id\":%d,", parent, shared
		printf "\"source\":\"t\",\"super_options\":[\"rw\"],\"unbindable\":false}"
	}
	printf "]}],\"tool\":{\"name\":\"mntsnap\",\"version\":\"0.1.0\"},\"warnings\":[]}\n"
	}'
}

@test "a chain of 100,000 master groups reads and compares in linear time" {
	# each group walked its whole chain of masters: minutes
	local down="$BATS_TEST_TMPDIR/down.json" up="$BATS_TEST_TMPDIR/up.json"
	gen_long 100000 down >"$down"
	gen_long 100000 up >"$up"
	run --separate-stderr timeout 60 "$MNTSNAP" diff "$down" "$down"
	assert_equal "$stderr" ""
	assert_equal "$status" 0
	assert_output ""
	run --separate-stderr timeout 60 "$MNTSNAP" diff "$up" "$up"
	assert_equal "$stderr" ""
	assert_equal "$status" 0
	# every master differs: the header and a line per mount but /
	run --separate-stderr bash -c 'timeout 60 "$1" diff "$2" "$3" >"$4"' bash \
		"$MNTSNAP" "$down" "$up" "$BATS_TEST_TMPDIR/out"
	assert_equal "$stderr" ""
	assert_equal "$status" 1
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out")" 100000
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" \
		"~ /m99999: master: (group of /m99998) -> (group of /m100000)"
	# a cycle at the end of the chain is found, and named by its first group
	sed 's/"master_id":0,"mnt_id":100000,/"master_id":50000,"mnt_id":100000,/' "$up" >"$F"
	rejected "$F" "$F: peer group 2: master_id 3: cycle in the master graph"
}

@test "a cycle of parents after a tree 100,000 deep is refused in linear time" {
	# each mount walked up to the root: minutes
	gen_long 100000 parent-cycle >"$F"
	run --separate-stderr timeout 60 "$MNTSNAP" diff "$F" "$EX"
	assert_equal "$status" 2
	assert_output ""
	assert_equal "$stderr" "mntsnap: diff: $F: namespace 'ns0' mount 99999: parent: cycle (not reachable from the root)"
}

# fast_line FILE: the -vvv line that says how many of FILE's mounts were
# read as capture writes them (lib/json/snapjson_read_fast.c); by show,
# which reads one file on both CPUs (diff reads its two files one a CPU)
fast_line() {
	"$MNTSNAP" -vvv show "$1" 2>&1 >/dev/null | grep -F "$1: " | grep -m1 "tokenizer"
}

@test "a snapshot as capture writes it is read without the tokenizer, a mount that is not by the tokenizer, in both halves of a split read" {
	require_root
	export -f fast_line
	in_private_ns '
	mkdir -p "$TMP/x" && mount -t tmpfs x "$TMP/x" && mount --make-private "$TMP/x"
	"$MNTSNAP" capture -p $$ -o "$TMP/small.json"
	n=$(jq "[.namespaces[].mounts[]] | length" "$TMP/small.json")
	echo "small: $n"
	fast_line "$TMP/small.json"
	# 4,000 more mounts like the tmpfs on x, below it: over the 1 MiB at which
	# the reader splits the file between two threads
	jq -c --arg x "$TMP/x" "
		(.namespaces[0].mounts[] | select(.mountpoint == \$x)) as \$t |
		.namespaces[0].mounts += [range(4000) as \$i | \$t |
			.id = 900000 + \$i | .mnt_id = 900000 + \$i | .parent = \$t.id |
			.mountpoint = \"\(\$x)/m\(\$i)\" | .shared_id = 0 | .master_id = 0]" \
		"$TMP/small.json" >"$TMP/big.json"
	[ "$(stat -c %s "$TMP/big.json")" -gt 1048576 ]
	fast_line "$TMP/big.json"
	# an escaped character in one source (the first and the last mount):
	# that mount is read by the tokenizer, the others are not
	jq -c ".namespaces[0].mounts[0].source = \"a\tb\" | .namespaces[0].mounts[-1].source = \"c\td\"" \
		"$TMP/big.json" >"$TMP/escaped.json"
	fast_line "$TMP/escaped.json"
	' >"$BATS_TEST_TMPDIR/out"
	n=$(awk "/^small: /{ print \$2 }" "$BATS_TEST_TMPDIR/out")
	big=$((n + 4000))
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "mntsnap: $BATS_TEST_TMPDIR/small.json: $n of $n mounts read as capture writes them, without the tokenizer"
	assert_line "mntsnap: $BATS_TEST_TMPDIR/big.json: $big of $big mounts read as capture writes them, without the tokenizer"
	assert_line "mntsnap: $BATS_TEST_TMPDIR/escaped.json: $((big - 2)) of $big mounts read as capture writes them, without the tokenizer"
}

#!/usr/bin/env bash
# gen.sh DIR - writes the hostile inputs into DIR and lists them in
# DIR/cases, one a line, tab-separated:
#
#   CLASS  NAME  EXPECT  FILE  STDIN  REPLAY-ARGS
#
# (an empty field is "."; read splits on tabs as whitespace: it would skip
# an empty one)
# EXPECT is what `diff FILE FILE`, `replay -n --new=DIR/c/new FILE` and a
# real `replay --new=DIR/c/new FILE` must do, one character each (run.sh):
# 2 exit 2 with one line, 0 success, x either, r (real replay) 0 or 1,
# N (dry run only) no step
# that creates a superblock other than tmpfs, - not run.  FILE "-" reads
# STDIN.  DIR/c is the canary: labels that escape --new=DIR point into it.
# The semantic cases come from cases.jq, the byte-level ones from here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
D=$1
C=$D/c
mkdir -p "$D/in" "$C/new"

# the semantic cases: one jq run, split into files by awk
jq -n -r --arg C "$C" -f "$here/cases.jq" |
	awk -F '\t' -v d="$D/in" '{
		f = d "/" $1 "--" $2 ".json"
		doc = $5
		if ($4 != "")
			sub(/"@RAW@"/, $4, doc)
		print doc >f
		close(f)
		print $1 "\t" $2 "\t" $3 "\t" f "\t.\t" ($1 == "fresh" ? "--fresh" : ".")
	}' >"$D/cases"
# the byte-level cases edit the valid case, pretty-printed (one key a line)
base=$D/in/base.json
jq . "$D/in/base--valid.json" >"$base"

# add CLASS NAME [EXPECT [FILE [STDIN]]]: a case whose file is written by
# the caller (default: DIR/in/CLASS--NAME.json, expecting 222)
add() {
	printf '%s\t%s\t%s\t%s\t%s\t.\n' "$1" "$2" "${3:-222}" "${4:-$D/in/$1--$2.json}" "${5:-.}" >>"$D/cases"
}
# bytes CLASS NAME PERL: base.json edited by a perl substitution on the
# whole file (the first match only, unless the expression says /g)
bytes() {
	perl -0777 -pe "$3" "$base" >"$D/in/$1--$2.json"
	cmp -s "$base" "$D/in/$1--$2.json" && { echo "gen.sh: $1/$2: the edit changed nothing" >&2; exit 1; }
	add "$1" "$2"
}
# text CLASS NAME TEXT: a file holding exactly TEXT
text() {
	printf '%s' "$3" >"$D/in/$1--$2.json"
	add "$1" "$2"
}

# prefixes of the valid file, cut at 40 places from its start to its last "}"
size=$(stat -c %s "$base")
for ((i = 0; i < 40; i++)); do
	n=$((i * (size - 2) / 39))
	head -c "$n" "$base" >"$D/in/truncated--at-$n.json"
	add truncated "at-$n"
done

# malformed JSON, byte by byte
s='s/"hostile"/'
bytes syntax bom 's/^/\xef\xbb\xbf/'
bytes syntax utf16 's/(.)/$1\0/gs'
bytes syntax nul-between-tokens 's/\n  "created"/\n\0 "created"/'
bytes syntax nul-at-end 's/\z/\0/'
bytes syntax nul-in-string "$s\"host\\0ile\"/"
bytes syntax u0000-in-string "$s\"host\\\\u0000ile\"/"
for b in ff c0af eda080 e282 f888808080 f4908080 80 fe; do
	bytes syntax "utf8-$b-in-string" "$s\"host$(sed 's/../\\x&/g' <<<"$b")ile\"/"
done
bytes syntax utf8-ff-between-tokens 's/\n  "created"/\n\xff "created"/'
bytes syntax trailing-comma-object 's/\[\]\n}/[],\n}/'
bytes syntax trailing-comma-array 's/"pids": \[\n\s*7/"pids": [7,/'
bytes syntax missing-comma 's/"created": null,/"created": null/'
bytes syntax missing-colon 's/"created": null/"created" null/'
bytes syntax single-quotes "s/\"created\"/'created'/"
bytes syntax unquoted-key 's/"created":/created:/'
bytes syntax line-comment 's/\n  "created"/\n  \/\/ comment\n  "created"/'
bytes syntax block-comment 's/"created":/\/* c *\/ "created":/'
bytes syntax escaped-duplicate-key 's/"created": null,/"created": null, "cre\\u0061ted": null,/'
bytes syntax duplicate-key-top 's/"created": null,/"created": null, "format": "mntsnap",/'
bytes syntax duplicate-key-mount 's/"id": 2,/"id": 2, "id": 3,/'
bytes syntax duplicate-key-nsfs 's/"ino": 4026532999,/"ino": 4026532999, "ino": 1,/'
for t in NaN Infinity -Infinity nan inf +1 .5 1. 0x10 01 00 - 1e 1e+ 1E400 0.0 1_0 "1 2" '"0"'; do
	bytes syntax "number-$(tr -c 'A-Za-z0-9.+-' _ <<<"$t")" "s/\"shared_id\": 0/\"shared_id\": $t/"
done
for t in tru fals nul True NULL nil; do
	bytes syntax "literal-$t" "s/\"created\": null/\"created\": $t/"
done
bytes syntax lone-surrogate "$s\"host\\\\ud800ile\"/"
bytes syntax invalid-escape "$s\"host\\\\qile\"/"
bytes syntax short-unicode-escape "$s\"host\\\\u12\"/"
bytes syntax raw-tab-in-string "$s\"host\\tile\"/"
bytes syntax raw-newline-in-string "$s\"host\\nile\"/"
bytes syntax text-after 's/\z/x/'
bytes syntax two-documents 's/\A(.*)\z/$1$1/s'
bytes syntax deep-arrays-600 "s/\"warnings\": \[\]/\"warnings\": $(printf '%*s' 600 '' | tr ' ' '[')$(printf '%*s' 600 '' | tr ' ' ']')/"
bytes syntax deep-objects-600 "s/\"warnings\": \[\]/\"warnings\": $(printf '%*s' 600 '' | sed 's/ /{"a":/g')1$(printf '%*s' 600 '' | tr ' ' '}')/"
head -c 1000000 /dev/zero | tr '\0' '[' >"$D/in/syntax--deep-arrays-1000000.json"
add syntax deep-arrays-1000000
text syntax whitespace-only $' \n\t\r\n'
i=0
for t in null '[]' '"mntsnap"' 0 '{}' '{"format":"mntsnap"}' '{"format":"mntsnap","format_version":1}' \
	'{"format":"mntsnap","format_version":1,"namespaces":[]}'; do
	text syntax "document-$((i++))" "$t"
done
gzip -c "$base" >"$D/in/syntax--gzip.json"
add syntax gzip

# the spec's own invalid examples
for f in "$here"/../../spec/invalid/*.json; do
	add spec "$(basename "$f" .json)" 222 "$f"
done

# not regular files, and standard input
mkfifo "$D/in/fifo"
mkdir -p "$D/in/dir"
: >"$D/in/empty"
ln -sf loop "$D/in/loop"
ln -sf /dev/zero "$D/in/zero-link"
truncate -s 8G "$D/in/sparse-8g"
add files dev-zero 222 /dev/zero
add files dev-null 222 /dev/null
add files fifo-without-writer 222 "$D/in/fifo"
add files directory 222 "$D/in/dir"
add files empty 222 "$D/in/empty"
add files missing 222 "$D/in/missing"
add files symlink-loop 222 "$D/in/loop"
add files symlink-to-dev-zero 222 "$D/in/zero-link"
add files proc-mountinfo 222 /proc/self/mountinfo
add files sparse-8g 222 "$D/in/sparse-8g"
add files stdin-empty 222 - /dev/null
add files stdin-directory 222 - "$D/in/dir"
head -c $((size / 2)) "$base" >"$D/in/half.json"
add files stdin-truncated 222 - "$D/in/half.json"

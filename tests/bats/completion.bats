#!/usr/bin/env bats
# completion/mntsnap: sourced into bash, driven as bash drives it (COMP_WORDS
# split at blanks and at ':' and '=', COMP_CWORD the last word), its
# COMPREPLY checked.  Nothing here mounts.

load test_helper

COMPLETION="$BATS_TEST_DIRNAME/../../completion/mntsnap"

# complete_line 'LINE': the candidates bash would offer at the end of LINE,
# one a line (as bash inserts them: the part after the last ':' or '=').
complete_line() {
	bash -c '
		source "$1"
		line=$2
		COMP_WORDS=()
		for w in $line; do
			# bash splits words at the characters of COMP_WORDBREAKS
			while [[ $w == *[:=]* ]]; do
				pre=${w%%[:=]*}
				[ -n "$pre" ] && COMP_WORDS+=("$pre")
				w=${w#"$pre"}
				COMP_WORDS+=("${w:0:1}")
				w=${w:1}
			done
			[ -n "$w" ] && COMP_WORDS+=("$w")
		done
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line COMP_POINT=${#line}
		_mntsnap mntsnap
		printf "%s\n" "${COMPREPLY[@]}"' bash "$COMPLETION" "$1"
}

@test "the script is valid bash and registers _mntsnap for mntsnap" {
	run bash -c 'source "$1" && complete -p mntsnap' bash "$COMPLETION"
	assert_success
	assert_output --partial "-F _mntsnap mntsnap"
}

@test "commands, including show and check" {
	run complete_line "mntsnap "
	assert_success
	assert_output "capture
replay
diff
show
check"
	run complete_line "mntsnap -q d"
	assert_output "diff"
}

@test "global options before the command" {
	run complete_line "mntsnap --v"
	assert_output "--verbose
--version"
}

@test "each command's options, -q and -h included; long ones with an argument end in =" {
	run complete_line "mntsnap capture --m"
	assert_output "--mount=
--mountinfo="
	run complete_line "mntsnap diff -"
	assert_line "--json"
	assert_line "--ignore="
	assert_line "--strict-ids"
	assert_line "-q"
	assert_line "-h"
	run complete_line "mntsnap replay --d"
	assert_output "--dry-run"
	run complete_line "mntsnap show -"
	assert_line "-o"
	assert_line "--output="
	assert_line "--dot"
	assert_line "--noheadings"
	run complete_line "mntsnap check --"
	assert_line "--json"
	assert_line "--subtree="
}

@test "pid: and ns: prefixes: pids from /proc, files after ns:" {
	run complete_line "mntsnap diff a.json p"
	assert_output "pid:"
	run complete_line "mntsnap diff pid:$$"
	assert_line "$$"
	run complete_line "mntsnap show pid:1"
	assert_line "1"
	mkdir -p "$BATS_TEST_TMPDIR/pins"
	touch "$BATS_TEST_TMPDIR/pins/ns0" "$BATS_TEST_TMPDIR/pins/ns1"
	run complete_line "mntsnap diff ns:$BATS_TEST_TMPDIR/pins/n"
	assert_output "$BATS_TEST_TMPDIR/pins/ns0
$BATS_TEST_TMPDIR/pins/ns1"
}

@test "capture -p and --pid=: process ids; -m: nsfs files under /proc" {
	run complete_line "mntsnap capture -p $$"
	assert_line "$$"
	run complete_line "mntsnap capture --pid=$$"
	assert_line "$$"
	run complete_line "mntsnap capture -m /proc/$$/ns/m"
	assert_output "/proc/$$/ns/mnt"
}

@test "snapshot files as operands" {
	cd "$BATS_TEST_TMPDIR"
	touch snap-a.json snap-b.json other.txt
	run complete_line "mntsnap replay --new=/run/x snap"
	assert_output "snap-a.json
snap-b.json"
	run complete_line "mntsnap diff snap-a.json sn"
	assert_output "snap-a.json
snap-b.json"
}

@test "--ns completes the namespace labels of the snapshot on the line (both spellings)" {
	cd "$BATS_TEST_TMPDIR"
	cp "$TOP/tests/bats/fixtures/diff/base.json" two.json
	run complete_line "mntsnap replay --new=/run/x two.json --ns "
	assert_output "ns0
ns1"
	run complete_line "mntsnap diff two.json --ns=n"
	assert_output "ns0
ns1"
	# a compact snapshot too
	jq -c . two.json >compact.json
	run complete_line "mntsnap replay compact.json --ns n"
	assert_output "ns0
ns1"
	# no snapshot on the line: nothing
	run complete_line "mntsnap diff --ns "
	assert_output ""
}

@test "fixed words and comma lists: --kernel, diff --ignore, show -o" {
	run complete_line "mntsnap capture --kernel=l"
	assert_output "listmount"
	run complete_line "mntsnap diff --ignore=source,f"
	assert_output "source,fstype"
	run complete_line "mntsnap show -o TARGET,PRO"
	assert_output "TARGET,PROPAGATION"
}

#!/usr/bin/env bash
# assert_chain.sh - no chained assertions in the bats suite.  Under `set -e`
# a command that fails inside `a && b` stops nothing unless it is the last
# one, so `[ x ] && [ y ]` passes whenever y holds: one assertion per line.
#
# Refuses, in tests/bats/*.bats and *.bash (or the FILES given), a line
# whose code joins two test commands ([, [[, ((, test, assert*, refute*,
# optionally after !) with &&, unless the list is the condition of
# if/elif/while/until or is guarded by || (`a && b || fail`).  Comments,
# "..." strings and here-documents are not code; '...' is (scripts passed
# to in_private_ns are single-quoted).  Prints FILE:LINE: and exits 1 for
# each.  Without FILES it first checks itself on tests/lint/fixtures/:
# every line of assert_chain_bad.bats marked "# CHAIN" and nothing else.
set -euo pipefail
cd "$(dirname "$0")/../.."

chains() {
	awk '
	FNR == 1 { heredoc = ""; dq = 0; logical = "" }
	heredoc != "" {
		line = $0
		sub(/^\t+/, "", line)
		if (line == heredoc)
			heredoc = ""
		next
	}
	{
		code = strip($0)
		if (match(code, /<<-?[ \t]*["\047]?[A-Za-z_][A-Za-z_0-9]*/) && substr(code, RSTART + 2, 1) != "<") {
			heredoc = substr(code, RSTART, RLENGTH)
			sub(/^<<-?[ \t]*["\047]?/, "", heredoc)
		}
		if (logical == "")
			start = FNR
		logical = logical " " code
		# a list continued on the next line
		if (dq || logical ~ /(&&|\|\||\||\\)[ \t]*$/)
			next
		check(logical, start)
		logical = ""
	}
	# strip(s): s without comments and with the text of "..." strings
	# blanked (a string may span lines: dq carries it over)
	function strip(s,   out, i, c) {
		out = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (dq) {
				if (c == "\\")
					i++
				else if (c == "\"") {
					dq = 0
					out = out c
				}
				continue
			}
			if (c == "\\") {
				out = out substr(s, i, 2)
				i++
			} else if (c == "\"") {
				dq = 1
				out = out c
			} else if (c == "#" && (i == 1 || substr(s, i - 1, 1) ~ /[ \t;]/))
				break
			else
				out = out c
		}
		return out
	}
	function mask(s, re, by) {
		while (match(s, re))
			s = substr(s, 1, RSTART - 1) by substr(s, RSTART + RLENGTH)
		return s
	}
	function is_test(c) {
		sub(/^[ \t]*(![ \t]+)?/, "", c)
		return c ~ /^(\[|\[\[|test|assert[A-Za-z_]*|refute[A-Za-z_]*|ARITH|TEST2)([ \t]|$)/
	}
	function check(s, line,   n, lists, i, k, cmds) {
		# what holds && or || that do not join commands, or parentheses
		# that are no subshell: arithmetic, substitutions, [[ ]]
		s = mask(s, "\\$\\(\\([^()]*\\)\\)", "$X")
		s = mask(s, "\\(\\([^()]*\\)\\)", "ARITH")
		s = mask(s, "[$<>]\\([^()]*\\)", "$X")
		s = mask(s, "\\[\\[[^]]*\\]\\]", "TEST2")
		gsub(/&&/, "\001", s)
		gsub(/\|\|/, "\002", s)
		n = split(s, lists, /[;&(){}]/)
		for (i = 1; i <= n; i++) {
			sub(/^[ \t]*((then|do|else)[ \t]+)*/, "", lists[i])
			if (lists[i] ~ /^(if|elif|while|until)([ \t]|$)/ || index(lists[i], "\002"))
				continue
			k = split(lists[i], cmds, "\001")
			for (; k > 1; k--)
				if (is_test(cmds[k]) && is_test(cmds[k - 1])) {
					print FILENAME ":" line ": chained assertions (one per line: under set -e only the last of a && list can fail)"
					break
				}
		}
	}
	' "$@"
}

if [ $# -gt 0 ]; then
	out=$(chains "$@")
	[ -z "$out" ] || { echo "$out"; exit 1; }
	exit 0
fi

fix=tests/lint/fixtures
want=$(grep -n '# CHAIN$' "$fix/assert_chain_bad.bats" | cut -d: -f1 | sed "s|^|$fix/assert_chain_bad.bats:|")
got=$(chains "$fix/assert_chain_bad.bats" "$fix/assert_chain_good.bats" | cut -d: -f1,2)
if [ "$got" != "$want" ]; then
	echo "self-test: the lint does not see exactly the marked lines of $fix/:"
	diff <(echo "$want") <(echo "$got") || true
	exit 1
fi
out=$(chains tests/bats/*.bats tests/bats/*.bash)
[ -z "$out" ] || { echo "$out"; exit 1; }

#!/bin/bash
# summarize.sh RAW NOTES MACHINE > results.md - medians, ratios, targets.
set -euo pipefail
raw=$1 notes=$2 machine=$3
cat "$machine"
echo
awk -v notes="$notes" '
# med(v, key): the median of v[key, 1..cnt[key]] (wall ms, RSS, CPU ms)
function med(v, key,   n, i, j, t, a) {
	n = cnt[key]
	if (!n) return ""
	for (i = 1; i <= n; i++) a[i] = v[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function median(key) { return med(val, key) }
function mrss(key) { return med(rss, key) }
# t(s, n, cmd): median ms, or "" when no run succeeded
function t(s, n, c) { return median(s SUBSEP n SUBSEP c) }
function cell(s, n, c,   m, k) {
	k = s SUBSEP n SUBSEP c
	m = median(k)
	if (m != "") return sprintf("%.1f", m)
	if (k in bad) return "fail (exit " bad[k] ")"
	return "–"
}
function mib(s, n, c,   m) { m = mrss(s SUBSEP n SUBSEP c); return m == "" ? "–" : sprintf("%.1f", m / 1024) }
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "–" : sprintf("%.2f×", a / b) }
# the floor and the statmount() calls of reading its copy back: what the kernel
# takes of a verified replay
function verify_floor(s, n) {
	if (t(s, n, "floor") == "" || t(s, n, "statmount-copy") == "") return ""
	return t(s, n, "floor") + t(s, n, "statmount-copy")
}
function verdict(ok) { return ok ? "PASS" : "FAIL" }
function target(what, a, b, limit,   r) {
	if (a == "" || b == "") { printf "| %s | – | ≤ %s | n/a (not measured or failed) |\n", what, limit; nfail++; return }
	r = a / b
	printf "| %s | %.2f | ≤ %s | %s |\n", what, r, limit, verdict(r <= limit)
	if (r > limit) nfail++
}
{
	k = $1 SUBSEP $2 SUBSEP $3
	# diff and sort|diff exit 1 when the sides differ: a valid run
	if ($7 == 0 || ($7 == 1 && ($3 == "diff" || $3 == "sort-diff" || $3 == "check"))) { cnt[k]++; val[k, cnt[k]] = $5; rss[k, cnt[k]] = $6; usr[k, cnt[k]] = $8; sys[k, cnt[k]] = $9 }
	else bad[k] = $7
	if (!($1 in seen_s)) { seen_s[$1] = 1; shapes[++ns] = $1 }
	if (!($2 in seen_n)) { seen_n[$2] = 1; ns_n[++nn] = $2 }
}
END {
	print "## Capture (median wall ms; ratios to the baselines in the same batch)\n"
	print "`statmount floor` is `floor -s`: the statmount() calls capture makes (every mount,"
	print "every field it asks, on two threads), nothing else: what the kernel takes of a capture.\n"
	print "| shape | N | cat mountinfo (multi: floor -i) | findmnt --raw | findmnt --json --list | statmount floor | mntsnap capture | ÷ json --list | ÷ cat | ÷ statmount floor | statmount floor ÷ cat | RSS MiB capture / findmnt |"
	print "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) for (j = 1; j <= nn; j++) {
		s = shapes[i]; n = ns_n[j]
		if (t(s, n, "cat") == "") continue
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", s, n, cell(s, n, "cat"), cell(s, n, "findmnt-raw"),
			cell(s, n, "findmnt-json-list"), cell(s, n, "statmount"), cell(s, n, "capture"),
			ratio(t(s, n, "capture"), t(s, n, "findmnt-json-list")), ratio(t(s, n, "capture"), t(s, n, "cat")),
			ratio(t(s, n, "capture"), t(s, n, "statmount")), ratio(t(s, n, "statmount"), t(s, n, "cat")),
			mib(s, n, "capture"), mib(s, n, "findmnt-json-list")
	}
	print "\n## Replay --new (median wall ms of the whole process; tree of N+1 mounts)\n"
	print "`statmount of the copy` is `floor -s` of the copy `replay --no-verify` made: what the kernel"
	print "takes to read it back, as the verification does.\n"
	print "| shape | N | floor | replay --no-verify | replay (verify) | no-verify ÷ floor | verify ÷ floor | statmount of the copy | (floor + it) ÷ floor | RSS MiB floor / no-verify / verify |"
	print "|---|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) for (j = 1; j <= nn; j++) {
		s = shapes[i]; n = ns_n[j]
		if (t(s, n, "floor") == "" && !((s SUBSEP n SUBSEP "floor") in bad)) continue
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |\n", s, n, cell(s, n, "floor"), cell(s, n, "replay-noverify"),
			cell(s, n, "replay-verify"), ratio(t(s, n, "replay-noverify"), t(s, n, "floor")),
			ratio(t(s, n, "replay-verify"), t(s, n, "floor")), cell(s, n, "statmount-copy"),
			ratio(verify_floor(s, n), t(s, n, "floor")),
			mib(s, n, "floor"), mib(s, n, "replay-noverify"), mib(s, n, "replay-verify")
	}
	print "\n## Diff of the layout and its replayed copy (median wall ms)\n"
	print "| shape | N | sort\\|diff, ids stripped | mntsnap diff | ÷ sort\\|diff | RSS MiB sort\\|diff / mntsnap diff | MiB of A.json + B.json | mntsnap check (full spec) | check ÷ diff |"
	print "|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) for (j = 1; j <= nn; j++) {
		s = shapes[i]; n = ns_n[j]
		if (t(s, n, "sort-diff") == "") continue
		printf "| %s | %s | %s | %s | %s | %s / %s | %s | %s | %s |\n", s, n, cell(s, n, "sort-diff"), cell(s, n, "diff"),
			ratio(t(s, n, "diff"), t(s, n, "sort-diff")), mib(s, n, "sort-diff"), mib(s, n, "diff"),
			mib(s, n, "json-files"), cell(s, n, "check"), ratio(t(s, n, "check"), t(s, n, "diff"))
	}
	print "\n## Linearity: t(50k)/t(10k) and RSS(50k)/RSS(10k) (5.0 = linear)\n"
	print "Wall time is what the target judges. User and system CPU time (medians, from"
	print "wait4) split it into the work of the command itself and of the kernel: the baselines"
	print "(`floor`, `cat`, `sort-diff`, `statmount`, `statmount-copy`) show how far this machine and kernel are from"
	print "linear by themselves (`sort-diff` CPU is not measured: bash does not wait for"
	print "the processes of its `<(...)` substitutions).\n"
	print "| shape | command | wall ratio | user CPU ratio | sys CPU ratio | RSS ratio | user / sys ms at 50k |"
	print "|---|---|---|---|---|---|---|"
	split("capture replay-noverify replay-verify diff floor cat sort-diff statmount statmount-copy", cmds, " ")
	for (i = 1; i <= ns; i++) for (c = 1; c <= 9; c++) {
		s = shapes[i]; a = t(s, 50000, cmds[c]); b = t(s, 10000, cmds[c])
		if (a == "" || b == "") continue
		k5 = s SUBSEP 50000 SUBSEP cmds[c]; k1 = s SUBSEP 10000 SUBSEP cmds[c]
		printf "| %s | %s | %.2f | %s | %s | %.2f | %s |\n", s, cmds[c], a / b,
			cmds[c] == "sort-diff" ? "–" : ratio(med(usr, k5), med(usr, k1)),
			cmds[c] == "sort-diff" ? "–" : ratio(med(sys, k5), med(sys, k1)),
			mrss(k5) / mrss(k1), cmds[c] == "sort-diff" ? "–" : sprintf("%.0f / %.0f", med(usr, k5), med(sys, k5))
	}
	# the targets of issue 16 (README.md, Targets)
	print "\n## Targets\n"
	print "| target | measured | limit | result |"
	print "|---|---|---|---|"
	for (i = 1; i <= ns; i++) for (j = 1; j <= nn; j++) {
		s = shapes[i]; n = ns_n[j]
		if (t(s, n, "cat") == "" || n < 10000) continue
		target(s " capture " n (s == "multi" ? " ÷ floor -i" : " ÷ cat"), t(s, n, "capture"), t(s, n, "cat"), 1.5)
		# not a target: the statmount() calls alone against the same baseline
		if (t(s, n, "statmount") != "")
			printf "| (statmount floor %s %s ÷ the same, the kernel alone) | %.2f | – | – |\n", s, n,
				t(s, n, "statmount") / t(s, n, "cat")
	}
	for (i = 1; i <= ns; i++) for (j = 1; j <= nn; j++) {
		s = shapes[i]; n = ns_n[j]
		if (t(s, n, "floor") == "" || n < 10000) continue
		target(s " replay --no-verify " n " ÷ floor", t(s, n, "replay-noverify"), t(s, n, "floor"), 1.3)
		target(s " replay (verify) " n " ÷ floor", t(s, n, "replay-verify"), t(s, n, "floor"), 1.6)
		if (verify_floor(s, n) != "")
			printf "| ((floor + statmount of the copy) %s %s ÷ floor, the kernel alone) | %.2f | – | – |\n", s, n,
				verify_floor(s, n) / t(s, n, "floor")
	}
	# K namespaces of M mounts against one namespace of K x M (flat: the
	# same tmpfs mounts, one namespace)
	for (j = 1; j <= nn; j++) {
		n = ns_n[j]
		if (n < 10000 || t("multi", n, "replay-noverify") == "" || t("flat", n, "replay-noverify") == "") continue
		target("multi replay --no-verify " n " ÷ flat", t("multi", n, "replay-noverify"), t("flat", n, "replay-noverify"), 1.5)
		target("multi replay (verify) " n " ÷ flat", t("multi", n, "replay-verify"), t("flat", n, "replay-verify"), 1.5)
		# not a target: what the kernel alone takes for the same layouts
		if (t("multi", n, "floor") != "" && t("flat", n, "floor") != "")
			printf "| (the floors: multi %s ÷ flat, the kernel alone) | %.2f | – | – |\n", n,
				t("multi", n, "floor") / t("flat", n, "floor")
	}
	for (i = 1; i <= ns; i++) {
		s = shapes[i]
		if (t(s, 50000, "sort-diff") == "") continue
		target(s " diff 50k ÷ sort|diff", t(s, 50000, "diff"), t(s, 50000, "sort-diff"), 1.2)
		# its peak RSS against the size of the two snapshots it reads
		if (t(s, 50000, "json-files") != "")
			target(s " diff 50k peak RSS ÷ its two files", mrss(s SUBSEP 50000 SUBSEP "diff"),
				mrss(s SUBSEP 50000 SUBSEP "json-files"), 2)
		if (t(s, 50000, "check") != "")
			target(s " check 50k ÷ diff", t(s, 50000, "check"), t(s, 50000, "diff"), 2)
	}
	# linear: t(100k)/t(10k) <= 11 where a 100k cell ran, else the 50k proxy
	for (i = 1; i <= ns; i++) for (c = 1; c <= 4; c++) {
		s = shapes[i]
		if (t(s, 10000, cmds[c]) == "") continue
		if (t(s, 100000, cmds[c]) != "")
			target(s " " cmds[c] " t(100k)/t(10k)", t(s, 100000, cmds[c]), t(s, 10000, cmds[c]), 11)
		else if (t(s, 50000, cmds[c]) != "")
			target(s " " cmds[c] " t(50k)/t(10k)", t(s, 50000, cmds[c]), t(s, 10000, cmds[c]), 5.5)
	}
	printf "\n%d target(s) failed or not measured.\n", nfail
}' "$raw"
echo
echo "## Notes (correctness checks and failures, per cell)"
echo
sed 's/^/- /' "$notes"

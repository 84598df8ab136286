# lib.sh - helpers shared by the bench scripts (sourced).

# canon_mountinfo BASE < mountinfo: the mounts at or below BASE, rebased so
# BASE is "/", without ids and device numbers, peer groups renumbered in order
# of first appearance (by mountpoint), sorted: two layouts that are the same
# modulo renumbering print the same text.  BASE "" keeps every mount.
canon_mountinfo() {
	awk -v base="$1" '
	base == "" || $5 == base || index($5, base "/") == 1 {
		mp = (base == "" || $5 == base) ? ($5 == base ? "/" : $5) : substr($5, length(base) + 1)
		print mp "\t" NR "\t" $0
	}' | sort -t "$(printf '\t')" -k1,1 -k2,2n | awk -F '\t' '
	function canon(id) { if (!(id in map)) map[id] = ++next_id; return map[id] }
	{
		split($3, f, " ")
		out = $1 " " f[4] " " f[6]
		for (i = 7; f[i] != "-"; i++) {
			if (f[i] ~ /^(shared|master):/) {
				split(f[i], kv, ":")
				out = out " " kv[1] ":" canon(kv[2])
			} else if (f[i] !~ /^propagate_from:/) {
				out = out " " f[i]
			}
		}
		out = out " -"
		for (j = i + 1; f[j] != ""; j++)
			out = out " " f[j]
		print out
	}'
}

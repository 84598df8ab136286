# mi2json.awk - a minimal snapshot (only the fields desc.jq reads) from a
# mountinfo dump, for the floor when `mntsnap capture` is not available:
#   awk -v base=BASE -f mi2json.awk /proc/self/mountinfo > snap.json
# Keeps the mounts at or below BASE and rewrites their mountpoints as
# --subtree does (BASE becomes "/").
function rebase(p) { return p == base ? "/" : substr(p, length(base) + 1) }
BEGIN { printf "{\"namespaces\":[{\"mounts\":[" }
$5 == base || index($5, base "/") == 1 {
	shared = 0; master = 0
	for (i = 7; $i != "-"; i++) {
		if ($i ~ /^shared:/) shared = substr($i, 8)
		if ($i ~ /^master:/) master = substr($i, 8)
	}
	parent = ($5 == base) ? "null" : $2
	printf "%s{\"id\":%s,\"parent\":%s,\"dev\":\"%s\",\"root\":\"%s\",\"mountpoint\":\"%s\",\"fstype\":\"%s\",\"shared_id\":%s,\"master_id\":%s}", \
		n++ ? "," : "", $1, parent, $3, $4, rebase($5), $(i + 1), shared, master
}
END { print "]}]}" }

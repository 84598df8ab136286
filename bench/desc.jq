# desc.jq - a snapshot's first namespace as floor's compact description
# (floor.c documents the format).  Usage:
#   jq -r --arg prefix LIVEPREFIX -f desc.jq snap.json > desc.tsv
# LIVEPREFIX is prepended to a mountpoint to reach the live mount (the subtree
# path when the snapshot was taken with --subtree, else "").
def rel($path; $base):
  if $path == $base then "."
  elif $base == "/" then $path[1:]
  else $path[($base | length) + 1:] end;

.namespaces[0].mounts as $m
| ($m | map({key: (.id | tostring), value: .}) | from_entries) as $byid
| ($m | to_entries | map({key: (.value.id | tostring), value: .key}) | from_entries) as $ix
# a mount with a child on its own root is covered: its path reaches the child
| ([$m[] | select(.parent != null)
     | select($byid[.parent | tostring].mountpoint == .mountpoint)
     | {key: (.parent | tostring), value: true}] | from_entries) as $covered
| ([$m | group_by(.dev)[]
     | (map(select($covered[.id | tostring] | not))) as $vis
     | if ($vis | length) > 0 then
         ($vis | min_by(.root | length)) as $s
         | {dev: $s.dev, kind: "live", root: $s.root,
            arg: (if $s.mountpoint == "/" then (if $prefix == "" then "/" else $prefix end)
                  else $prefix + $s.mountpoint end)}
       else
         {dev: .[0].dev, kind: "new", root: "/", arg: (.[0].fstype | split(".")[0])}
       end]) as $srcs
| ($srcs | to_entries | map({key: .value.dev, value: .key}) | from_entries) as $srcno
| ($srcs | to_entries[] | ["S", .key, .value.kind, .value.arg] | @tsv),
  ($m | to_entries[]
   | .value as $x
   | $srcs[$srcno[$x.dev]] as $s
   | ["M", .key,
      (if $x.parent == null then -1 else $ix[$x.parent | tostring] end),
      $srcno[$x.dev],
      rel($x.root; $s.root),
      (if $x.parent == null then "." else rel($x.mountpoint; $byid[$x.parent | tostring].mountpoint) end),
      $x.shared_id, $x.master_id] | @tsv)

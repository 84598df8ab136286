# strip.awk - a mountinfo line without mount ids, parent ids, device numbers
# and group numbers: what a text diff of two namespaces must drop to compare
# layouts (the baseline `sort | diff` of the diff benchmark).
{
	out = $4 " " $5 " " $6
	for (i = 7; $i != "-"; i++) { sub(/:[0-9]+$/, "", $i); out = out " " $i }
	for (j = i; j <= NF; j++) out = out " " $j
	print out
}

# mapred_lib.sh - helpers for the mapred integration tests, sourced after
# lib.sh: the catalog in the test's directory, generated text, and the
# independent word count every result is checked against.

export MAPRED_CATALOG=$T/catalog.db
GEN_TEXT=$BUILD/bench/wordcount/gen_text
[ -x "$GEN_TEXT" ] || fail "gen_text is not built ($GEN_TEXT)"

# oracle FILE OUT: "word<TAB>count" lines of FILE in C order, counted by
# tr/sort/uniq -- nothing of mapred's.
oracle() {
	tr -cs 'A-Za-z' '\n' <"$1" | LC_ALL=C sort | uniq -c | awk 'NF == 2 { print $2 "\t" $1 }' >"$2"
}

# check_wordcount DIR REDUCERS REFERENCE: DIR holds REDUCERS parts, each
# sorted byte-wise, with no word in two parts, which together equal
# REFERENCE.
check_wordcount() {
	local dir=$1 nred=$2 ref=$3 parts
	[ -f "$dir/_SUCCESS" ] || fail "no _SUCCESS in $dir"
	parts=$(find "$dir" -name 'part-r-*' | wc -l)
	[ "$parts" = "$nred" ] || fail "$dir holds $parts parts, want $nred"
	for p in "$dir"/part-r-*; do
		LC_ALL=C sort -c "$p" 2>/dev/null || fail "$p is not sorted byte-wise"
	done
	cat "$dir"/part-r-* | cut -f1 | LC_ALL=C sort | uniq -d >"$T/dups"
	[ ! -s "$T/dups" ] || fail "words in two parts: $(head -3 "$T/dups")"
	cat "$dir"/part-r-* | LC_ALL=C sort >"$T/got.sorted"
	if ! cmp -s "$T/got.sorted" "$ref"; then
		diff "$T/got.sorted" "$ref" | head -10 >&2
		fail "the word counts in $dir differ from tr|sort|uniq's ($(wc -l <"$T/got.sorted") vs $(wc -l <"$ref") words)"
	fi
}

# Blocks kept by the block store, as files on the agents' disks.
stored_blocks() { find "$CLUSTER" -path '*/frameworks/*/tasks/s.*/blk' -type f | wc -l; }

#ifndef ALCO_RE2_H
#define ALCO_RE2_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled pattern (RE2: linear-time matching, bounded memory, no backtracking).
typedef struct alco_re2 alco_re2;

/// Compiles a grep -E pattern: POSIX egrep syntax with leftmost-longest matches, plus the
/// GNU grep extensions \w \W \s \S \d \D \b \B. `max_memory` bounds the compiled program
/// (bytes). Returns NULL on failure, with RE2's reason in `error` (NUL-terminated, cut to fit).
alco_re2 *alco_re2_compile(const char *pattern, size_t length, int case_sensitive, int64_t max_memory,
                           char *error, size_t error_capacity);

void alco_re2_free(alco_re2 *re);

/// 1 when the pattern matches somewhere in `text`, else 0.
int alco_re2_matches(const alco_re2 *re, const char *text, size_t length);

/// The first match starting at or after `from` (anchors see the whole text): returns 1 and
/// its byte range [*start, *end), or 0 when there is none.
int alco_re2_find(const alco_re2 *re, const char *text, size_t length, size_t from, size_t *start, size_t *end);

/// Compiles a pattern in RE2's own (Perl-like) syntax, with named groups `(?P<name>...)`,
/// case-sensitive, for matching at the start of a text: log formats' line patterns.
alco_re2 *alco_re2_compile_groups(const char *pattern, size_t length, int64_t max_memory, char *error,
                                  size_t error_capacity);

/// How many capturing groups the pattern has.
int alco_re2_group_count(const alco_re2 *re);

/// The name of group `index` (1-based), or NULL for an unnamed one. Valid while `re` lives.
const char *alco_re2_group_name(const alco_re2 *re, int index);

/// Matches at the start of `text`; on a match returns 1 and fills `spans` (2 × (groups + 1)
/// entries: start and end of the whole match, then of each group; -1 for a group that did
/// not take part), else returns 0.
int alco_re2_match_prefix(const alco_re2 *re, const char *text, size_t length, int64_t *spans, int groups);

#ifdef __cplusplus
}
#endif

#endif

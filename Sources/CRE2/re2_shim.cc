// The C face of RE2 for Swift: compile with grep -E's semantics, match, find. Errors are
// returned as text; nothing here throws (RE2 itself does not) or logs to stderr.
#include "alco_re2.h"

#include <re2/re2.h>
#include <string.h>

#include <map>
#include <string>
#include <vector>

struct alco_re2 {
    re2::RE2 *re;
    /// Group names by index (empty for unnamed groups), for the groups form.
    std::vector<std::string> names;
};

/// Compiles with `options`; on failure NULL, with RE2's reason in `error` (cut to fit).
static re2::RE2 *compile(const char *pattern, size_t length, const re2::RE2::Options &options, char *error,
                         size_t error_capacity) {
    re2::RE2 *re = new re2::RE2(re2::StringPiece(pattern, length), options);
    if (re->ok()) return re;
    if (error && error_capacity > 0) {
        const std::string &why = re->error();
        size_t n = why.size() < error_capacity - 1 ? why.size() : error_capacity - 1;
        memcpy(error, why.data(), n);
        error[n] = 0;
    }
    delete re;
    return nullptr;
}

extern "C" alco_re2 *alco_re2_compile(const char *pattern, size_t length, int case_sensitive, int64_t max_memory,
                                      char *error, size_t error_capacity) {
    re2::RE2::Options options;
    options.set_posix_syntax(true);
    options.set_longest_match(true);
    options.set_perl_classes(true);
    options.set_word_boundary(true);
    options.set_case_sensitive(case_sensitive != 0);
    options.set_max_mem(max_memory);
    options.set_log_errors(false);
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    re2::RE2 *re = compile(pattern, length, options, error, error_capacity);
    if (!re) return nullptr;
    return new alco_re2{re};
}

extern "C" void alco_re2_free(alco_re2 *re) {
    if (!re) return;
    delete re->re;
    delete re;
}

extern "C" int alco_re2_matches(const alco_re2 *re, const char *text, size_t length) {
    return re->re->Match(re2::StringPiece(text, length), 0, length, re2::RE2::UNANCHORED, nullptr, 0) ? 1 : 0;
}

extern "C" int alco_re2_find(const alco_re2 *re, const char *text, size_t length, size_t from, size_t *start,
                             size_t *end) {
    if (from > length) return 0;
    re2::StringPiece match;
    if (!re->re->Match(re2::StringPiece(text, length), from, length, re2::RE2::UNANCHORED, &match, 1)) return 0;
    *start = (size_t)(match.data() - text);
    *end = *start + match.size();
    return 1;
}

extern "C" alco_re2 *alco_re2_compile_groups(const char *pattern, size_t length, int64_t max_memory, char *error,
                                             size_t error_capacity) {
    re2::RE2::Options options;
    options.set_max_mem(max_memory);
    options.set_log_errors(false);
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    re2::RE2 *re = compile(pattern, length, options, error, error_capacity);
    if (!re) return nullptr;
    alco_re2 *out = new alco_re2{re, {}};
    out->names.resize(re->NumberOfCapturingGroups() + 1);
    for (const auto &entry : re->CapturingGroupNames()) {
        if (entry.first >= 0 && (size_t)entry.first < out->names.size()) out->names[entry.first] = entry.second;
    }
    return out;
}

extern "C" int alco_re2_group_count(const alco_re2 *re) { return re->re->NumberOfCapturingGroups(); }

extern "C" const char *alco_re2_group_name(const alco_re2 *re, int index) {
    if (index < 1 || (size_t)index >= re->names.size() || re->names[index].empty()) return nullptr;
    return re->names[index].c_str();
}

extern "C" int alco_re2_match_prefix(const alco_re2 *re, const char *text, size_t length, int64_t *spans, int groups) {
    int n = groups + 1;
    // On the stack for the patterns formats have (a vector per line was a malloc per line).
    re2::StringPiece local[32];
    std::vector<re2::StringPiece> heap;
    re2::StringPiece *found = local;
    if (n > 32) {
        heap.resize(n);
        found = heap.data();
    }
    if (!re->re->Match(re2::StringPiece(text, length), 0, length, re2::RE2::ANCHOR_START, found, n)) return 0;
    for (int i = 0; i < n; i++) {
        if (found[i].data() == nullptr) {
            spans[2 * i] = -1;
            spans[2 * i + 1] = -1;
        } else {
            spans[2 * i] = (int64_t)(found[i].data() - text);
            spans[2 * i + 1] = spans[2 * i] + (int64_t)found[i].size();
        }
    }
    return 1;
}

// The C face of RE2 for Swift: compile with grep -E's semantics, match, find. Errors are
// returned as text; nothing here throws (RE2 itself does not) or logs to stderr.
#include "alco_re2.h"

#include <re2/re2.h>
#include <string.h>

struct alco_re2 {
    re2::RE2 *re;
};

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
    re2::RE2 *re = new re2::RE2(re2::StringPiece(pattern, length), options);
    if (!re->ok()) {
        if (error && error_capacity > 0) {
            const std::string &why = re->error();
            size_t n = why.size() < error_capacity - 1 ? why.size() : error_capacity - 1;
            memcpy(error, why.data(), n);
            error[n] = 0;
        }
        delete re;
        return nullptr;
    }
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

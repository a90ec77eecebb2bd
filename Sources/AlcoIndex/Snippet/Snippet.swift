/// Builds Sphinx-style snippets: the text with matches wrapped in markers, cut to passages of
/// `around` words around the matches when it is longer than `limit` characters.
public enum Snippet {
    public static func make(_ text: String, highlighter: Highlighter, options: SnippetOptions) -> String {
        let bytes = Array(text.utf8)
        let hits = highlighter.ranges(in: text)
        let charCount = text.count
        if options.limit <= 0 || charCount <= options.limit {
            return wrap(bytes, 0..<bytes.count, hits: hits, options: options)
        }
        let tokens = Tokenizer.wordRanges(text)
        guard !hits.isEmpty, !tokens.isEmpty else {
            return String(decoding: bytes.prefix(prefixBytes(text, chars: options.limit)), as: UTF8.self)
                + (options.limit < charCount ? options.chunkSeparator.trimmingLeadingSpace : "")
        }
        // Passages: `around` tokens either side of each hit, merged when they touch. A client's
        // `around` is any integer: below 0 it is 0, and no more than the tokens there are.
        let around = min(max(0, options.around), tokens.count)
        var passages: [Range<Int>] = []
        for h in hits {
            let first = tokens.firstIndex { $0.upperBound > h.lowerBound } ?? tokens.count - 1
            let last = tokens.lastIndex { $0.lowerBound < h.upperBound } ?? first
            let lo = tokens[max(0, first - around)].lowerBound
            let hi = tokens[min(tokens.count - 1, last + around)].upperBound
            let r = min(lo, h.lowerBound)..<max(hi, h.upperBound)
            if let p = passages.last, r.lowerBound <= p.upperBound {
                passages[passages.count - 1] = p.lowerBound..<max(p.upperBound, r.upperBound)
            } else {
                passages.append(r)
            }
        }
        var out = ""
        var used = 0
        for (k, p) in passages.enumerated() {
            let length = String(decoding: bytes[p], as: UTF8.self).count
            if used > 0 && used + length > options.limit { break }
            if k > 0 || p.lowerBound > 0 { out += options.chunkSeparator }
            out += wrap(bytes, p, hits: hits, options: options)
            used += length
        }
        if let last = passages.last, last.upperBound < bytes.count { out += options.chunkSeparator }
        return out
    }

    static func wrap(_ bytes: [UInt8], _ span: Range<Int>, hits: [Range<Int>], options: SnippetOptions) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(span.count + hits.count * 8)
        var at = span.lowerBound
        for h in hits where h.upperBound > span.lowerBound && h.lowerBound < span.upperBound {
            let s = max(h.lowerBound, span.lowerBound)
            let e = min(h.upperBound, span.upperBound)
            out.append(contentsOf: bytes[at..<s])
            out.append(contentsOf: options.beforeMatch.utf8)
            out.append(contentsOf: bytes[s..<e])
            out.append(contentsOf: options.afterMatch.utf8)
            at = e
        }
        out.append(contentsOf: bytes[at..<span.upperBound])
        return String(decoding: out, as: UTF8.self)
    }

    static func prefixBytes(_ text: String, chars: Int) -> Int {
        var n = 0
        for (k, c) in text.enumerated() {
            if k >= chars { break }
            n += c.utf8.count
        }
        return n
    }
}

extension String {
    var trimmingLeadingSpace: String { String(drop { $0 == " " }) }
}

/// Builds Sphinx-style snippets: the text with matches wrapped in markers and, when it is longer
/// than `limit` characters, cut to passages around the matches.
///
/// A passage is grown much as Sphinx 2.2 grows one (compared on the LogHub lines; README says
/// where they still differ): from the matched word a word at a time, after it first and then
/// before it, alternately, at most `around` words each side, while its text stays within
/// `limit` characters (a side whose next word would not fit takes no more; the other goes on).
/// Its text starts at the separators before its first word and ends at its last word, with the
/// separators that follow when they fit (up to a space, or all of them at the end of the text).
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
        // A client's `around` is any integer: below 0 it is 0, and no more than the words there are.
        let around = min(max(0, options.around), tokens.count)
        var passages: [Range<Int>] = []
        for h in hits {
            let first = tokens.firstIndex { $0.upperBound > h.lowerBound } ?? tokens.count - 1
            let last = max(first, tokens.lastIndex { $0.lowerBound < h.upperBound } ?? first)
            let grown = Passage(bytes: bytes, words: tokens, limit: options.limit).grown(first...last, around: around)
            let r = min(grown.lowerBound, h.lowerBound)..<max(grown.upperBound, h.upperBound)
            if let p = passages.last, r.lowerBound <= p.upperBound {
                // Overlapping passages become one while it fits the limit; past it the first stays.
                let merged = p.lowerBound..<max(p.upperBound, r.upperBound)
                if Passage.characters(bytes[merged]) <= options.limit { passages[passages.count - 1] = merged }
            } else {
                passages.append(r)
            }
        }
        var out = ""
        var used = 0
        var end = 0
        for (k, p) in passages.enumerated() {
            let length = Passage.characters(bytes[p])
            if used > 0 && used + length > options.limit { break }
            if k > 0 || p.lowerBound > 0 { out += options.chunkSeparator }
            out += wrap(bytes, p, hits: hits, options: options)
            used += length
            end = p.upperBound
        }
        if end < bytes.count { out += options.chunkSeparator }
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

/// One passage's text as words are added around its match.
struct Passage {
    let bytes: [UInt8]
    /// Byte ranges of the text's words.
    let words: [Range<Int>]
    let limit: Int

    /// Characters (code points) in UTF-8 bytes: those that do not continue one.
    static func characters(_ slice: ArraySlice<UInt8>) -> Int { slice.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }

    /// The bytes of words `span` with the separators before the first: from the end of the
    /// word before (the start of the text for the first word) to the end of the last word.
    func text(_ span: ClosedRange<Int>) -> Range<Int> {
        let start = span.lowerBound == 0 ? 0 : words[span.lowerBound - 1].upperBound
        return start..<words[span.upperBound].upperBound
    }

    func fits(_ span: ClosedRange<Int>) -> Bool { Passage.characters(bytes[text(span)]) <= limit }

    /// The words around `core` the passage takes, as text with its separators.
    func grown(_ core: ClosedRange<Int>, around: Int) -> Range<Int> {
        var span = core
        var after = 0
        var before = 0
        var afterNext = true
        // A side whose next word does not fit is closed; the other side goes on.
        var afterOpen = true
        var beforeOpen = true
        while true {
            let canAfter = afterOpen && after < around && span.upperBound + 1 < words.count
            let canBefore = beforeOpen && before < around && span.lowerBound > 0
            guard canAfter || canBefore else { break }
            let takeAfter = canAfter && (afterNext || !canBefore)
            let next = takeAfter ? span.lowerBound...(span.upperBound + 1) : (span.lowerBound - 1)...span.upperBound
            if fits(next) {
                span = next
                if takeAfter { after += 1 } else { before += 1 }
            } else if takeAfter {
                afterOpen = false
            } else {
                beforeOpen = false
            }
            afterNext = !takeAfter
        }
        let range = text(span)
        // The separators after the last word when they fit: all of them at the end of the
        // text, else up to a space.
        var end = span.upperBound + 1 < words.count ? words[span.upperBound + 1].lowerBound : bytes.count
        if end < bytes.count {
            end = range.upperBound
            while end < bytes.count && bytes[end] != 0x20 && bytes[end] != 0x09 && end < words[span.upperBound + 1].lowerBound { end += 1 }
        }
        if Passage.characters(bytes[range.lowerBound..<end]) <= limit { return range.lowerBound..<end }
        return range
    }
}

extension String {
    var trimmingLeadingSpace: String { String(drop { $0 == " " }) }
}

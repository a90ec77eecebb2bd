import CRE2

/// A log format's line pattern: RE2 syntax with named groups, matched at the start of a line
/// in linear time (no backtracking, whatever the pattern or the line).
public final class LinePattern: @unchecked Sendable {
    public let source: String
    /// Group names by index (1-based; nil for unnamed groups).
    public let groupNames: [String?]
    private let compiled: OpaquePointer
    private let groups: Int

    public init(_ pattern: String) throws {
        var error = [CChar](repeating: 0, count: 256)
        let bytes = Array(pattern.utf8)
        let re = bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { c in alco_re2_compile_groups(c.baseAddress, c.count, 8 << 20, &error, error.count) }
        }
        guard let re else {
            let why = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw FormatError("invalid pattern '\(pattern)': \(why)")
        }
        compiled = re
        source = pattern
        groups = Int(alco_re2_group_count(re))
        groupNames = [nil] + (1...max(1, groups)).prefix(groups).map { i in alco_re2_group_name(re, Int32(i)).map { String(cString: $0) } }
    }

    deinit { alco_re2_free(compiled) }

    /// The byte ranges of each group (index 0: the whole match) when the line starts with a
    /// match, written into `spans` (reused between lines); false when it does not.
    public func match(_ line: UnsafeRawBufferPointer, into spans: inout [Int64]) -> Bool {
        let needed = 2 * (groups + 1)
        if spans.count != needed { spans = [Int64](repeating: -1, count: needed) }
        guard let base = line.baseAddress else {
            return alco_re2_match_prefix(compiled, "", 0, &spans, Int32(groups)) == 1
        }
        return alco_re2_match_prefix(compiled, base.assumingMemoryBound(to: CChar.self), line.count, &spans, Int32(groups)) == 1
    }
}

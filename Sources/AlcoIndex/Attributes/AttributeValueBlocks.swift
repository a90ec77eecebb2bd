/// A js key's value dictionary from format 6 on (attribute flag 8): values in byte order, in
/// blocks of `blockSize`. A block's first value is whole; each other value is the count of
/// bytes it shares with the one before and the rest (sorted ids and request-scoped values
/// share long prefixes). Each value then has its doc count and either its docs inline, the
/// first whole and the rest as gaps, all varints (up to `inlineDocLimit` docs: such keys
/// have a handful of docs per value, whose list header and postings offset cost more than
/// the docs), or its list's offset in the postings section.
///
/// After the blocks, a u32 per block: how far back from these offsets it starts; the last
/// block ends where they begin. A sparse key's ranks follow its docs without padding. A look-up binary-searches the blocks' whole first values, then walks
/// one block; what was one u32 offset per value is one per block.
enum AttributeValueBlocks {
    static let blockSize = 16
    static let inlineDocLimit = 8

    static func blockCount(values: Int) -> Int { (values + blockSize - 1) / blockSize }

    /// How many leading bytes `x` and `y` share.
    static func sharedPrefix(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
        let n = min(x.count, y.count)
        var i = 0
        while i < n && x[i] == y[i] { i += 1 }
        return i
    }

    /// Appends one value's entry; `previous` is the value before it in its block (nil for a
    /// block's first). A list too long to inline goes to `postings`.
    static func writeEntry(
        value: UnsafeRawBufferPointer, previous: UnsafeRawBufferPointer?, docs: UnsafeBufferPointer<UInt32>,
        data: inout ByteWriter, postings: inout ByteWriter, postingsWriter: inout PostingsWriter
    ) {
        var rest = value
        if let previous {
            let shared = sharedPrefix(previous, value)
            data.varint(shared)
            rest = UnsafeRawBufferPointer(rebasing: value[shared...])
        }
        data.varint(rest.count)
        data.append(contentsOf: rest)
        data.varint(docs.count)
        if docs.count <= inlineDocLimit {
            var last: UInt32 = 0
            for (i, d) in docs.enumerated() {
                data.varint(i == 0 ? d : d - last)
                last = d
            }
        } else {
            data.varint(postings.count)
            postingsWriter.write(docs: docs, positions: nil, starts: nil, to: &postings)
        }
    }
}

/// Where one value's docs are.
public enum AttributeValuePostings: Sendable, Equatable {
    /// `count` varints at `offset` of the attribute data (see `AttributeValueBlocks`).
    case inline(offset: Int, count: Int)
    /// A `PostingsWriter` list at `offset` of the postings section.
    case stored(offset: Int, docFreq: Int)

    public var docFreq: Int {
        switch self {
        case .inline(_, let count): return count
        case .stored(_, let docFreq): return docFreq
        }
    }
}

/// Walks one block's entries in order, rebuilding each value. Every read is bounds-checked
/// against the block's end, so damaged bytes throw rather than read past it.
struct AttributeValueBlockCursor {
    private var reader: ByteReader
    private var first = true
    /// The value of the entry `next()` last read.
    private(set) var value: [UInt8] = []

    init(data: UnsafeRawBufferPointer, block: Range<Int>) {
        reader = ByteReader(UnsafeRawBufferPointer(rebasing: data[..<block.upperBound]), offset: block.lowerBound)
    }

    var isAtEnd: Bool { reader.isAtEnd }

    mutating func next() throws -> AttributeValuePostings {
        if first {
            first = false
            value.removeAll(keepingCapacity: true)
        } else {
            let shared = try reader.varintInt()
            guard shared <= value.count else { throw DecodeError("attribute value shares \(shared) of \(value.count) bytes") }
            value.removeSubrange(shared...)
        }
        value.append(contentsOf: try reader.blob())
        let docFreq = try reader.varintInt()
        guard docFreq >= 1 else { throw DecodeError("attribute value with no docs") }
        guard docFreq > AttributeValueBlocks.inlineDocLimit else {
            let at = reader.offset
            for _ in 0..<docFreq { _ = try reader.varint() }
            return .inline(offset: at, count: docFreq)
        }
        return .stored(offset: try reader.varintInt(), docFreq: docFreq)
    }
}

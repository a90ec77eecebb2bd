/// A run of one day's segments in a search's list (a snapshot lists each day's segments one
/// after another): what a day answers whole (whether the id range holds it, a count of every
/// line or of a stored word, its groups) is then decided once per day, not per segment. A day
/// right after a fast ingest has a few dozen segments, and walking each of them for a count
/// the days answer cost a search over 400 segments more than the answer.
struct DayRun {
    /// Indices in the list.
    let segments: Range<Int>
    /// nil for a segment searched outside an index (a run of its own).
    let day: DaySummary?

    /// Every segment of the day with documents is in the run.
    var holdsWholeDay: Bool { day.map { segments.count == $0.nonEmptySegments } ?? false }

    /// The runs of `b`, in order. A day's run is found from its segment count with two reads
    /// (the last of its segments, and the one after), and walked segment by segment only when
    /// the list holds part of the day.
    static func runs(_ b: UnsafeBufferPointer<SegmentSnapshot>) -> [DayRun] {
        var out: [DayRun] = []
        out.reserveCapacity(16)
        var k = 0
        while k < b.count {
            guard let id = b[k].dayID, let day = b[k].day else {
                out.append(DayRun(segments: k..<k + 1, day: nil))
                k += 1
                continue
            }
            // Lists are in day order: if the day's last segment is where its count puts it and
            // the next belongs to another day, everything between is the day's.
            var end = k + day.segments.count
            if !(end <= b.count && b[end - 1].dayID == id && (end == b.count || b[end].dayID != id)) {
                end = k + 1
                while end < b.count && b[end].dayID == id { end += 1 }
            }
            out.append(DayRun(segments: k..<end, day: day))
            k = end
        }
        return out
    }

    /// Whether every segment of the run has documents with ids in `range`: a whole day of
    /// non-empty segments that the range holds is decided from its summary.
    func allOverlap(_ range: ClosedRange<UInt64>, in b: UnsafeBufferPointer<SegmentSnapshot>) -> Bool {
        if let day, segments.count == day.segments.count, day.nonEmptySegments == day.segments.count,
            range.lowerBound <= day.minID, range.upperBound >= day.maxID
        {
            return true
        }
        for k in segments {
            // `overlaps`, spelled out: a method call on the element copies it.
            guard b[k].docCount > 0, b[k].maxID >= range.lowerBound, b[k].minID <= range.upperBound else { return false }
        }
        return true
    }
}

/// Each segment's ordinals in a search's id range, worked out when a segment is first read
/// (a count that whole days answer reads none).
struct SegmentRanges {
    let segments: [SegmentSnapshot]
    let idRange: ClosedRange<UInt64>

    subscript(k: Int) -> Range<UInt32> {
        segments.withUnsafeBufferPointer { b in
            // Every ordinal when the range holds the segment, without asking its reader.
            idRange.lowerBound <= b[k].minID && idRange.upperBound >= b[k].maxID
                ? 0..<UInt32(b[k].docCount) : b[k].reader.ordinals(in: idRange)
        }
    }
}

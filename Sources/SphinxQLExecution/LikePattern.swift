/// SQL's `LIKE` (SHOW TABLES LIKE 'logs_2026%'): `%` any run of characters, `_` one, compared
/// with case as Sphinx compares (`LIKE 'LOGS%'` lists nothing). Matched greedily with one
/// remembered `%` to fall back to, so a pattern of a million `%` neither recurses nor memoizes
/// (O(text × pattern) time at worst, O(1) space).
struct LikePattern {
    private let pattern: [Character]

    init(_ pattern: String) { self.pattern = Array(pattern) }

    func matches(_ text: String) -> Bool {
        let t = Array(text)
        let p = pattern
        var i = 0, j = 0
        var star: Int?
        var resume = 0
        while i < t.count {
            if j < p.count && (p[j] == "_" || p[j] == t[i]) {
                i += 1
                j += 1
            } else if j < p.count && p[j] == "%" {
                star = j
                resume = i
                j += 1
            } else if let s = star {
                // The last % takes one more character; what follows it is tried again there.
                j = s + 1
                resume += 1
                i = resume
            } else {
                return false
            }
        }
        while j < p.count && p[j] == "%" { j += 1 }
        return j == p.count
    }
}

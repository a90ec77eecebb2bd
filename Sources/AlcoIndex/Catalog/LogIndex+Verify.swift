import Foundation

/// The background check of persisted segments: each is read again and its checksums compared,
/// and one a disk damaged after it was opened is taken out of service and moved to the
/// quarantine directory (as opening does), so no query returns its lines.
extension LogIndex {
    /// Checks every persisted segment; returns how many bytes were read and the names of those
    /// found damaged (now quarantined and reported as problems). `pace` is called with each
    /// chunk read; what it throws ends the pass (a server stopping).
    public func verifySegments(pace: (Int) throws -> Void) throws -> (bytes: Int, damaged: [String]) {
        let segments = state.withLock { s in s.segments.all.filter(\.isPersisted) }
        var bytes = 0
        var damaged: [String] = []
        for segment in segments {
            do {
                try segment.reader.verifyChecksums { n in
                    bytes += n
                    try pace(n)
                }
            } catch let e as AlcoError {
                if quarantineLive(segment.name, reason: e.description) { damaged.append(segment.name) }
            }
        }
        return (bytes, damaged)
    }

    /// Runs a read of live segments; one that meets a damaged page fails naming the segment,
    /// which leaves service, so the next reads (and merges) are answered without it.
    func quarantiningDamage<T>(_ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch AlcoError.corruptSegment(let name, let reason) {
            _ = quarantineLive(name, reason: reason)
            throw AlcoError.corruptSegment(name: name, reason: reason)
        }
    }

    /// Takes a live segment out of the index and its files into quarantine; false when it is
    /// no longer live (merged or dropped meanwhile: nothing to do).
    func quarantineLive(_ name: String, reason: String) -> Bool {
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        let removed = state.withLock { s -> Bool in
            guard !s.isClosed, s.segments.all.contains(where: { $0.name == name }) else { return false }
            s.segments.remove([name])
            return true
        }
        guard removed else { return false }
        // The manifest stops naming it before its files move: a crash in between reopens
        // without it (its files then removed as files no manifest names).
        do {
            try writeManifest()
        } catch {
            report("segment \(name) of index \(self.name) is damaged (\(reason)) and was taken out of service, but the manifest could not be written: \(error)")
            return true
        }
        // Renaming keeps the inode: searches still reading its mapping finish unharmed.
        LogIndex.quarantine(name, from: directory)
        report("segment \(name) of index \(self.name) is damaged (\(reason)); moved to quarantine/, its lines are no longer served")
        return true
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, throwing wrappers over the POSIX calls the engine needs for durability:
/// explicit fsync of files and directories, atomic replace, and advisory locks.
public enum FileSystem {
    public static func makeDirectory(_ path: String) throws {
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o755) != 0 && errno != EEXIST {
                throw AlcoError.io(path: built, operation: "mkdir", errno: errno)
            }
        }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    public static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func remove(_ path: String) {
        unlink(path)
    }

    public static func removeTree(_ path: String) {
        if isDirectory(path) {
            for name in list(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    public static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw AlcoError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw AlcoError.io(path: path, operation: "fsync", errno: errno) }
    }

    /// Creates (or replaces) `path` with `bytes`, fsynced. On failure (a full disk) the
    /// partial file is removed, so a failed write does not hold on to the space it took.
    public static func writeDurably(_ path: String, _ bytes: UnsafeRawBufferPointer) throws {
        let file = try WritableFile(path: path, truncate: true)
        do {
            try file.write(bytes)
            try file.sync()
            file.close()
        } catch {
            file.close()
            unlink(path)
            throw error
        }
    }

    /// Writes `bytes` to a temporary file, fsyncs it, renames it over `path` and fsyncs the
    /// directory, so readers see the old file or the new one, never a mix.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        // A name of its own per write: several threads may replace one file at once (a seal
        // and an HTTP request both save columns.json), and sharing `path.tmp` mixed them.
        let tmp = path + temporarySuffix + String(getpid()) + "." + String(TemporaryNames.next())
        try bytes.withUnsafeBytes { try writeDurably(tmp, $0) }
        if rename(tmp, path) != 0 {
            let e = errno
            unlink(tmp)
            throw AlcoError.io(path: path, operation: "rename", errno: e)
        }
        try syncDirectory(parent(of: path))
    }

    /// What marks a temporary file of `writeAtomically` (left behind only by a crash).
    public static let temporarySuffix = ".tmp."

    /// Removes the temporary files a crash left in a directory.
    public static func removeTemporaryFiles(in directory: String) {
        for name in list(directory) where name.contains(temporarySuffix) { unlink(directory + "/" + name) }
    }

    /// Moves a damaged file into `quarantineDirectory` (created if needed) under a name of
    /// its own, so it is never read again, never deleted unseen, and kept for whoever looks.
    /// Returns where it went.
    @discardableResult
    public static func quarantine(_ path: String, into quarantineDirectory: String) throws -> String {
        try makeDirectory(quarantineDirectory)
        let base = path.split(separator: "/").last.map(String.init) ?? "file"
        var target = quarantineDirectory + "/" + base + "." + String(time(nil))
        var n = 1
        while exists(target) {
            n += 1
            target = quarantineDirectory + "/" + base + "." + String(time(nil)) + "." + String(n)
        }
        if rename(path, target) != 0 { throw AlcoError.io(path: path, operation: "rename into quarantine", errno: errno) }
        try syncDirectory(parent(of: path))
        try syncDirectory(quarantineDirectory)
        return target
    }

    public static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw AlcoError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AlcoError.io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let p = String(path[..<slash])
        return p.isEmpty ? "/" : p
    }
}

/// An append-only file descriptor with explicit durability.
public final class WritableFile: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    public init(path: String, truncate: Bool = false, append: Bool = false) throws {
        var flags = O_WRONLY | O_CREAT | O_CLOEXEC
        if truncate { flags |= O_TRUNC }
        if append { flags |= O_APPEND }
        fd = open(path, flags, 0o644)
        self.path = path
        guard fd >= 0 else { throw AlcoError.io(path: path, operation: "open", errno: errno) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw AlcoError.io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    public func sync() throws {
        if fdatasync(fd) != 0 { throw AlcoError.io(path: path, operation: "fsync", errno: errno) }
    }

    public func truncate(to size: Int) throws {
        if ftruncate(fd, off_t(size)) != 0 {
            throw AlcoError.io(path: path, operation: "truncate", errno: errno)
        }
    }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }
}

/// A read-only memory map of a whole file; segments are read through it.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AlcoError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AlcoError.io(path: path, operation: "stat", errno: errno) }
        let size = Int(st.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw AlcoError.io(path: path, operation: "mmap", errno: errno) }
        mapping = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }

    /// Drops this process's resident pages of the mapping (they stay in the page cache and
    /// fault back in when read): after a pass over the whole file, such as checking its
    /// checksums, the process should hold only what queries touch.
    public func releaseResidentPages() {
        if let mapping { _ = madvise(mapping, bytes.count, Int32(MADV_DONTNEED)) }
    }

    /// Faults read only the page they need (the kernel otherwise reads around each fault, up
    /// to `read_ahead_kb`, megabytes on some disks): for files read a few pages at a time,
    /// whose longer reads ask for their range with `willNeed`.
    public func adviseRandomAccess() {
        if let mapping { _ = madvise(mapping, bytes.count, Int32(MADV_RANDOM)) }
    }

    /// Starts reading `range` of the file in one request, ahead of the faults that will want it.
    public func willNeed(_ range: Range<Int>) {
        MappedFile.willNeed(bytes, range)
    }

    /// `willNeed` for any mapping (`bytes` starting page-aligned, as a mapping does).
    static func willNeed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        let page = Int(getpagesize())
        let lo = range.lowerBound / page * page
        _ = madvise(UnsafeMutableRawPointer(mutating: base + lo), range.upperBound - lo, Int32(MADV_WILLNEED))
    }
}

/// Keeps one process per data directory: an flock'd file holding the owner's pid.
public final class DirectoryLock: @unchecked Sendable {
    private var fd: Int32

    public init(directory: String) throws {
        let path = directory + "/LOCK"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AlcoError.io(path: path, operation: "open", errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
            let text = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
            let pid = Int32(text.trimmingCharacters(in: " \n")) ?? 0
            Glibc.close(fd)
            throw AlcoError.dataDirectoryInUse(path: directory, pid: pid)
        }
        let pidText = Array("\(getpid())\n".utf8)
        ftruncate(fd, 0)
        _ = pidText.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    public func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { release() }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// A process-wide counter for unique temporary file names.
enum TemporaryNames {
    private static let lock = ConditionLock()
    nonisolated(unsafe) private static var counter: UInt64 = 0

    static func next() -> UInt64 {
        lock.withLock {
            counter += 1
            return counter
        }
    }
}

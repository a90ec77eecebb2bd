import AlcoIndex
import ArgumentParser
import Foundation

@main
struct Alco: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alco",
        abstract: "Collect logs and read and search them, faster than grep and less.",
        subcommands: [Serve.self, Ingest.self, Search.self, Patterns.self, IndexCommand.self, ClusterCommand.self, TortureWriter.self, Bench.self]
    )

    static func main() {
        MemoryTuning.apply()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// glibc's allocator tuned for a process whose large allocations come and go (segment
/// builders, merge buffers): by default it keeps an arena per thread and holds freed memory
/// past a threshold that grows with every large free, so resident memory stays near the
/// peak of all threads together. Two arenas and fixed 4 MiB trim and mmap thresholds give
/// memory back as builders finish (peak RSS of a 1M-line ingest: 340 MB to about 220 MB). The
/// standard MALLOC_* environment variables still override.
enum MemoryTuning {
    // <malloc.h>'s parameter numbers, which Swift's Glibc module does not export.
    static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
    static let arenaMax: Int32 = -8  // M_ARENA_MAX
    static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD

    static func apply() {
        let env = ProcessInfo.processInfo.environment
        if env["MALLOC_ARENA_MAX"] == nil { _ = glibcMallopt(arenaMax, 2) }
        if env["MALLOC_TRIM_THRESHOLD_"] == nil { _ = glibcMallopt(trimThreshold, 4 << 20) }
        // Fixing the trim threshold also fixes the mmap threshold (128 KiB by default): a
        // query's mid-sized arrays would each be mmapped, faulted in and unmapped.
        if env["MALLOC_MMAP_THRESHOLD_"] == nil { _ = glibcMallopt(mmapThreshold, 4 << 20) }
    }
}

/// glibc's `int mallopt(int, int)`, not exported by Swift's Glibc module.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// The data directory option every command shares.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (default: $ALCO_DATA or ./alco-data).")
    var data: String?

    var directory: String {
        data ?? ProcessInfo.processInfo.environment["ALCO_DATA"] ?? "alco-data"
    }

    /// - Parameter patterns: mine message patterns or not; nil: `EngineOptions`' default.
    func openCatalog(background: Bool = true, patterns: Bool? = nil) throws -> Catalog {
        var options = EngineOptions()
        options.backgroundMaintenance = background
        if let patterns { options.minePatterns = patterns }
        return try Catalog(directory: directory, options: options)
    }

    /// Opens the data directory for one short command, runs `body`, and closes it; engine
    /// errors become one line on stderr and exit status 2.
    func withCatalog<T>(_ body: (Catalog) throws -> T) throws -> T {
        try reportingErrors {
            let catalog = try openCatalog(background: false)
            defer { try? catalog.close() }
            return try body(catalog)
        }
    }
}

/// Prints one line to stderr.
func warn(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a command body, turning engine errors into one line on stderr and exit status 2.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as AlcoError {
        warn("alco: \(e.description)")
        throw ExitCode(2)
    } catch let e as ExitCode {
        throw e
    } catch {
        warn("alco: \(error)")
        throw ExitCode(2)
    }
}

enum Terminal {
    static var stdoutIsTTY: Bool { isatty(1) == 1 }
    static var stderrIsTTY: Bool { isatty(2) == 1 }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Locates the built `alco` binary (ALCO_BINARY overrides) and the LogHub samples in Fixtures/, and
/// runs programs with posix_spawn + waitpid (Foundation's Process can miss a child's exit when
/// tests spawn concurrently).
enum CLI {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["ALCO_BINARY"] { return b }
        for config in ["debug", "release"] {
            let p = root + "/.build/\(config)/alco"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return root + "/.build/debug/alco"
    }

    static var loghub: String { root + "/Fixtures/loghub" }

    static let spawnLock = NSLock()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A started child process whose stdout is a pipe.
    struct Child {
        let pid: pid_t
        let stdout: Int32

        /// Reads stdout to its end.
        func readAll() -> String {
            var data = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { read(stdout, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                data.append(contentsOf: buf[0..<n])
            }
            close(stdout)
            return String(decoding: data, as: UTF8.self)
        }

        @discardableResult
        func wait() -> Int32 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            if status & 0x7f == 0 { return (status >> 8) & 0xff }
            return 128 + (status & 0x7f)
        }
    }

    /// Starts `path` with stdout (and optionally stderr) captured in pipes; stdin is /dev/null.
    static func spawn(
        _ path: String, _ args: [String], environment: [String: String] = [:],
        stderrFD: UnsafeMutablePointer<Int32>? = nil
    ) throws -> Child {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        // Pipes are close-on-exec, and made and handed over under one lock, so a child spawned
        // concurrently never inherits another child's pipe ends (which would hide EOF).
        spawnLock.lock()
        defer { spawnLock.unlock() }
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw POSIXError(.EMFILE) }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        if stderrFD != nil {
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .ENOENT)
        }
        if let stderrFD { stderrFD.pointee = errPipe[0] } else { close(errPipe[0]) }
        return Child(pid: pid, stdout: outPipe[0])
    }

    /// Runs a program to completion and returns its status and output.
    @discardableResult
    static func run(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> Output {
        var errFD: Int32 = -1
        let child = try spawn(path, args, environment: environment, stderrFD: &errFD)
        // Drain stderr on another thread so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var errText = ""
        let errReader = Child(pid: child.pid, stdout: errFD)
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errText = errReader.readAll()
            group.leave()
        }
        let out = child.readAll()
        group.wait()
        let status = child.wait()
        return Output(status: status, stdout: out, stderr: errText)
    }

    static func alco(_ args: [String]) throws -> Output { try run(binary, args) }

    static func temporaryDirectory() -> String {
        let p = NSTemporaryDirectory() + "alco-cli-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

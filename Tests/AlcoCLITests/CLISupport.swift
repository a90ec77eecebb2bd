import Foundation

/// Locates the built `alco` binary (ALCO_BINARY overrides) and the shared LogHub data.
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

    static var loghub: String { root + "/../shared/data/loghub" }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion and returns its status and output.
    @discardableResult
    static func run(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Drain both pipes while the child runs so a chatty child cannot block.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func alco(_ args: [String]) throws -> Output { try run(binary, args) }

    static func temporaryDirectory() -> String {
        let p = NSTemporaryDirectory() + "alco-cli-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

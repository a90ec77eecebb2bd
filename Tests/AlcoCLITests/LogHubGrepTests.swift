import Foundation
import Testing

/// `alco search -F --count` must equal `grep -F -c` (and `-i`) on the LogHub samples.
@Suite(.serialized) struct LogHubGrepTests {
    static let files = [
        "Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "Linux", "Mac",
        "OpenSSH", "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper",
    ]

    /// Needles taken from the file itself: substrings of lines at fixed positions (inside words,
    /// across separators, whole words), plus common words and punctuation.
    static func needles(_ lines: [String]) -> [String] {
        var out = ["error", "INFO", "failed", "block", ":", " - ", "=", "connection", "user", "0.0"]
        for (k, line) in lines.enumerated() where k % 97 == 13 {
            let chars = Array(line)
            guard chars.count > 20 else { continue }
            let a = (k * 7) % (chars.count - 10)
            out.append(String(chars[a..<(a + 4)]))
            out.append(String(chars[a..<min(chars.count, a + 11)]))
            let words = line.split(separator: " ")
            if words.count > 3 { out.append(String(words[words.count / 2])) }
            if words.count > 4 { out.append(words[2...3].joined(separator: " ")) }
        }
        return Array(Set(out)).sorted()
    }

    @Test func substringCountsEqualGrep() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var compared = 0
        for name in Self.files {
            let path = CLI.loghub + "/\(name)_2k.log"
            let index = name.lowercased()
            let ingest = try CLI.alco(["ingest", "--data", dir, "--index", index, "--format", "text", path])
            #expect(ingest.status == 0, "\(ingest.stderr)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for needle in Self.needles(lines) {
                for ignoreCase in [false, true] where !ignoreCase || needle.allSatisfy(\.isASCII) {
                    let grepArgs = (ignoreCase ? ["-i"] : []) + ["-F", "-c", "--", needle, path]
                    let grep = try CLI.run("/usr/bin/grep", grepArgs, environment: ["LC_ALL": "C"])
                    let expected = Int(grep.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
                    let ours = try CLI.alco(
                        ["search", "--data", dir, "--index", index, "-F", "--count"]
                            + (ignoreCase ? ["-i"] : []) + ["--", needle])
                    let got = Int(ours.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -2
                    #expect(got == expected, "\(name): '\(needle)' ignoreCase=\(ignoreCase): alco \(got), grep \(expected) \(ours.stderr)")
                    #expect(ours.status == (expected > 0 ? 0 : 1))
                    compared += 1
                }
            }
        }
        #expect(compared > 300)
    }

    @Test func wordSearchAndExitCodes() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = CLI.loghub + "/HDFS_2k.log"
        #expect(try CLI.alco(["ingest", "--data", dir, "--index", "hdfs", "--format", "text", path]).status == 0)
        // A whole block id as a word, a phrase, a prefix.
        let grep = try CLI.run("/usr/bin/grep", ["-c", "-w", "--", "blk_-6952295868487656571", path])
        let got = try CLI.alco(["search", "--data", dir, "--index", "hdfs", "--count", "blk_-6952295868487656571"])
        #expect(got.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == grep.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let none = try CLI.alco(["search", "--data", dir, "--index", "hdfs", "nosuchwordanywhere"])
        #expect(none.status == 1)
        let bad = try CLI.alco(["search", "--data", dir, "--index", "hdfs", "(unclosed"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("position"))
        let unknown = try CLI.alco(["search", "--data", dir, "--index", "nope", "x"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown index 'nope'"))
        // Context: -C 1 prints the line before and after each hit, like grep.
        let ctx = try CLI.alco(["search", "--data", dir, "--index", "hdfs", "-C", "1", "--limit", "1", "-F", "blk_-6952295868487656571"])
        #expect(ctx.stdout.split(separator: "\n").count == 3)
        // Regex mode equals grep -E.
        let re = "blk_-69[0-9]+ "
        let grepE = try CLI.run("/usr/bin/grep", ["-E", "-c", "--", re, path], environment: ["LC_ALL": "C"])
        let oursE = try CLI.alco(["search", "--data", dir, "--index", "hdfs", "-E", "--count", "--", re])
        #expect(oursE.stdout == grepE.stdout)
    }

    @Test func malformedLinesGoToRejects() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.jsonl"
        let body = """
            {"@timestamp": "2026-11-25T21:05:51.852258Z", "message": "good one", "host": "vm"}
            {"@timestamp": "2026-11-25T21:05:51.852258Z", "message": broken
            {"message": "no time"}
            plain text line
            {"@timestamp": "yesterday", "message": "bad time"}

            """
        try body.write(toFile: input, atomically: true, encoding: .utf8)
        let r = try CLI.alco(["ingest", "--data", dir, "--index", "j", input])
        #expect(r.status == 0)
        #expect(r.stderr.contains("2 lines") && r.stderr.contains("3 rejected"), "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/rejects")
        let rejects = try String(contentsOfFile: dir + "/rejects/" + files[0], encoding: .utf8)
        #expect(rejects.contains("\"line\":2") && rejects.contains("malformed_json"))
        #expect(rejects.contains("\"line\":3") && rejects.contains("missing_timestamp"))
        #expect(rejects.contains("\"line\":5") && rejects.contains("bad_timestamp"))
        let found = try CLI.alco(["search", "--data", dir, "--index", "j", "--json", "good"])
        #expect(found.stdout.contains("\"datetime\":\"2026-11-25T21:05:51.852258+00:00\""))
        #expect(found.stdout.contains("\"js\":{\"host\":\"vm\",\"pattern\":\"0\"}"))
    }
}

/// `alco serve` owns its data directory and stops cleanly on SIGTERM.
@Suite struct ServeTests {
    @Test func singleOwnerAndCleanShutdown() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try CLI.alco(["index", "create", "--data", dir, "app"]).status == 0)
        let server = try CLI.spawn(CLI.binary, ["serve", "--data", dir, "--mysql", "127.0.0.1:0", "--http", "127.0.0.1:0", "--sphinxapi", "127.0.0.1:0"])
        // Wait for the banner.
        var banner = ""
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(20)
        while !banner.contains("Ctrl-C") && Date() < deadline {
            let n = buf.withUnsafeMutableBytes { read(server.stdout, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            banner += String(decoding: buf[0..<n], as: UTF8.self)
        }
        #expect(banner.contains("serving") && banner.contains("app"), "\(banner)")
        #expect(banner.contains("SphinxQL (MySQL protocol) on 127.0.0.1:"), "\(banner)")
        let second = try CLI.alco(["serve", "--data", dir, "--mysql", "127.0.0.1:0", "--http", "127.0.0.1:0", "--sphinxapi", "127.0.0.1:0"])
        #expect(second.status == 2)
        #expect(second.stderr.contains("in use by pid \(server.pid)"), "\(second.stderr)")
        kill(server.pid, SIGTERM)
        let rest = server.readAll()
        #expect(server.wait() == 0)
        #expect(rest.contains("stopped"))
    }
}

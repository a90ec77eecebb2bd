import Testing

@testable import AlcoCollector

@Suite struct FileWatchTests {
    @Test func specSplitsAtTheLastEquals() throws {
        let w = try FileWatch(spec: "/var/log/a=b/*.log=app")
        #expect(w.pattern == "/var/log/a=b/*.log" && w.index == "app" && w.format == "auto" && w.multiline == "auto")
        for bad in ["/var/log/*.log", "=app", "/var/log/*.log="] {
            #expect(throws: (any Error).self) { try FileWatch(spec: bad) }
        }
    }
}

import Foundation
import Logging
import Testing

@testable import AlcoApplication

/// JSON log lines: one object per line, whatever the message and metadata hold.
@Suite struct LineLogHandlerTests {
    @Test func jsonLinesCarryLevelTimeAndMetadataEscaped() throws {
        let date = Date(timeIntervalSince1970: 1_764_700_000.123456)
        let bytes = LineLogHandler.json(
            .warning, "disk \"full\"\non /data", ["index": "app", "message": "shadow", "path": "a\\b\u{1}"], label: "alco", at: date)
        #expect(bytes.last == 0x0a && bytes.dropLast().allSatisfy { $0 != 0x0a })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
        #expect(object["levelname"] == "WARNING" && object["logger"] == "alco")
        #expect(object["message"] == "disk \"full\"\non /data")
        #expect(object["message_x"] == "shadow" && object["index"] == "app" && object["path"] == "a\\b\u{1}")
        #expect(object["@timestamp"] == "2025-12-02T18:26:40.123456Z")
        #expect(LineLogHandler.levelName(.critical) == "CRITICAL" && LineLogHandler.levelName(.trace) == "DEBUG")
    }
}

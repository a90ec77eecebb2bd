import AlcoIndex
import Testing

@testable import AlcoAPI

/// The UI's column flags: defaults by the key's name until set, kept apart from the engine's.
@Suite struct ColumnFlagTests {
    func column(_ name: String, filtered: Bool = true) -> Column {
        Column(name: name, filtered: filtered, excluded: false, indexed: false, firstSeen: 0, lastSeen: 0)
    }

    @Test func newColumnsGetALCOsDefaults() {
        #expect(ColumnFlag.display.value(of: column("host")))
        #expect(ColumnFlag.display.value(of: column("levelname")))
        #expect(!ColumnFlag.display.value(of: column("request_id")))
        #expect(ColumnFlag.context.value(of: column("traceback", filtered: false)))
        #expect(!ColumnFlag.context.value(of: column("host")))
    }

    @Test func aSetFlagOverridesTheDefaultAndStaysOutOfTheEngine() {
        var c = column("host")
        ColumnFlag.display.set(false, on: &c)
        ColumnFlag.context.set(true, on: &c)
        #expect(!ColumnFlag.display.value(of: c) && ColumnFlag.context.value(of: c))
        #expect(c.applicationFlags == ["display": false, "context": true])
        ColumnFlag.excluded.set(true, on: &c)
        ColumnFlag.filtered.set(false, on: &c)
        #expect(c.excluded && !c.filtered && c.applicationFlags.count == 2)
    }

    @Test func everyFlagReadsBackWhatWasSet() {
        for flag in ColumnFlag.allCases {
            for value in [true, false] {
                var c = column("k")
                flag.set(value, on: &c)
                #expect(flag.value(of: c) == value, "\(flag)")
            }
        }
    }
}

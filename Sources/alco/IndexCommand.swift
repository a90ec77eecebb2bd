import AlcoAPI
import AlcoIndex
import AlcoIngest
import ArgumentParser
import Foundation

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Create, list, alter, drop and inspect indexes.",
        subcommands: [Create.self, List.self, Alter.self, Drop.self, Stats.self, Columns.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an index.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Index name: letters, digits, underscore.") var name: String
        @Option(name: .long, help: "Days kept (whole days are dropped).") var retentionDays: Int = 30
        @Option(name: .long, help: "RabbitMQ queue.") var queue: String = "logstash"
        @Option(name: .long, help: "Comma-separated AMQP topic patterns.") var routingKeys: String = "logstash.#"
        @Flag(name: .long, help: "Durable exchange and queue.") var durable = false
        @Option(name: .long, help: "Time zone of day partitions.") var timezone: String = "UTC"
        @Option(name: .long, help: "Time zone producers write @timestamp in.") var producerTimezone: String = "UTC"
        @Option(name: .long, help: "RabbitMQ consumers for this index, like ALCO's num_processes (default: serve's --amqp-consumers).")
        var consumers: Int?

        func run() throws {
            try data.withCatalog { catalog in
                var s = IndexSettings(name: name, retentionDays: retentionDays, timeZone: timezone, producerTimeZone: producerTimezone)
                try QueueBinding(queue: queue, routingKeys: splitKeys(routingKeys), durable: durable, consumers: consumers)
                    .store(in: &s)
                try catalog.createIndex(s)
                print("created index \(name)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List indexes.")
        @OptionGroup var data: DataOptions
        func run() throws {
            try data.withCatalog { catalog in
                print(pad("NAME", 20) + pad("DOCS", 12) + pad("DAYS", 6) + pad("RETENTION", 10) + pad("QUEUE", 14) + "ROUTING KEYS")
                for index in catalog.indexes {
                    let st = index.stats()
                    let s = index.settings
                    let binding = try QueueBinding(s)
                    print(
                        pad(s.name, 20) + pad(String(st.documents), 12) + pad(String(st.days.count), 6)
                            + pad("\(s.retentionDays)d", 10) + pad(binding.queue, 14) + binding.routingKeys.joined(separator: ","))
                }
            }
        }
    }

    struct Alter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an index's settings or a column's flags.",
            discussion: "Column flags: --column NAME --set filtered=false --set display=true ...")
        @OptionGroup var data: DataOptions
        @Argument var name: String
        @Option(name: .long) var retentionDays: Int?
        @Option(name: .long) var queue: String?
        @Option(name: .long) var routingKeys: String?
        @Option(name: .long, help: "true or false.") var durable: Bool?
        @Option(name: .long) var timezone: String?
        @Option(name: .long) var producerTimezone: String?
        @Option(name: .long, help: "RabbitMQ consumers for this index (0: serve's default).") var consumers: Int?
        @Option(name: .long, help: "Column whose flags --set changes.") var column: String?
        @Option(name: .customLong("set"), help: "FLAG=true|false for --column (filtered, display, excluded, context, indexed).")
        var flags: [String] = []

        func run() throws {
            try data.withCatalog { catalog in
                let s = try catalog.alterIndex(name) { s in
                    if let v = retentionDays { s.retentionDays = v }
                    if let v = timezone { s.timeZone = v }
                    if let v = producerTimezone { s.producerTimeZone = v }
                    var binding = try QueueBinding(s)
                    if let v = queue { binding.queue = v }
                    if let v = routingKeys { binding.routingKeys = splitKeys(v) }
                    if let v = durable { binding.durable = v }
                    if let v = consumers { binding.consumers = v == 0 ? nil : v }
                    try binding.store(in: &s)
                }
                let binding = try QueueBinding(s)
                if let column {
                    let index = try catalog.index(name)
                    for f in flags {
                        let parts = f.split(separator: "=", maxSplits: 1).map(String.init)
                        guard parts.count == 2, let value = Bool(parts[1]) else {
                            throw AlcoError.invalidSetting("--set takes FLAG=true|false, not '\(f)'")
                        }
                        guard let flag = ColumnFlag(rawValue: parts[0]) else {
                            throw AlcoError.invalidSetting("unknown column flag '\(parts[0])' (\(ColumnFlag.names))")
                        }
                        try index.columns.declare(column) { flag.set(value, on: &$0) }
                    }
                }
                print(
                    "index \(s.name): retention \(s.retentionDays)d, queue \(binding.queue), routing keys \(binding.routingKeys.joined(separator: ",")), durable \(binding.durable), time zone \(s.timeZone), consumers \(binding.consumers.map(String.init) ?? "serve's default")"
                )
            }
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an index and all its data.")
        @OptionGroup var data: DataOptions
        @Argument var name: String
        func run() throws {
            try data.withCatalog { catalog in
                try catalog.dropIndex(name)
                print("dropped index \(name)")
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Documents, segments, bytes and days of an index.")
        @OptionGroup var data: DataOptions
        @Argument var name: String
        func run() throws {
            try data.withCatalog { catalog in
                let st = try catalog.index(name).stats()
                print("index:            \(st.name)")
                print("documents:        \(st.documents)")
                print("deleted (tombstones): \(st.deletedDocuments)")
                print("segments:         \(st.diskSegments) on disk, \(st.memorySegments) in memory, \(st.bufferedDocuments) buffered docs")
                print("bytes on disk:    \(humanBytes(st.diskBytes)) (\(st.diskBytes) bytes)")
                print("wal lsn:          \(st.walLSN) (checkpoint \(st.checkpointLSN))")
                for d in st.days { print("day \(d.day):     \(d.documents) documents in \(d.segments) segments") }
                for (k, v) in try catalog.index(name).sectionSizes().sorted(by: { $0.key < $1.key }) {
                    print("section \(pad(k, 16)) \(humanBytes(v))")
                }
                for p in st.problems { print("problem: \(p)") }
            }
        }
    }

    struct Columns: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The js columns seen in an index with their flags.")
        @OptionGroup var data: DataOptions
        @Argument var name: String
        func run() throws {
            try data.withCatalog { catalog in
                let index = try catalog.index(name)
                print(pad("COLUMN", 24) + "FLAGS")
                for c in index.columns.all {
                    let flags = ColumnFlag.allCases.filter { $0.value(of: c) }.map(\.rawValue)
                    let values = index.columns.values(of: c.name)
                    print(
                        pad(c.name, 24) + flags.joined(separator: ",")
                            + (c.filtered ? "  (\(values.lastSeen.count) values\(values.dropped > 0 ? ", \(values.dropped) dropped" : ""))" : ""))
                }
            }
        }
    }
}

func splitKeys(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
}

/// 1536 → "1.5 KiB": sizes as a person reads them.
func humanBytes<T: BinaryInteger>(_ n: T) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = Double(n)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(n) bytes" : String(format: "%.1f %@", value, units[unit])
}

import AlcoAPI
import AlcoIndex
import AlcoIngest
import Foundation
import MySQLWire
import NIOCore
import SphinxAPI
import SphinxAPIExecution
import SphinxQL
import Synchronization

/// libFuzzer's entry point: any bytes, for the target `ALCO_FUZZ_TARGET` names, must be
/// handled or refused with the target's own error, never crash, hang or trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    switch FuzzTarget.current {
    case .sphinxql: FuzzTarget.sphinxql(bytes)
    case .match: FuzzTarget.match(bytes)
    case .mysql: FuzzTarget.mysql(bytes)
    case .httpQuery: FuzzTarget.httpQuery(bytes)
    case .logstash: FuzzTarget.logstash(bytes)
    case .wal: FuzzTarget.wal(bytes)
    case .sphinxapi: FuzzTarget.sphinxapi(bytes)
    case .logfile: FuzzTarget.logfile(bytes)
    case .compressed: FuzzTarget.compressed(bytes)
    case .segment: FuzzTarget.segment(bytes)
    }
    return 0
}

enum FuzzTarget: String, CaseIterable {
    case sphinxql, match, mysql, httpQuery = "http-query", logstash, wal, sphinxapi, logfile, compressed, segment

    static let current: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["ALCO_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            fatalError("set ALCO_FUZZ_TARGET to one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return t
    }()

    static func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

    /// SphinxQL batches parse or fail with a SphinxQLError.
    static func sphinxql(_ bytes: UnsafeRawBufferPointer) {
        do {
            _ = try Parser.parseBatch(text(bytes))
        } catch is SphinxQLError {
        } catch {
            fatalError("unexpected error type: \(error)")
        }
    }

    /// MATCH() text parses (and its tree is walked: fields, terms, highlighting) or fails
    /// with a query error; what parses, written back as MATCH text (what a node sends a
    /// Sphinx front), parses to the same query.
    static func match(_ bytes: UnsafeRawBufferPointer) {
        do {
            let q = try QueryParser.parse(text(bytes))
            _ = q.positiveTerms
            try q.validate()
            _ = Highlighter(q).ranges(in: "alpha beta gamma 10.0.0.1 blk_42")
            let written = try q.matchText()
            guard try QueryParser.parse(written) == q else { fatalError("MATCH text \(written) does not parse back to \(q)") }
        } catch is AlcoError {
        } catch {
            fatalError("unexpected error type: \(error)")
        }
    }

    /// Bytes from a client: cut into packets, each fed to the connection's state machine
    /// and, once logged in, decoded as a command.
    static func mysql(_ bytes: UnsafeRawBufferPointer) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let decoder = MySQLPacketDecoder(maxPacketSize: 1 << 20)
        let handshake = MySQLHandshake(serverVersion: "5.7.99-alco", connectionID: 1, scramble: Array(repeating: 7, count: 20))
        var machine = MySQLServerStateMachine(handshake: handshake, credentials: (bytes.first ?? 0) & 1 == 1 ? MySQLCredentials(user: "u", password: "p") : nil)
        _ = machine.connectionEstablished()
        while true {
            let packet: MySQLPacket?
            do {
                packet = try decoder.readPacket(&buffer)
            } catch let e as MySQLPacketDecoder.DecodingError {
                _ = machine.decodingFailed(e)
                return
            } catch {
                fatalError("unexpected error type: \(error)")
            }
            guard let packet else { return }
            switch machine.packetReceived(packet) {
            case .acceptLogin: machine.loginAccepted(status: .autocommit)
            case .execute(let command, _):
                _ = command
                machine.commandFinished(status: .autocommit)
                while let next = machine.nextQueuedAction() { if case .execute = next { machine.commandFinished(status: .autocommit) } }
            case .close: return
            default: break
            }
            _ = MySQLCommand.decode(packet.payload)
            _ = try? MySQLHandshakeResponse.decode(packet.payload)
        }
    }

    /// Bytes from a SphinxAPI client (a master searchd): the handshake, then frames cut by the
    /// frame decoder and fed to the connection's state machine; every request it would run is
    /// translated into the SELECT an agent runs.
    static func sphinxapi(_ bytes: UnsafeRawBufferPointer) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count + 4)
        buffer.writeInteger(UInt32(1))
        buffer.writeBytes(bytes)
        var decoder = APIFrameDecoder(maxRequestSize: 1 << 20)
        var machine = APIConnectionStateMachine()
        while let frame = decoder.next(&buffer) {
            switch machine.frameReceived(frame) {
            case .execute(let request):
                if case .search(let search) = request {
                    for q in search.queries { _ = try? AgentTranslation.statement(for: q) }
                }
                _ = machine.executionFinished(ByteBuffer())
            case .close, .reply(_, true): return
            default: break
            }
        }
    }

    /// An HTTP query string read as the search API reads its parameters.
    static func httpQuery(_ bytes: UnsafeRawBufferPointer) {
        let q = QueryString(text(bytes))
        let zone = TimeZone(identifier: "UTC")!
        do {
            var search = try SearchParameters.search(q, zone: zone, now: 1_764_028_800_000_000)
            _ = SearchParameters.highlighter(q, search: search)
            if let after = try SearchParameters.cursorID(q, "after") { search.ids.after(after) }
            if let before = try SearchParameters.cursorID(q, "before") { search.ids.before(before) }
            _ = try SearchParameters.number(q, "limit", default: 100, in: 1...10_000)
            search.limit = try SearchParameters.number(q, "buckets", default: 60, in: 1...1000)
            try search.checkLimits()
            _ = search.window
        } catch is ParameterError {
        } catch is AlcoError {
        } catch {
            fatalError("unexpected error type: \(error)")
        }
    }

    /// A message as a producer sent it decodes to a document or a rejection.
    static func logstash(_ bytes: UnsafeRawBufferPointer) {
        var decoder = LogstashDecoder()
        decoder.requireTimestamp = bytes.count % 2 == 0
        if case .success(let doc) = decoder.decode(bytes, now: 1_764_028_800_000_000) {
            if let us = doc.microseconds { precondition(DocumentID.canHold(microseconds: us), "a time ids cannot hold was accepted") }
        }
    }

    /// A write-ahead log file of any content replays (cut, quarantined and reported) or is
    /// refused with an error; never a trap.
    static let walDirectory: String = scratchDirectory("wal")

    static func wal(_ bytes: UnsafeRawBufferPointer) {
        let path = walDirectory + "/00000000000000000001.wal"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        var records = 0
        do {
            _ = try WriteAheadLog.replay(directory: walDirectory, after: 0, quarantine: walDirectory + "/q") { _, _ in records += 1 }
        } catch is AlcoError {
        } catch {
            fatalError("unexpected error type: \(error)")
        }
        try? FileManager.default.removeItem(atPath: walDirectory + "/q")
    }

    /// A new directory for this run's files, removed when the run exits. Named by pid alone, a
    /// directory left by an earlier run whose pid came round again held an index "files"
    /// already, and creating it trapped before the first input.
    static func scratchDirectory(_ target: String) -> String {
        let dir = NSTemporaryDirectory() + "alco-fuzz-\(target)-\(getpid())-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        scratchDirectories.withLock { $0.append(dir) }
        atexit {
            for dir in FuzzTarget.scratchDirectories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: dir) }
        }
        return dir
    }

    static let scratchDirectories = Mutex<[String]>([])

    /// An index the log-file target's ingester belongs to; nothing is stored in it (each
    /// input's records are taken from the ingester and checked).
    static let fileIngest: (index: LogIndex, rejects: RejectStore) = {
        let dir = scratchDirectory("logfile")
        var options = EngineOptions()
        options.backgroundMaintenance = false
        options.syncWrites = false
        let catalog = try! Catalog(directory: dir + "/data", options: options)
        return (try! catalog.createIndex(IndexSettings(name: "files")), try! RejectStore(directory: dir + "/rejects"))
    }()

    nonisolated(unsafe) static var miner: PatternMiner = {
        var m = PatternMiner()
        m.maxPatterns = 5000
        m.maxShapes = 20000
        return m
    }()

    /// Any text as a log file: format detection, each line's time and level, multiline
    /// records, and each record's message pattern. Every record has a time ids can hold and a js object that parses.
    static func logfile(_ bytes: UnsafeRawBufferPointer) {
        guard let mode = bytes.first else { return }
        let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        let ingester = LineIngester(index: fileIngest.index, rejects: fileIngest.rejects, format: mode & 1 == 0 ? .auto : .text)
        ingester.batchSize = .max
        ingester.maxLineBytes = 4096
        ingester.multiline = mode & 2 == 0 ? .auto : .none
        ingester.recordsSource = mode & 4 != 0
        ingester.beginStream("fuzz.log", referenceMicroseconds: 1_764_028_800_000_000, sample: body)
        var number = 0
        var start = body.startIndex
        do {
            while start < body.endIndex {
                let end = body[start...].firstIndex(of: 0x0a) ?? body.endIndex
                number += 1
                try ingester.line(UnsafeRawBufferPointer(rebasing: body[start..<end]), source: "fuzz.log", number: number)
                start = end + 1
            }
            try ingester.completeRecord()
            for doc in try ingester.takeBatch() {
                if let us = doc.microseconds { precondition(DocumentID.canHold(microseconds: us), "a record time ids cannot hold") }
                // Its message's pattern, in one miner across inputs (bounded, as an index's is).
                let offset = doc.messageOffset ?? 0
                precondition(offset >= 0 && offset <= doc.logline.utf8.count, "a message offset outside the line")
                let words = TemplateTokens.of(utf8: doc.logline.utf8.dropFirst(offset))
                precondition(words.count <= TemplateTokens.maxWords)
                let id = miner.add(words: words, at: doc.microseconds ?? 0)
                precondition(Int(miner.resolve(id)) < miner.patterns.count, "a pattern id that resolves to nothing")
                guard case .object? = try? JSONParser.parse(doc.js) else { preconditionFailure("a record's js is not a JSON object: \(doc.js)") }
            }
        } catch is AlcoError {
        } catch {
            fatalError("unexpected error type: \(error)")
        }
    }

    /// Any bytes as a (possibly compressed) file: inflated to the end, or refused with an
    /// `InputError` at the damage; never a trap, and bounded memory.
    static func compressed(_ bytes: UnsafeRawBufferPointer) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        defer { close(fds[0]) }
        // The input fits the pipe's buffer (max_len is below 64 KiB): written whole, then closed.
        var written = 0
        while written < bytes.count {
            let n = write(fds[1], bytes.baseAddress! + written, bytes.count - written)
            if n <= 0 { break }
            written += n
        }
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var total = 0
        do {
            let source = try ByteSources.open(fd: fds[0], path: "fuzz")
            while true {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                total += n
                // Inflation bombs are bounded by what a caller reads, not by the reader: stop early.
                if total > 64 << 20 { break }
            }
        } catch is InputError {
        } catch is AlcoError {
        } catch {
            fatalError("unexpected error type: \(error)")
        }
    }

    /// One segment of awkward shapes (request ids, values shared by many lines and by few,
    /// sparse keys, numbers, arrays, a long line), built once.
    static let segmentImage: [UInt8] = {
        let b = SegmentBuilder()
        for i in 0..<200 {
            var js = #"{"host":"web\#(i % 5)","request_id":"req-\#(String(i * 2_654_435_761 % 4_294_967_296, radix: 16))","n":\#(i),"d":\#(Double(i) / 8)"#
            if i % 20 == 7 { js += #","rare":"only-\#(i)","tags":["a","b\#(i % 3)"]"# }
            js += "}"
            let line = i == 100 ? String(repeating: "long line ", count: 4000) : "worker-\(i % 7) handled block blk_\(i * 7919) in \(i % 97) ms"
            b.add(Document(id: 1_795_000_000_000_000_000 + UInt64(i) * 95_000_000 + UInt64(i % 3), logline: line, js: js))
        }
        return b.finish()
    }()

    /// The segment above damaged by the input (each 5 bytes: a u32 offset and a byte to XOR
    /// there), its section and table checksums recomputed so the damage reaches the readers,
    /// as in a segment read without page checks: opening fails with an error, or every read
    /// returns or throws. Never a trap.
    static func segment(_ bytes: UnsafeRawBufferPointer) {
        var image = segmentImage
        var k = 0
        while k + 5 <= bytes.count {
            let offset = Int(bytes.loadUnaligned(fromByteOffset: k, as: UInt32.self).littleEndian) % image.count
            image[offset] ^= bytes[k + 4]
            k += 5
        }
        reseal(&image)
        let reader: SegmentReader
        do {
            reader = try SegmentReader(name: "fuzz", storage: SegmentStorage(copying: image), checkingPagesOnUse: false)
        } catch is DecodeError {
            return
        } catch is AlcoError {
            return
        } catch {
            fatalError("unexpected error type: \(error)")
        }
        let cache = DocStoreCache(sharing: false)
        for ord in 0..<UInt32(reader.docCount) {
            _ = reader.id(ord)
            _ = reader.ordinal(of: reader.id(ord))
            _ = try? reader.document(ord, cache: cache)
        }
        for key in reader.attributeKeys {
            guard let attribute = reader.attribute(key) else { continue }
            for rank in 0..<min(attribute.valueCount, 100) {
                let value = attribute.value(rank)
                _ = try? reader.postingList(of: attribute, value: value)?.allDocs()
            }
            attribute.forEachValue(where: { $0 % 3 == 0 }, { _, _ in })
            for ord in 0..<UInt32(min(reader.docCount, 100)) {
                _ = attribute.displayValue(ord)
                _ = attribute.number(ord)
            }
        }
        for field: UInt8 in [0, 1] {
            reader.terms(field: field, prefix: [], limit: 300) { _, info in
                guard let list = try? reader.postingList(info) else { return }
                let docs = list.allDocs()
                _ = list.positions(of: Array(docs.prefix(20)))
            }
            for word in ["worker-3", "blk_7919", "web1", "handled", "zzz"] {
                if let info = reader.lookup([field] + Array(word.utf8)) { _ = try? reader.postingList(info).allDocs() }
            }
        }
    }

    /// Recomputes every section's checksum in the table of contents, and the table's own in
    /// the trailer, skipping entries whose (damaged) bounds leave the file.
    static func reseal(_ image: inout [UInt8]) {
        func u32(_ at: Int) -> Int { Int(image.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian }) }
        func u64(_ at: Int) -> UInt64 { image.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian } }
        func put(_ v: UInt32, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for i in 0..<4 { image[at + i] = $0[i] } } }
        func crc(_ from: UInt64, _ count: UInt64) -> UInt32? {
            guard from <= UInt64(image.count), count <= UInt64(image.count) - from else { return nil }
            return image.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[Int(from)..<Int(from + count)])) }
        }
        guard image.count >= 24 else { return }
        let trailer = image.count - 24
        let tocAt = u64(trailer)
        let tocLength = UInt64(u32(trailer + 8))
        guard tocAt <= UInt64(trailer), tocLength <= UInt64(trailer) - tocAt else { return }
        var entry = Int(tocAt) + 8
        while entry + 24 <= Int(tocAt + tocLength) {
            if let c = crc(u64(entry + 8), u64(entry + 16)) { put(c, entry + 4) }
            entry += 24
        }
        if let c = crc(tocAt, tocLength) { put(c, trailer + 12) }
    }
}

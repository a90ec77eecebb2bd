import AlcoIndex
import ArgumentParser
import Dispatch
import Foundation

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the data directory and serve it until SIGINT or SIGTERM.")

    @OptionGroup var data: DataOptions

    func run() throws {
        let catalog = try reportingErrors { try data.openCatalog() }
        for p in catalog.problems { warn("alco: \(p)") }
        let names = catalog.indexes.map(\.name)
        print("alco: serving \(data.directory) (pid \(getpid())); indexes: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        print("alco: press Ctrl-C to stop")
        fflush(nil)
        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { stop.signal() }
            s.resume()
            sources.append(s)
        }
        stop.wait()
        print("alco: stopping, flushing indexes")
        try reportingErrors { try catalog.close() }
        print("alco: stopped")
        _ = sources
    }
}

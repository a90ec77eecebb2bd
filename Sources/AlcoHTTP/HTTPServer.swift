import AlcoIndex
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The HTTP side of `alco serve`, run on a task of its own so the command can stay synchronous.
public final class HTTPServer: @unchecked Sendable {
    public struct StartFailure: Error, CustomStringConvertible {
        public var description: String
    }

    private let responder = SwitchingResponder(buildOpeningRouter().buildResponder())
    private var task: Task<Void, Never>?
    private var stopping: StopFlag?
    private var group: ServiceGroup?
    private let finished = DispatchSemaphore(value: 0)
    /// Hummingbird's own log (a server that cannot accept, say): the application's, in its
    /// format, from warnings up (its start and stop lines repeat ours).
    private let logger: Logger

    public init(logger: Logger = Logger(label: "alco.http")) {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        self.logger = quiet
    }

    /// Binds and starts serving; returns the bound port (0 asks for a free one) once the
    /// server runs, or throws why it could not start (a port in use).
    public func start(_ services: HTTPServices, host: String, port: Int, timeout: TimeInterval = 10) throws -> Int {
        let bound = try startOpening(host: host, port: port, timeout: timeout)
        serve(services)
        return bound
    }

    /// Binds and answers 503 to everything (`/health` says "opening") until `serve` is
    /// called, so load balancers and scripts see "not ready" rather than a refused connection
    /// while the data directory opens. Returns the bound port.
    public func startOpening(host: String, port: Int, timeout: TimeInterval = 10) throws -> Int {
        try run(host: host, port: port, timeout: timeout)
    }

    /// From now on requests go to the real routes. The same listener goes on: a client that
    /// connected while alco was opening keeps its connection (swapping listeners reset it).
    public func serve(_ services: HTTPServices) {
        stopping = services.stopping
        responder.replace(with: buildRouter(services).buildResponder())
    }

    private func run(host: String, port: Int, timeout: TimeInterval) throws -> Int {
        let outcome = Outcome()
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: "alco"),
            onServerRunning: { channel in outcome.settle(.success(channel.localAddress?.port ?? port)) },
            logger: logger
        )
        // Our own service group, so stopping is a graceful shutdown (open requests finish,
        // nothing logged as an error) rather than a cancellation.
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        self.group = group
        task = Task(executorPreference: HTTPTaskExecutor.shared) { [finished] in
            defer { finished.signal() }
            do {
                try await group.run()
                outcome.settle(.failure(StartFailure(description: "the server ended before it ran")))
            } catch {
                outcome.settle(.failure(error))
            }
        }
        guard let result = outcome.wait(timeout: timeout) else {
            throw StartFailure(description: "it did not start within \(Int(timeout)) s")
        }
        return try result.get()
    }

    /// Stops accepting and waits for the server task to end; a second call returns at once.
    public func stop() {
        stopping?.set()
        guard let task else { return }
        self.task = nil
        if let group {
            Task { await group.triggerGracefulShutdown() }
        } else {
            task.cancel()
        }
        // A client that keeps a request open past this is cut off.
        if finished.wait(timeout: .now() + 10) == .timedOut {
            task.cancel()
            finished.wait()
        }
    }

    /// Answers with whichever responder was set last; each request reads it once.
    private final class SwitchingResponder: HTTPResponder, @unchecked Sendable {
        typealias Context = BasicRequestContext
        private let lock = ConditionLock()
        private var current: any HTTPResponder<BasicRequestContext>

        init(_ first: some HTTPResponder<BasicRequestContext>) { current = first }

        func replace(with next: some HTTPResponder<BasicRequestContext>) { lock.withLock { current = next } }

        func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
            let now = lock.withLock { current }
            return try await now.respond(to: request, context: context)
        }
    }

    /// The first of "running on port N" and "failed", whichever comes.
    private final class Outcome: @unchecked Sendable {
        private let lock = ConditionLock()
        private let ready = DispatchSemaphore(value: 0)
        private var result: Result<Int, any Error>?

        func settle(_ r: Result<Int, any Error>) {
            let first = lock.withLock { () -> Bool in
                guard result == nil else { return false }
                result = r
                return true
            }
            if first { ready.signal() }
        }

        func wait(timeout: TimeInterval) -> Result<Int, any Error>? {
            guard ready.wait(timeout: .now() + timeout) == .success else { return nil }
            return lock.withLock { result }
        }
    }
}

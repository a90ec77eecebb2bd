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

    private var task: Task<Void, Never>?
    private var stopping: StopFlag?
    private var group: ServiceGroup?
    private let finished = DispatchSemaphore(value: 0)

    public init() {}

    /// Binds and starts serving; returns the bound port (0 asks for a free one) once the
    /// server runs, or throws why it could not start (a port in use).
    public func start(_ services: HTTPServices, host: String, port: Int, timeout: TimeInterval = 10) throws -> Int {
        stopping = services.stopping
        return try run(buildRouter(services), host: host, port: port, timeout: timeout)
    }

    /// Answers 503 to everything (`/health` says "opening") while the data directory opens,
    /// so load balancers and scripts see "not ready" rather than a refused connection.
    public func startOpening(host: String, port: Int, timeout: TimeInterval = 10) throws -> Int {
        try run(buildOpeningRouter(), host: host, port: port, timeout: timeout)
    }

    private func run(_ router: Router<BasicRequestContext>, host: String, port: Int, timeout: TimeInterval) throws -> Int {
        var logger = Logger(label: "alco.http")
        logger.logLevel = .warning
        let outcome = Outcome()
        let app = Application(
            router: router,
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

    /// Stops accepting and waits for the server task to end.
    public func stop() {
        stopping?.set()
        guard let task else { return }
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

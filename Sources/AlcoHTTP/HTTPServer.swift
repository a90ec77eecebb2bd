import Foundation
import Hummingbird
import Logging

/// The HTTP side of `alco serve`, run on a task of its own so the command can stay synchronous.
public final class HTTPServer: @unchecked Sendable {
    private var task: Task<Void, any Error>?
    private let finished = DispatchSemaphore(value: 0)

    public init() {}

    /// Binds and serves; `onRunning` gets the bound port (0 asks for a free one).
    public func start(_ services: HTTPServices, host: String, port: Int, onRunning: @escaping @Sendable (Int) -> Void) {
        var logger = Logger(label: "alco.http")
        logger.logLevel = .warning
        let app = Application(
            router: buildRouter(services),
            configuration: .init(address: .hostname(host, port: port), serverName: "alco"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
        task = Task { [finished] in
            defer { finished.signal() }
            try await app.run()
        }
    }

    /// Stops accepting and waits for the server task to end.
    public func stop() {
        guard let task else { return }
        task.cancel()
        finished.wait()
    }

    /// The error that ended the server early (a port in use), if any.
    public func failure(timeout: TimeInterval) -> (any Error)? {
        guard let task else { return nil }
        let box = ErrorBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            if case .failure(let e) = await task.result { box.error = e }
            done.signal()
        }
        return done.wait(timeout: .now() + timeout) == .success ? box.error : nil
    }

    private final class ErrorBox: @unchecked Sendable { var error: (any Error)? }
}

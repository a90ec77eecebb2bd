import Dispatch

/// Runs the HTTP server's tasks (Hummingbird's service group and every request handler it
/// starts) on Dispatch's threads through one concurrent queue instead of Swift's shared
/// cooperative pool, which has one thread per core: anything else that holds those threads
/// (CPU-bound tests did, for minutes) would otherwise hold HTTP with them, even its start.
final class HTTPTaskExecutor: TaskExecutor {
    static let shared = HTTPTaskExecutor()
    private let queue = DispatchQueue(label: "alco.http.tasks", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

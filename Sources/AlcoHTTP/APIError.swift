import AlcoIndex
import Hummingbird

/// An API error as JSON `{"error": ..., "detail": ...}` with the right status.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var error: String
    var detail: String

    static func notFound(_ detail: String) -> APIError { APIError(status: .notFound, error: "not_found", detail: detail) }
    static func badRequest(_ detail: String) -> APIError { APIError(status: .badRequest, error: "bad_request", detail: detail) }
    static func tooLarge(_ limit: Int) -> APIError {
        APIError(status: .contentTooLarge, error: "too_large", detail: "the body is larger than the limit of \(limit) bytes")
    }

    /// A write the engine could not make durable (nothing of it was kept): 507 when the disk
    /// is full, so clients retry later, 500 otherwise.
    /// A search stopped at the server's query time limit (`--query-timeout-ms`).
    static func timedOut(_ elapsedNanoseconds: UInt64) -> APIError {
        APIError(
            status: .serviceUnavailable, error: "timeout",
            detail: "the query stopped at the server's time limit after \(elapsedNanoseconds / 1_000_000) ms: "
                + "narrow it (a time range, more words) or raise --query-timeout-ms")
    }

    static func storage(_ e: AlcoError) -> APIError {
        e.isOutOfSpace
            ? APIError(status: .init(code: 507, reasonPhrase: "Insufficient Storage"), error: "insufficient_storage", detail: e.description)
            : APIError(status: .internalServerError, error: "storage_error", detail: e.description)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response.json(.object([("error", .string(error)), ("detail", .string(detail))]), status: status)
    }
}

extension Response {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var bytes: [UInt8] = []
        value.write(to: &bytes)
        bytes.append(0x0A)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ text: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

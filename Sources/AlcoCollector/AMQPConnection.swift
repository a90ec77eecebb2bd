import CRabbitMQ

#if canImport(Glibc)
import Glibc
#endif

/// One connection and channel to a broker through rabbitmq-c, for one consumer thread.
/// Every call blocks; errors close nothing by themselves: callers `close()` and reconnect.
final class AMQPConnection {
    private let state: amqp_connection_state_t
    private var channel: amqp_channel_t = 1
    private var isOpen = false

    init(url: AMQPURL, heartbeatSeconds: Int = 30, connectTimeoutSeconds: Int = 5, rpcTimeoutSeconds: Int = 15) throws {
        guard let s = amqp_new_connection() else { throw CollectorError.connection("cannot allocate an AMQP connection") }
        state = s
        let socket: OpaquePointer
        do {
            socket = try url.tls ? AMQPConnection.tlsSocket(s, url) : AMQPConnection.tcpSocket(s)
        } catch {
            amqp_destroy_connection(s)
            throw error
        }
        var timeout = timeval(tv_sec: connectTimeoutSeconds, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(s)
            throw CollectorError.connection("cannot connect to \(url): \(String(cString: amqp_error_string2(status)))")
        }
        let login = alco_amqp_login_plain(s, url.vhost, 131_072, Int32(heartbeatSeconds), url.user, url.password)
        guard login.reply_type == AMQP_RESPONSE_NORMAL else {
            let e = AMQPConnection.error(login, "login to \(url)")
            amqp_destroy_connection(s)
            throw e
        }
        isOpen = true
        // Heartbeats catch a dead peer only while frames flow; a broker that accepts a
        // declare or a close and never answers must not hold a consumer (or a shutdown) forever.
        var rpcTimeout = timeval(tv_sec: rpcTimeoutSeconds, tv_usec: 0)
        amqp_set_rpc_timeout(s, &rpcTimeout)
        try openChannel()
    }

    deinit { close() }

    private static func tcpSocket(_ s: amqp_connection_state_t) throws -> OpaquePointer {
        guard let socket = amqp_tcp_socket_new(s) else { throw CollectorError.connection("cannot create a TCP socket") }
        return socket
    }

    /// A TLS socket checking the broker's certificate against `cacertfile` (or the system's
    /// CAs) and its name, unless `verify=verify_none`; `certfile`/`keyfile` for client auth.
    private static func tlsSocket(_ s: amqp_connection_state_t, _ url: AMQPURL) throws -> OpaquePointer {
        guard let socket = amqp_ssl_socket_new(s) else { throw CollectorError.connection("cannot create a TLS socket") }
        amqp_ssl_socket_set_verify_peer(socket, url.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, url.verifyPeer ? 1 : 0)
        let systemCAs = "/etc/ssl/certs/ca-certificates.crt"
        if let ca = url.caCertFile ?? (url.verifyPeer && access(systemCAs, R_OK) == 0 ? systemCAs : nil) {
            let status = amqp_ssl_socket_set_cacert(socket, ca)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw CollectorError.connection("cannot read the CA certificates \(ca): \(String(cString: amqp_error_string2(status)))")
            }
        }
        if let cert = url.certFile, let key = url.keyFile {
            let status = amqp_ssl_socket_set_key(socket, cert, key)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw CollectorError.connection("cannot read the client certificate \(cert) / key \(key): \(String(cString: amqp_error_string2(status)))")
            }
        }
        return socket
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        amqp_destroy_connection(state)
    }

    private func openChannel() throws {
        _ = amqp_channel_open(state, channel)
        try check("open channel \(channel)")
    }

    static func error(_ reply: amqp_rpc_reply_t, _ what: String) -> CollectorError {
        var buf = [CChar](repeating: 0, count: 512)
        let code = alco_amqp_describe_reply(reply, &buf, buf.count)
        let text = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return .broker("\(what): \(text)", code: Int(code))
    }

    private func check(_ what: String) throws {
        let reply = amqp_get_rpc_reply(state)
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else { throw AMQPConnection.error(reply, what) }
    }

    /// After the broker closed the channel (a refused declare), a fresh channel goes on.
    private func recoverChannel() throws {
        _ = alco_amqp_channel_close_ok(state, channel)
        channel = channel &+ 1
        try openChannel()
    }

    /// Declares a topic exchange; one that exists with the other durability is used as it is
    /// (declared passively) instead of failing, since producers may have declared it first.
    func declareExchange(_ name: String, durable: Bool) throws -> Bool {
        do {
            try withBytes([name, "topic"]) { b in
                _ = amqp_exchange_declare(state, channel, b[0], b[1], 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
                try check("declare exchange '\(name)'")
            }
            return true
        } catch CollectorError.broker(_, code: 406) {
            try recoverChannel()
            try withBytes([name, "topic"]) { b in
                _ = amqp_exchange_declare(state, channel, b[0], b[1], 1, 0, 0, 0, amqp_empty_table)
                try check("declare exchange '\(name)' passively")
            }
            return false
        }
    }

    func declareQueue(_ name: String, durable: Bool) throws {
        do {
            try withBytes([name]) { b in
                _ = amqp_queue_declare(state, channel, b[0], 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
                try check("declare queue '\(name)'")
            }
        } catch CollectorError.broker(_, code: 406) {
            try recoverChannel()
            try withBytes([name]) { b in
                _ = amqp_queue_declare(state, channel, b[0], 1, 0, 0, 0, amqp_empty_table)
                try check("declare queue '\(name)' passively")
            }
        }
    }

    /// A queue only this connection sees, gone when it closes (exclusive, auto-delete): a
    /// copy of what the exchange routes to it, for a live tail.
    func declarePrivateQueue(_ name: String) throws {
        try withBytes([name]) { b in
            _ = amqp_queue_declare(state, channel, b[0], 0, 0, 1, 1, amqp_empty_table)
            try check("declare private queue '\(name)'")
        }
    }

    /// Consumes without acknowledgements: a tail's copies need none.
    func consumeWithoutAcks(queue: String) throws {
        try withBytes([queue]) { b in
            _ = amqp_basic_consume(state, channel, b[0], amqp_empty_bytes, 0, 1, 1, amqp_empty_table)
            try check("consume '\(queue)'")
        }
    }

    func bind(queue: String, exchange: String, routingKey: String) throws {
        try withBytes([queue, exchange, routingKey]) { b in
            _ = amqp_queue_bind(state, channel, b[0], b[1], b[2], amqp_empty_table)
            try check("bind '\(queue)' to '\(exchange)' with '\(routingKey)'")
        }
    }

    func unbind(queue: String, exchange: String, routingKey: String) throws {
        try withBytes([queue, exchange, routingKey]) { b in
            _ = amqp_queue_unbind(state, channel, b[0], b[1], b[2], amqp_empty_table)
            try check("unbind '\(queue)' from '\(exchange)' with '\(routingKey)'")
        }
    }

    func consume(queue: String, prefetch: UInt16) throws {
        _ = amqp_basic_qos(state, channel, 0, prefetch, 0)
        try check("set prefetch \(prefetch)")
        try withBytes([queue]) { b in
            _ = amqp_basic_consume(state, channel, b[0], amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
            try check("consume '\(queue)'")
        }
    }

    /// Waits up to `timeoutMillis` for the next delivery and appends its body to `messages`,
    /// with the origin `origin` names for its routing key; returns its delivery tag, or nil
    /// when none came.
    func receive(
        into messages: inout ReceivedMessages, timeoutMillis: Int,
        origin: (_ routingKey: UnsafeRawBufferPointer) -> String
    ) throws -> UInt64? {
        amqp_maybe_release_buffers(state)
        var envelope = amqp_envelope_t()
        var timeout = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
        let reply = amqp_consume_message(state, &envelope, &timeout, 0)
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT.rawValue {
            return nil
        }
        if reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue {
            // A method other than a delivery: a close from the broker ends this connection.
            let method = alco_amqp_read_unexpected(state)
            if method == alco_amqp_channel_close_method() || method == alco_amqp_connection_close_method() || method < 0 {
                throw CollectorError.connection("the broker closed the channel")
            }
            return nil
        }
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else { throw AMQPConnection.error(reply, "consume") }
        defer { amqp_destroy_envelope(&envelope) }
        let body = envelope.message.body
        let key = envelope.routing_key
        messages.append(
            UnsafeRawBufferPointer(start: body.bytes, count: body.len),
            origin: origin(UnsafeRawBufferPointer(start: key.bytes, count: key.len)))
        return envelope.delivery_tag
    }

    /// Publishes a transient message without properties, as logcollect does.
    func publish(exchange: String, routingKey: String, body: UnsafeRawBufferPointer) throws {
        let status = try withBytes([exchange, routingKey]) { b in
            amqp_basic_publish(
                state, channel, b[0], b[1], 0, 0, nil,
                amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw CollectorError.connection("publish failed: \(String(cString: amqp_error_string2(status)))")
        }
    }

    /// Messages waiting in a queue, from a passive declare (the collector's lag).
    func messageCount(queue: String) throws -> Int {
        try withBytes([queue]) { b in
            let ok = amqp_queue_declare(state, channel, b[0], 1, 0, 0, 0, amqp_empty_table)
            try check("inspect queue '\(queue)'")
            return Int(ok?.pointee.message_count ?? 0)
        }
    }

    /// Acknowledges every delivery up to and including `deliveryTag`.
    func ack(upTo deliveryTag: UInt64) throws {
        let status = amqp_basic_ack(state, channel, deliveryTag, 1)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw CollectorError.connection("ack failed: \(String(cString: amqp_error_string2(status)))")
        }
    }

    /// Names as amqp_bytes_t, valid during `body`.
    private func withBytes<R>(_ strings: [String], _ body: ([amqp_bytes_t]) throws -> R) throws -> R {
        let copies = strings.map { strdup($0)! }
        defer { copies.forEach { free($0) } }
        return try body(copies.map { amqp_cstring_bytes($0) })
    }
}

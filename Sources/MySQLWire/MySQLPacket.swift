import NIOCore

/// One logical MySQL packet: a payload and the sequence id of its last wire frame.
///
/// Payloads of 16 MiB - 1 bytes or more travel as several frames with consecutive sequence
/// ids; the decoder joins them, so a packet here is always whole.
public struct MySQLPacket: Equatable, Sendable {
    /// The largest payload one wire frame carries; a frame this full says "more follows".
    public static let maxFramePayload = 0xFF_FFFF

    public var sequenceID: UInt8
    public var payload: ByteBuffer

    public init(sequenceID: UInt8, payload: ByteBuffer) {
        self.sequenceID = sequenceID
        self.payload = payload
    }
}

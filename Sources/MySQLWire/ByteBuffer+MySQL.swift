import NIOCore

/// The MySQL protocol's basic types: little-endian fixed integers, length-encoded integers
/// and strings, NUL-terminated strings.
extension ByteBuffer {
    /// Writes a length-encoded integer (1, 3, 4 or 9 bytes).
    @discardableResult
    public mutating func writeLengthEncodedInteger(_ value: UInt64) -> Int {
        switch value {
        case 0..<251:
            return writeInteger(UInt8(value))
        case 251..<(1 << 16):
            return writeInteger(UInt8(0xFC)) + writeInteger(UInt16(value), endianness: .little)
        case (1 << 16)..<(1 << 24):
            return writeInteger(UInt8(0xFD)) + writeInteger(UInt16(value & 0xFFFF), endianness: .little)
                + writeInteger(UInt8(value >> 16))
        default:
            return writeInteger(UInt8(0xFE)) + writeInteger(value, endianness: .little)
        }
    }

    /// Reads a length-encoded integer; nil when the buffer is short or the prefix is 0xFB
    /// (NULL) or 0xFF (an error marker, never an integer).
    public mutating func readLengthEncodedInteger() -> UInt64? {
        guard let first = getInteger(at: readerIndex, as: UInt8.self) else { return nil }
        switch first {
        case 0..<251:
            moveReaderIndex(forwardBy: 1)
            return UInt64(first)
        case 0xFC:
            guard readableBytes >= 3 else { return nil }
            moveReaderIndex(forwardBy: 1)
            return UInt64(readInteger(endianness: .little, as: UInt16.self)!)
        case 0xFD:
            guard readableBytes >= 4 else { return nil }
            moveReaderIndex(forwardBy: 1)
            let low = UInt64(readInteger(endianness: .little, as: UInt16.self)!)
            let high = UInt64(readInteger(as: UInt8.self)!)
            return low | high << 16
        case 0xFE:
            guard readableBytes >= 9 else { return nil }
            moveReaderIndex(forwardBy: 1)
            return readInteger(endianness: .little, as: UInt64.self)
        default:
            return nil
        }
    }

    @discardableResult
    public mutating func writeLengthEncodedString(_ string: String) -> Int {
        let n = writeLengthEncodedInteger(UInt64(string.utf8.count))
        return n + writeString(string)
    }

    @discardableResult
    public mutating func writeLengthEncodedBytes(_ bytes: some Collection<UInt8>) -> Int {
        let n = writeLengthEncodedInteger(UInt64(bytes.count))
        return n + writeBytes(bytes)
    }

    public mutating func readLengthEncodedBytes() -> [UInt8]? {
        let save = readerIndex
        guard let n = readLengthEncodedInteger(), n <= UInt64(readableBytes), let bytes = readBytes(length: Int(n)) else {
            moveReaderIndex(to: save)
            return nil
        }
        return bytes
    }

    /// Reads up to the next NUL and consumes it; nil when there is none.
    public mutating func readNullTerminatedBytes() -> [UInt8]? {
        guard let end = readableBytesView.firstIndex(of: 0) else { return nil }
        let bytes = readBytes(length: end - readableBytesView.startIndex)
        moveReaderIndex(forwardBy: 1)
        return bytes
    }

}

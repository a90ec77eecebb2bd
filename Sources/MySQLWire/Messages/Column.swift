import NIOCore

/// Column types alco sends (a subset of MySQL's enum_field_types).
public enum MySQLColumnType: UInt8, Sendable {
    case long = 0x03
    case double = 0x05
    case longlong = 0x08
    case varString = 0xFD
    case string = 0xFE
}

/// A column definition (Protocol::ColumnDefinition41), shaped like Sphinx's: no schema or
/// table, charset 33 on every column.
public struct MySQLColumn: Equatable, Sendable {
    public static let notNullFlag: UInt16 = 0x0001
    public static let unsignedFlag: UInt16 = 0x0020
    public static let numericFlag: UInt16 = 0x8000

    public var name: String
    public var type: MySQLColumnType
    public var flags: UInt16
    public var length: UInt32
    public var decimals: UInt8
    public var characterSet: UInt16 = 33

    public init(name: String, type: MySQLColumnType, flags: UInt16 = 0, length: UInt32? = nil, decimals: UInt8 = 0) {
        self.name = name
        self.type = type
        self.flags = flags
        self.decimals = decimals
        switch type {
        case .long: self.length = length ?? 11
        case .longlong: self.length = length ?? 20
        case .double: self.length = length ?? 22
        case .varString, .string: self.length = length ?? 255
        }
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeLengthEncodedString("def")
        buffer.writeLengthEncodedString("")
        buffer.writeLengthEncodedString("")
        buffer.writeLengthEncodedString("")
        buffer.writeLengthEncodedString(name)
        buffer.writeLengthEncodedString(name)
        buffer.writeInteger(UInt8(0x0C))
        buffer.writeInteger(characterSet, endianness: .little)
        buffer.writeInteger(length, endianness: .little)
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(flags, endianness: .little)
        buffer.writeInteger(decimals)
        buffer.writeInteger(UInt16(0))
    }
}

import AlcoIndex

/// ALCO's `LoggerColumn` flags as the API and CLI name them. Three are the engine's (which
/// values it collects, drops or indexes); `display` (shown as a column in the web UI) and
/// `context` (long text shown under a line) are the UI's, kept with the column in the
/// engine's registry but decided here, with defaults by the key's name until someone sets them.
public enum ColumnFlag: String, CaseIterable, Sendable {
    case filtered, display, excluded, context, indexed

    /// Keys shown as columns until told otherwise: what identifies where a line came from.
    static let displayedByDefault: Set<String> = ["host", "levelname", "logger", "level"]

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public func value(of column: Column) -> Bool {
        switch self {
        case .filtered: return column.filtered
        case .excluded: return column.excluded
        case .indexed: return column.indexed
        case .display: return column.applicationFlags["display"] ?? ColumnFlag.displayedByDefault.contains(column.name)
        case .context: return column.applicationFlags["context"] ?? Column.longTextKeys.contains(column.name)
        }
    }

    public func set(_ value: Bool, on column: inout Column) {
        switch self {
        case .filtered: column.filtered = value
        case .excluded: column.excluded = value
        case .indexed: column.indexed = value
        case .display, .context: column.applicationFlags[rawValue] = value
        }
    }
}

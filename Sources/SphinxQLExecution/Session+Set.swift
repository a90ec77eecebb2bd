import AlcoIndex
import SphinxQL

/// `SET name = value`: session variables (bounded in number and size) and autocommit, whose
/// change to on commits an open transaction as MySQL does.
extension Session {
    func set(_ name: String, _ value: Expression) throws {
        let key = name.lowercased().replacingPrefix("@@session.", with: "").replacingPrefix("@@", with: "")
        let text: String
        switch value {
        case .integer(let n), .float(let n), .string(let n), .column(let n): text = n
        case .null: text = ""
        default: text = ""
        }
        if key == "autocommit" {
            let on = text != "0" && text.lowercased() != "off" && text.lowercased() != "false"
            if on && !autocommit { try commit() }
            autocommit = on
        }
        // Bounded per connection: a client cannot grow the server's memory by SETs.
        guard variables[key] != nil || variables.count < Session.maxVariables else {
            throw StatementError("too many session variables (at most \(Session.maxVariables))")
        }
        guard text.utf8.count <= Session.maxVariableBytes else {
            throw StatementError("a session variable's value is at most \(Session.maxVariableBytes) bytes")
        }
        variables[key] = text
    }
}

/// The node number a data directory was written under (`<data>/node`). Ids assigned under
/// one node number must never be assigned under another, so a directory keeps its number:
/// started with another, it refuses; started without one, it takes its own.
enum NodeMarker {
    static func resolve(directory: String, asked: Int?) throws -> Int? {
        let path = directory + "/node"
        var recorded: Int?
        if FileSystem.exists(path) {
            let text = String(decoding: try FileSystem.readAll(path), as: UTF8.self)
            guard let n = Int(text.filter { !$0.isWhitespace }), (0..<DocumentID.maxNodes).contains(n) else {
                throw AlcoError.invalidSetting("\(path) does not hold a node number (0-\(DocumentID.maxNodes - 1)): '\(text.prefix(40))'")
            }
            recorded = n
        }
        if let asked {
            guard (0..<DocumentID.maxNodes).contains(asked) else {
                throw AlcoError.invalidSetting("node number \(asked) is not in 0-\(DocumentID.maxNodes - 1)")
            }
            if let recorded, recorded != asked {
                throw AlcoError.invalidSetting(
                    "\(directory) was written by node \(recorded), not node \(asked): its ids would collide with node \(recorded)'s")
            }
            if recorded == nil { try FileSystem.writeAtomically(path, Array("\(asked)\n".utf8)) }
            return asked
        }
        return recorded
    }
}

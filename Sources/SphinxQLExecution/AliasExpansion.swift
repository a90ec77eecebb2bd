import SphinxQL

/// A select list's aliases expanded the way Sphinx reads them: an item may use the aliases of
/// the items before it (`id + 1 AS x, x + 1 AS y`), and WHERE, ORDER BY and GROUP BY may use
/// any of them. Each alias's expression is substituted once, in order, so later stages never
/// look an alias up: `x AS x` and `y AS x, x AS y` cannot loop (the name is not yet an alias
/// where it is used, as in Sphinx, which answers "unknown column"), and a chain of aliases
/// cannot recurse deeper or grow larger than the bounds below.
struct AliasExpansion {
    /// Expanded expressions by alias.
    private(set) var expressions: [String: Expression] = [:]
    /// The select items' expressions, expanded, in order.
    private(set) var items: [Expression] = []
    private var sizes: [String: Size] = [:]

    struct Size {
        var depth: Int
        var nodes: Int
        /// Nodes that substituted aliases brought in (a statement's own nodes are bounded by
        /// the packet size; these are what expansion adds).
        var substituted: Int
    }

    /// Deepest expanded expression (each alias is at most `Parser.maxDepth` deep itself; a chain
    /// of them nests further).
    static let maxDepth = 4 * Parser.maxDepth
    /// Most nodes expansion may add: `a1 + a1 AS a2, a2 + a2 AS a3, …` doubles at each step.
    static let maxNodes = 1_000_000

    init(_ selectItems: [SelectItem]) throws {
        for item in selectItems {
            let (e, size) = try expand(item.expression)
            items.append(e)
            if let alias = item.alias {
                expressions[alias] = e
                sizes[alias] = size
            }
        }
    }

    /// `e` with every alias replaced by its expression.
    func expand(_ e: Expression?) throws -> Expression? {
        guard let e else { return nil }
        return try expand(e).0
    }

    func expand(_ e: Expression) throws -> (Expression, Size) {
        let out = try walk(e)
        guard out.1.depth <= AliasExpansion.maxDepth, out.1.substituted <= AliasExpansion.maxNodes else {
            throw AliasExpansion.tooComplex
        }
        return out
    }

    static let tooComplex = StatementError(
        "expression too complex once aliases are expanded (more than \(maxNodes) terms from aliases or \(maxDepth) levels)")

    /// Recursion is bounded by the parsed expression's depth (`Parser.maxDepth`); sizes of
    /// aliases are known, so a substituted alias is not walked again.
    private func walk(_ e: Expression) throws -> (Expression, Size) {
        func list(_ xs: [Expression]) throws -> ([Expression], Size) {
            var out: [Expression] = []
            out.reserveCapacity(xs.count)
            var size = Size(depth: 0, nodes: 1, substituted: 0)
            for x in xs {
                let (y, s) = try walk(x)
                out.append(y)
                size.depth = max(size.depth, s.depth)
                size.nodes += s.nodes
                size.substituted += s.substituted
                if size.substituted > AliasExpansion.maxNodes { throw AliasExpansion.tooComplex }
            }
            size.depth += 1
            return (out, size)
        }
        switch e {
        case .column(let c):
            if let target = expressions[c], let size = sizes[c] { return (target, Size(depth: size.depth, nodes: size.nodes, substituted: size.nodes)) }
            return (e, Size(depth: 1, nodes: 1, substituted: 0))
        case .integer, .float, .string, .null, .variable, .star:
            return (e, Size(depth: 1, nodes: 1, substituted: 0))
        case .function(let name, let args):
            let (xs, s) = try list(args)
            return (.function(name, xs), s)
        case .binary(let op, let a, let b):
            let (xs, s) = try list([a, b])
            return (.binary(op, xs[0], xs[1]), s)
        case .and(let xs):
            let (ys, s) = try list(xs)
            return (.and(ys), s)
        case .or(let xs):
            let (ys, s) = try list(xs)
            return (.or(ys), s)
        case .not(let x):
            let (ys, s) = try list([x])
            return (.not(ys[0]), s)
        case .negate(let x):
            let (ys, s) = try list([x])
            return (.negate(ys[0]), s)
        case .between(let a, let b, let c):
            let (xs, s) = try list([a, b, c])
            return (.between(xs[0], xs[1], xs[2]), s)
        case .inList(let a, let xs):
            let (ys, s) = try list([a] + xs)
            return (.inList(ys[0], Array(ys.dropFirst())), s)
        }
    }
}

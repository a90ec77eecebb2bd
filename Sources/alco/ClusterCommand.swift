import ArgumentParser
import Foundation

/// `alco cluster`: what running alco nodes behind a Sphinx front needs.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run alco nodes behind a stock Sphinx searchd (see README, Beyond one machine).",
        subcommands: [SphinxConf.self])

    struct SphinxConf: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sphinx-conf",
            abstract: "Print a searchd config whose distributed indexes fan queries out to alco nodes.")

        @Option(
            name: .customLong("node"),
            help: "A node's SphinxAPI address, HOST:PORT (repeatable, one per node); mirrors of one node as HOST:PORT|HOST:PORT.")
        var nodes: [String] = []

        @Option(name: .customLong("index"), help: "An index to serve through the front (repeatable; default logs).")
        var indexes: [String] = []

        @Option(name: .customLong("listen"), help: "The front's SphinxQL (MySQL protocol) address (default 127.0.0.1:9306).")
        var listen = "127.0.0.1:9306"

        @Option(name: .customLong("state"), help: "Directory for searchd's log, query log and pid file (default /var/lib/alco-front).")
        var state = "/var/lib/alco-front"

        @Option(name: .customLong("connect-timeout-ms"), help: "How long the front waits to connect to a node (default 1000).")
        var connectTimeout = 1000

        @Option(name: .customLong("query-timeout-ms"), help: "How long the front waits for a node's answer (default 30000).")
        var queryTimeout = 30000

        @Flag(name: .customLong("persistent"), help: "Keep connections to the nodes open (agent_persistent).")
        var persistent = false

        func validate() throws {
            guard !nodes.isEmpty else { throw ValidationError("name the nodes: --node HOST:PORT, once per node") }
            for node in nodes {
                for mirror in node.split(separator: "|", omittingEmptySubsequences: false) {
                    let parts = mirror.split(separator: ":", omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port) else {
                        throw ValidationError("--node \(node): expected HOST:PORT (mirrors joined with |)")
                    }
                }
            }
            for name in indexes where !Self.isIndexName(name) {
                throw ValidationError("--index \(name): an index name is letters, digits and underscores")
            }
            guard connectTimeout > 0, queryTimeout > 0 else { throw ValidationError("timeouts are positive numbers of ms") }
        }

        static func isIndexName(_ s: String) -> Bool {
            !s.isEmpty && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || $0 == 95 }
        }

        func run() throws {
            print(render(), terminator: "")
        }

        func render() -> String {
            let names = indexes.isEmpty ? ["logs"] : indexes
            let kind = persistent ? "agent_persistent" : "agent"
            var out = """
                # A Sphinx 2.2.11 searchd in front of \(nodes.count) alco node(s), written by
                # `alco cluster sphinx-conf`. Clients speak SphinxQL to \(listen); each query goes
                # to every node (SphinxAPI, alco serve --sphinxapi) and the answers are merged.
                # A node that does not answer within the timeouts is left out of that answer,
                # with a warning; mirrors (HOST:PORT|HOST:PORT) take over for each other.

                """
            for name in names {
                out += "\nindex \(name)\n{\n    type = distributed\n"
                for node in nodes { out += "    \(kind) = \(node):\(name)\n" }
                out += "    agent_connect_timeout = \(connectTimeout)\n"
                out += "    agent_query_timeout = \(queryTimeout)\n"
                if nodes.contains(where: { $0.contains("|") }) { out += "    ha_strategy = nodeads\n" }
                out += "}\n"
            }
            out += """

                searchd
                {
                    listen = \(listen):mysql41
                    log = \(state)/searchd.log
                    query_log = \(state)/query.log
                    pid_file = \(state)/searchd.pid
                    binlog_path =
                    workers = threads
                    max_matches = 10000
                    persistent_connections_limit = \(persistent ? 16 : 0)
                }

                """
            return out
        }
    }
}

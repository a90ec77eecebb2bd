// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "alco",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "alco", targets: ["alco"]),
        .library(name: "AlcoIndex", targets: ["AlcoIndex"]),
        // What Fuzz/ (a package of its own, built with libFuzzer) exercises.
        .library(
            name: "AlcoFuzzTargets", targets: ["SphinxQL", "AlcoIndex", "AlcoIngest", "AlcoAPI", "MySQLWire", "SphinxAPI", "SphinxAPIExecution"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        // Compressed log files: zstd and bzip2 (gzip is CZlib).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        // CPU instructions Swift has no spelling for: cache prefetch hints for the segment
        // builder, the CRC-32C instruction for checksums.
        .target(name: "CSupport"),
        // RE2 (Debian libre2-dev) behind a C face: users' regular expressions run in linear
        // time and bounded memory (glibc's regexec backtracks, and crashes on some patterns).
        .target(
            name: "CRE2",
            linkerSettings: [.linkedLibrary("re2"), .linkedLibrary("stdc++")]
        ),
        .target(
            name: "AlcoIndex", dependencies: ["CLZ4", "CZstd", "CSupport", "CRE2", .product(name: "CoreMetrics", package: "swift-metrics")],
            // No unsafe flags, so other packages can depend on the engine: its hot loops keep
            // their state in locals, where no exclusivity check runs.
            swiftSettings: strict
        ),
        .target(
            name: "AlcoIngest",
            dependencies: [
                "AlcoIndex", "CRE2", "CZlib", "CZstd", "CBzip2", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The API's query parameters turned into the engine's query form, free of any HTTP library.
        .target(name: "AlcoAPI", dependencies: ["AlcoIndex", "AlcoIngest"], swiftSettings: strict),
        // RabbitMQ consumers that store what logcollect publishes (rabbitmq-c through CRabbitMQ).
        .target(
            name: "AlcoCollector",
            dependencies: [
                "AlcoIndex", "AlcoIngest", "CRabbitMQ", "CHiredis", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(name: "SphinxQL", swiftSettings: strict),
        .target(
            name: "SphinxQLExecution",
            dependencies: [
                "AlcoIndex", "SphinxQL", .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The SphinxAPI binary protocol (searchd's port 9312): frames, requests, results, packed
        // JSON and the connection state machine; knows no engine.
        .target(
            name: "SphinxAPI",
            dependencies: ["CZlib", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        // A Sphinx agent on the engine: API queries run as the SELECTs they stand for.
        .target(
            name: "SphinxAPIExecution",
            dependencies: [
                "AlcoIndex", "SphinxQL", "SphinxQLExecution", "SphinxAPI",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The MySQL wire protocol: packets, codec and the connection state machine; knows no SQL.
        .target(
            name: "MySQLWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The HTTP server: the API, the web UI, ingestion (JSON lines, Elasticsearch bulk),
        // /health, /metrics. The UI's files in Web/ are compiled in by EmbedWebAssets.
        .target(
            name: "AlcoHTTP",
            dependencies: [
                "AlcoIndex", "AlcoIngest", "AlcoAPI", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Web"],
            swiftSettings: strict,
            plugins: ["EmbedWebAssets"]
        ),
        // The HTTP API's reads through a Sphinx front over alco nodes (`--search-through`): the
        // engine's query form as SphinxQL, sent with libmariadb.
        .target(name: "SearchThrough", dependencies: ["AlcoIndex", "AlcoAPI", "CMariaDB"], swiftSettings: strict),
        .executableTarget(name: "WebAssetEmbedder", swiftSettings: strict),
        .plugin(name: "EmbedWebAssets", capability: .buildTool(), dependencies: ["WebAssetEmbedder"]),
        // Binds the wire protocol to SphinxQL sessions and runs the listener.
        .target(
            name: "AlcoMySQLServer",
            dependencies: [
                "SphinxQLExecution", "MySQLWire", "AlcoIndex",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // One application from settings: every part started, run as one ServiceGroup.
        .target(
            name: "AlcoApplication",
            dependencies: [
                "AlcoIndex", "AlcoIngest", "AlcoAPI", "AlcoCollector", "AlcoHTTP", "AlcoMySQLServer", "MySQLWire", "SphinxQLExecution",
                "SphinxAPIExecution", "SearchThrough",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "alco",
            dependencies: [
                "AlcoApplication", "AlcoIndex", "AlcoIngest", "AlcoAPI", "AlcoCollector", "AlcoHTTP",
                "SphinxQLExecution", "MySQLWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "AlcoIndexTests", dependencies: ["AlcoIndex"], swiftSettings: strict),
        // The README's example of embedding the engine, built as another package would use it.
        .testTarget(name: "EmbeddingTests", dependencies: ["AlcoIndex"], swiftSettings: strict),
        .testTarget(name: "AlcoIngestTests", dependencies: ["AlcoIngest", "AlcoIndex"], swiftSettings: strict),
        .testTarget(name: "AlcoAPITests", dependencies: ["AlcoAPI", "AlcoIndex"], swiftSettings: strict),
        .testTarget(
            name: "AlcoCollectorTests",
            dependencies: ["AlcoCollector", .product(name: "MetricsTestKit", package: "swift-metrics")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AlcoHTTPTests",
            dependencies: [
                "AlcoHTTP", "AlcoIndex", "AlcoIngest",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AlcoMySQLServerTests",
            dependencies: ["AlcoMySQLServer", "MySQLWire", "SphinxQLExecution", "AlcoIndex"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AlcoApplicationTests",
            dependencies: ["AlcoApplication", "AlcoIndex", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(name: "AlcoCLITests", dependencies: ["AlcoIndex"], swiftSettings: strict),
        .testTarget(name: "SphinxQLTests", dependencies: ["SphinxQL"], swiftSettings: strict),
        .testTarget(name: "SearchThroughTests", dependencies: ["SearchThrough", "AlcoIndex"], swiftSettings: strict),
        .testTarget(
            name: "SphinxAPITests",
            dependencies: [
                "SphinxAPI", "SphinxAPIExecution", "AlcoIndex",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SphinxQLExecutionTests",
            dependencies: ["SphinxQLExecution", "AlcoIndex", "SphinxQL", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MySQLWireTests",
            dependencies: [
                "MySQLWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)

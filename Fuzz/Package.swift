// swift-tools-version:6.1
// The fuzz targets, a package of their own so the project's `swift build` never builds them
// (they have libFuzzer's main, linked only with `--sanitize=fuzzer`). Built and run by
// Fuzz/run.sh; one binary, the target chosen by ALCO_FUZZ_TARGET.
import PackageDescription

let package = Package(
    name: "alco-fuzz",
    dependencies: [
        .package(name: "alco", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        .executableTarget(
            name: "alco-fuzz",
            dependencies: [
                .product(name: "AlcoFuzzTargets", package: "alco"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)

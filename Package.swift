// swift-tools-version:6.2
import PackageDescription

/// Settings shared by every target: explicit `any`, imports that must be visible where used,
/// and internal imports unless an import leaks into public API (`public import`).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// What a client of the exchange's HTTPS and WebSocket API links: the benchmark and the
/// end-to-end tests.
let clientDependencies: [Target.Dependency] = [
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
]

let package = Package(
    name: "data-exchange",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "exchanged", targets: ["exchanged"]),
        .executable(name: "exchangectl", targets: ["exchangectl"]),
        .executable(name: "exchange-bench", targets: ["exchange-bench"]),
        .executable(name: "exchange-fuzz", targets: ["exchange-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // MARK: Storage
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(
            name: "LMDB",
            dependencies: ["CLMDB"],
            swiftSettings: swiftSettings
        ),

        // MARK: Domain
        .target(
            name: "ExchangeModel",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ExchangeStore",
            dependencies: [
                "LMDB",
                "CLMDB",
                "ExchangeModel",
                "ExchangeAudit",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ExchangeRouting",
            dependencies: [
                "ExchangeModel",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Audit cryptography
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "ExchangeAudit",
            dependencies: ["COpenSSL"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "ExchangeEngine",
            dependencies: [
                "ExchangeModel",
                "ExchangeStore",
                "ExchangeAudit",
                "ExchangeRouting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Shared by the daemon and its clients, without HTTP
        .target(
            name: "ExchangeConfig",
            dependencies: [
                "ExchangeModel",
                "ExchangeStore",
                "ExchangeAudit",
                "ExchangeEngine",
                "ExchangeRouting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ExchangeIdentity",
            dependencies: [
                "ExchangeModel",
                "ExchangeConfig",
                "ExchangeRouting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ExchangeWire",
            dependencies: [
                "ExchangeModel",
                "ExchangeStore",
                "ExchangeEngine",
                "ExchangeAudit",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Web console (pages without HTTP; ExchangeServer mounts them)
        .target(
            name: "ExchangeConsole",
            dependencies: [
                "ExchangeModel",
                "ExchangeStore",
                "ExchangeAudit",
                "ExchangeEngine",
                "ExchangeRouting",
                "ExchangeIdentity",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: HTTP server
        .target(
            name: "ExchangeServer",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                "ExchangeConfig",
                "ExchangeIdentity",
                "ExchangeWire",
                "ExchangeConsole",
                "ExchangeModel",
                "ExchangeStore",
                "ExchangeAudit",
                "ExchangeEngine",
                "ExchangeRouting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Executables
        .executableTarget(
            name: "exchanged",
            dependencies: [
                "ExchangeStore",
                "ExchangeWire",
                "ExchangeAudit",
                "ExchangeConfig",
                "ExchangeIdentity",
                "ExchangeServer",
                "ExchangeEngine",
                "ExchangeRouting",
                "ExchangeModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "exchangectl",
            dependencies: [
                "ExchangeStore",
                "ExchangeAudit",
                "ExchangeRouting",
                "ExchangeConfig",
                "ExchangeIdentity",
                "ExchangeWire",
                "ExchangeModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "exchange-bench",
            dependencies: [
                "ExchangeStore",
                "ExchangeAudit",
                "ExchangeRouting",
                "ExchangeIdentity",
                "ExchangeWire",
                "ExchangeModel",
            ] + clientDependencies + [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // A libFuzzer harness: built with `--sanitize=fuzzer` by `make fuzz`, a program that does
        // nothing in other builds (Fuzz/README.md).
        .executableTarget(
            name: "exchange-fuzz",
            dependencies: [
                "ExchangeConfig",
                "ExchangeWire",
                "ExchangeRouting",
                "ExchangeAudit",
                "ExchangeModel",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Fuzz/Sources",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "LMDBTests",
            dependencies: ["TestSupport", "LMDB"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeModelTests",
            dependencies: [
                "ExchangeModel",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeStoreTests",
            dependencies: [
                "ExchangeModel",
                "LMDB",
                "TestSupport",
                "ExchangeStore",
                "ExchangeAudit",
            ],
            // A data directory written by the build of format 4, for the upgrade test.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeBenchTests",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                "exchange-bench",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeCtlTests",
            dependencies: ["exchangectl", "ExchangeAudit", "ExchangeModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeAuditTests",
            dependencies: ["TestSupport", "ExchangeAudit"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: ["LMDB"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TestSupport",
                "ExchangeStore",
                "ExchangeAudit",
                "ExchangeIdentity",
                "ExchangeServer",
                "LMDB",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ] + clientDependencies + [
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeEngineTests",
            dependencies: [
                "ExchangeEngine",
                "ExchangeAudit",
                "ExchangeStore",
                "ExchangeRouting",
                "ExchangeModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeConsoleTests",
            dependencies: ["ExchangeConsole", "ExchangeIdentity"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeRoutingTests",
            dependencies: [
                "ExchangeModel",
                "ExchangeRouting",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeConfigTests",
            dependencies: [
                "TestSupport",
                "ExchangeConfig",
                "ExchangeAudit",
                "ExchangeEngine",
                "ExchangeStore",
                "ExchangeModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeIdentityTests",
            dependencies: [
                "TestSupport",
                "ExchangeIdentity",
                "ExchangeConfig",
                "ExchangeModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeWireTests",
            dependencies: [
                "TestSupport",
                "ExchangeWire",
                "ExchangeAudit",
                "ExchangeEngine",
                "ExchangeConfig",
                "ExchangeModel",
                "ExchangeStore",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExchangeServerTests",
            dependencies: [
                "TestSupport",
                "ExchangeConfig",
                "ExchangeIdentity",
                "ExchangeWire",
                "ExchangeServer",
                "ExchangeRouting",
                "ExchangeAudit",
                "ExchangeConsole",
                "ExchangeEngine",
                "ExchangeModel",
                "ExchangeStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// swift-tools-version:6.0
// SwiftSBC: a B2BUA session border controller on a raw epoll loop.
// Layers below SIPTransport are sans-IO (values and state machines, injected clock); see
// docs/ARCHITECTURE.md for the threads and the path of a call.
import PackageDescription

/// Sans-IO layers are called across module boundaries on every message; their generics (the
/// transaction manager over its context, the deadline heap) must be specialised in the caller.
let crossModuleOptimization: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"])]

let package = Package(
    name: "SwiftSBC",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sbc", targets: ["sbc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C shims and system libraries.
        .target(name: "CSBCLinux"),
        .systemLibrary(name: "CSBCOpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSBCSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        .systemLibrary(name: "CSBCSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Syscalls, epoll loop, timers, sockets.
        .target(name: "SBCSystem", dependencies: ["CSBCLinux", .product(name: "Logging", package: "swift-log")]),

        // Sans-IO protocol layers.
        .target(name: "SBCTimers", swiftSettings: crossModuleOptimization),
        .target(name: "SIPCore", swiftSettings: crossModuleOptimization),
        .target(name: "SIPTransaction", dependencies: ["SIPCore", "SBCTimers"], swiftSettings: crossModuleOptimization),
        .target(name: "SBCConfig", dependencies: ["Yams", "SDP", "SIPCore"]),
        .target(name: "Routing", dependencies: ["SIPCore", "SBCConfig"], swiftSettings: crossModuleOptimization),
        .target(name: "SIPProfiles", dependencies: ["SIPCore", "SBCConfig"]),
        // SDP parse/serialise, relay rewriting, codec policy (see docs/MEDIA.md).
        .target(name: "SDP", swiftSettings: crossModuleOptimization),
        // Media session model, port allocator, RTP views, latching, silence tracking.
        .target(name: "Media", dependencies: ["SDP"], swiftSettings: crossModuleOptimization),
        // SRTP/SRTCP contexts (SRTPContext) on OpenSSL's libcrypto, built off the packet path and
        // used by the media workers; suites and keys are SDP's SDES values. libsrtp2 (SRTPLibrary)
        // is the reference the tests check against. Kept out of Media, which links no C library.
        .target(name: "SRTP", dependencies: ["CSBCOpenSSL", "CSBCSRTP", "SDP"], swiftSettings: crossModuleOptimization),
        // OpenSSL TLS sessions driven through memory BIOs by the loop (sans-IO: no sockets, no clock);
        // certificate inspection and expiry watch. See issue 11.
        .target(name: "TLS", dependencies: ["CSBCOpenSSL"], swiftSettings: crossModuleOptimization),
        // Digest authentication towards carriers (RFC 7616/8760): challenge parsing, responses,
        // retry rules and nonce counts; sans-IO (see docs/AUTH.md).
        .target(name: "SIPAuthentication", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "B2BUA", dependencies: [
            "SIPCore", "SIPTransaction", "SBCTimers", "Routing", "SBCConfig", "SIPProfiles", "SDP", "Media",
            "SIPAuthentication",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: crossModuleOptimization),

        // I/O: transports on the loop, wiring, executable.
        .target(name: "SIPTransport", dependencies: ["SIPCore", "SBCSystem", "TLS", .product(name: "Logging", package: "swift-log")]),
        // Media worker threads relaying RTP/RTCP (docs/MEDIA.md).
        .target(name: "MediaRelay", dependencies: [
            "Media", "SDP", "SRTP", "SBCSystem", "CSBCLinux", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: crossModuleOptimization),
        // CDRs, audit and operator state on writer threads of their own: the node's SQLite file or
        // a PostgreSQL database shared by a cluster (docs/STATE.md, docs/CLUSTER.md).
        .target(name: "SBCStore", dependencies: [
            "CSBCSQLite", .product(name: "Logging", package: "swift-log"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // Admin REST API and metrics, on Hummingbird's own threads.
        .target(name: "AdminAPI", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [
            // The status page and the API's description, compiled in: nothing to deploy beside
            // the binary (Resources/openapi.yaml links to docs/openapi.yaml).
            .embedInCode("Resources/status.html"), .embedInCode("Resources/status.js"),
            .embedInCode("Resources/status.css"), .embedInCode("Resources/openapi.yaml"),
        ]),
        .target(name: "SBCServer", dependencies: [
            "SIPCore", "SIPTransaction", "SIPTransport", "SBCSystem", "SBCConfig", "Routing", "B2BUA", "SBCStore",
            "Media", "MediaRelay", "AdminAPI", "TLS", "CSBCOpenSSL", "CSBCSRTP", "CSBCSQLite",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "sbc", dependencies: [
            "SBCServer", "SBCConfig", "SBCStore", "AdminAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .executableTarget(name: "b2bua-bench", dependencies: [
            "B2BUA", "SIPCore", "Routing", "SBCConfig", "CSBCLinux", .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/b2bua-bench"),
        // SRTP per packet: the SBC's own transforms against libsrtp2 (bench/README.md).
        .executableTarget(name: "srtp-bench", dependencies: ["SRTP", "SDP"], path: "Sources/srtp-bench"),

        // Tests: unit tests of sans-IO layers, then integration tests against the built binary.
        .testTarget(name: "SIPCoreTests", dependencies: ["SIPCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SBCTimersTests", dependencies: ["SBCTimers"]),
        .testTarget(name: "SIPTransactionTests", dependencies: ["SIPTransaction", "SIPCore"]),
        .testTarget(name: "SBCConfigTests", dependencies: ["SBCConfig"]),
        .testTarget(name: "SIPProfilesTests", dependencies: ["SIPProfiles", "SIPCore", "SBCConfig"]),
        .testTarget(name: "SBCSystemTests", dependencies: ["SBCSystem", "SIPTransport", "TLS", "CSBCLinux", "CSBCOpenSSL", "CSBCSRTP", "CSBCSQLite", "SRTP"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "SBCConfig", "SIPCore"]),
        .testTarget(name: "SDPTests", dependencies: ["SDP"]),
        .testTarget(name: "MediaTests", dependencies: ["Media"]),
        .testTarget(name: "SRTPTests", dependencies: ["SRTP", "SDP"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS"]),
        .testTarget(name: "MediaRelayTests", dependencies: ["MediaRelay", "Media", "SBCSystem", "SDP", "SRTP"]),
        .testTarget(name: "B2BUATests", dependencies: ["B2BUA", "SIPCore", "SIPTransaction", "Routing", "SBCConfig", "SDP", "Media",
                                                      "SIPAuthentication"]),
        .testTarget(name: "SIPAuthenticationTests", dependencies: ["SIPAuthentication"]),
        .testTarget(name: "AdminAPITests", dependencies: [
            "AdminAPI",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "SBCServerTests", dependencies: ["SBCServer", "SBCStore"]),
        .testTarget(name: "SBCStoreTests", dependencies: ["SBCStore"]),
        .testTarget(name: "IntegrationTests", dependencies: ["SBCConfig"], resources: [.copy("Scenarios")]),
    ]
)

// libFuzzer targets (Fuzz/, docs/FUZZING.md): declared only when SBC_FUZZ is set, so that the ordinary
// debug build never compiles them (they have no `main`: libFuzzer brings its own). `scripts/fuzz` builds
// them with libFuzzer and ASan in their own scratch path, `.build-fuzz`.
if Context.environment["SBC_FUZZ"] != nil {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzSIPParser", ["SIPCore"]),
        ("FuzzSIPRoundTrip", ["SIPCore"]),
        ("FuzzSIPStreamFramer", ["SIPCore"]),
        ("FuzzSDPParser", ["SDP"]),
        ("FuzzSDPRewriter", ["SDP"]),
        ("FuzzRTPPacket", ["Media", "SRTP", "SDP"]),
        ("FuzzConfigLoader", ["SBCConfig"]),
        ("FuzzAdminJSON", ["AdminAPI"]),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(name: target.name, dependencies: target.dependencies,
                                                 path: "Fuzz/Targets/\(target.name)"))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}

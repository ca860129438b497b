// swift-tools-version:6.1
import PackageDescription

// Dependencies are deliberate: every one costs CI a from-scratch build.
// hummingbird (HTTP), postgres-nio (PostgreSQL; brings swift-crypto, whose `Crypto` we use for
// SHA-256/HMAC at no extra cost), swift-service-lifecycle, swift-log, swift-metrics and
// swift-prometheus. Yams is used by tests only, to read docker-compose.yml and the OpenAPI files.
/// The six services: library folder name and executable name.
let services: [(name: String, executable: String)] = [
    ("Ingest", "ingest"), ("Leads", "leads"), ("Deals", "deals"),
    ("Inventory", "inventory"), ("DealerInfo", "dealer-info"), ("Reporting", "reporting"),
]

// Top-level code runs in order: this must be set before `package` is built.
/// What a service needs beyond the common set: its own dependencies and resource folders.
let serviceExtras: [String: (dependencies: [Target.Dependency], resources: [Resource])] = [
    "Deals": ([.product(name: "Mustache", package: "swift-mustache")], [.copy("Templates")]),
    // Dealers' API keys are stored as SHA-256 (swift-crypto is already in the graph through
    // postgres-nio); deliveries are pushed to dealers' endpoints with async-http-client.
    // Reporting creates "call the client" tasks in deals over internal HTTP.
    "Reporting": ([.product(name: "AsyncHTTPClient", package: "async-http-client")], []),
    "DealerInfo": (
        [.product(name: "Crypto", package: "swift-crypto"), .product(name: "AsyncHTTPClient", package: "async-http-client")], []
    ),
]

let package = Package(
    name: "dms",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ingest", targets: ["ingest"]),
        .executable(name: "leads", targets: ["leads"]),
        .executable(name: "deals", targets: ["deals"]),
        .executable(name: "inventory", targets: ["inventory"]),
        .executable(name: "dealer-info", targets: ["dealer-info"]),
        .executable(name: "reporting", targets: ["reporting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.0"),
        // Already in the graph through hummingbird's test client; the inquiry benchmark drives ingest with it.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
        // Commercial offers are rendered from Mustache templates (deals), then to PDF by weasyprint.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
    ],
    targets: [
        // MARK: Shared
        .systemLibrary(
            name: "CRdkafka",
            path: "Shared/CRdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev (>= 2.8; infra/run builds it)"])]
        ),
        .target(name: "Contracts", path: "Shared/Contracts"),
        // CSV import machinery (reader, header/row loop, problems by line, COPY text); Foundation only.
        .target(name: "Tabular", path: "Shared/Tabular"),
        .target(
            name: "Storage",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Shared/Storage"
        ),
        .target(
            name: "Messaging",
            dependencies: [
                "CRdkafka", "Contracts", "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/Messaging",
            resources: [.copy("Migrations")]
        ),
        .target(
            name: "ServiceKit",
            dependencies: [
                "Contracts", "Messaging", "Storage", "Tabular",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Shared/ServiceKit"
        ),

        // MARK: Benchmarks (`swift run -c release messaging-benchmark`)
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                "Contracts",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/BenchmarkSupport"
        ),
        .executableTarget(
            name: "messaging-benchmark",
            dependencies: [
                "BenchmarkSupport", "Messaging", "Storage", "Contracts",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/MessagingBenchmark"
        ),

        // `swift build -c release && .build/release/inquiry-benchmark`: ingest + leads as processes.
        .executableTarget(
            name: "inquiry-benchmark",
            dependencies: [
                "BenchmarkSupport", "Contracts", "ServiceKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/InquiryBenchmark"
        ),

        // `swift build -c release && .build/release/deals-benchmark`: deals as a process.
        .executableTarget(
            name: "deals-benchmark",
            dependencies: [
                "BenchmarkSupport", "Contracts", "Messaging",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/DealsBenchmark"
        ),

        // `swift build -c release && .build/release/inventory-benchmark`: inventory as a process.
        .executableTarget(
            name: "inventory-benchmark",
            dependencies: [
                "BenchmarkSupport", "Contracts", "Messaging",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/InventoryBenchmark"
        ),

        // `swift build -c release && .build/release/journey-benchmark`: ingest, leads, deals and inventory as processes.
        .executableTarget(
            name: "journey-benchmark",
            dependencies: [
                "BenchmarkSupport", "Contracts", "ServiceKit", "Storage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/JourneyBenchmark"
        ),

        // `swift build -c release && .build/release/dealer-info-benchmark`: dealer-info as a process, driven over HTTP.
        .executableTarget(
            name: "dealer-info-benchmark",
            dependencies: [
                "BenchmarkSupport", "Storage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/DealerInfoBenchmark"
        ),

        // `swift build -c release && .build/release/reporting-benchmark`: reporting as a process, its log loaded with COPY.
        .executableTarget(
            name: "reporting-benchmark",
            dependencies: [
                "BenchmarkSupport", "Contracts", "Messaging",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ReportingBenchmark"
        ),

        // `infra/run`, then `.build/release/idle-benchmark`: the idle suite's CPU, per process.
        .executableTarget(
            name: "idle-benchmark",
            dependencies: ["BenchmarkSupport", "Contracts"],
            path: "Benchmarks/IdleBenchmark"
        ),

        // MARK: Tests
        // A small process the messaging fault tests start and kill (-9): a relay or an inbox consumer.
        .executableTarget(
            name: "messaging-drill",
            dependencies: [
                "Messaging", "Storage", "Contracts",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/MessagingDrill"
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "ServiceKit", "Storage", "Contracts",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "ContractsTests", dependencies: ["Contracts"]),
        .testTarget(name: "TabularTests", dependencies: ["Tabular"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestSupport"]),
        .testTarget(
            name: "MessagingTests",
            dependencies: [
                "Messaging", "TestSupport", "messaging-drill",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: [
                "ServiceKit", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TestSupport", "ServiceKit", "Messaging", "Contracts",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // The services' executables are built by `swift test` and started as real processes.
                "ingest", "leads", "deals", "inventory", "dealer-info", "reporting",
                "IngestCore", "LeadsCore", "DealsCore", "InventoryCore", "DealerInfoCore", "ReportingCore",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ] + services.flatMap { service($0.name, executable: $0.executable) }
        + services.map { serviceTests($0.name) },
    swiftLanguageModes: [.v6]
)

/// A service's library (`<Name>Core`: domain, storage, HTTP, migrations) and its thin executable.
func service(_ name: String, executable: String) -> [Target] {
    [
        .target(
            name: "\(name)Core",
            dependencies: [
                "Contracts", "Messaging", "Storage", "ServiceKit", "Tabular",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + (serviceExtras[name]?.dependencies ?? []),
            path: "Services/\(name)/\(name)Core",
            resources: [.copy("Migrations")] + (serviceExtras[name]?.resources ?? [])
        ),
        .executableTarget(
            name: executable,
            dependencies: [.target(name: "\(name)Core"), "ServiceKit"],
            path: "Services/\(name)/\(executable)"
        ),
    ]
}

func serviceTests(_ name: String) -> Target {
    .testTarget(
        name: "\(name)CoreTests",
        dependencies: [
            .target(name: "\(name)Core"), "TestSupport", "Tabular",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]
    )
}

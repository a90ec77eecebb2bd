import Foundation
import PackagePlugin

/// Compiles the web UI's files (`Web/` in the target: HTML, JS, CSS) into the target as
/// Swift constants, so the single `alco` binary serves its UI with nothing beside it.
@main
struct EmbedWebAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let web = target.directoryURL.appending(path: "Web")
        let names = try FileManager.default.contentsOfDirectory(atPath: web.path(percentEncoded: false))
            .filter { !$0.hasPrefix(".") }.sorted()
        let inputs = names.map { web.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "WebAssets.swift")
        return [.buildCommand(
            displayName: "Embedding \(names.count) web UI files",
            executable: try context.tool(named: "WebAssetEmbedder").url,
            arguments: [output.path(percentEncoded: false)] + inputs.map { $0.path(percentEncoded: false) },
            inputFiles: inputs,
            outputFiles: [output]
        )]
    }
}

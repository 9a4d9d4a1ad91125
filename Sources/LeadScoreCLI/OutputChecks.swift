import ArgumentParser
import LeadModel

/// Refuses two outputs of one run that lead to the same file, however spelled (`X`, `./X`, a link
/// to X): both would be written and one would silently replace or garble the other. A usage error
/// (status 64), raised before anything is read.
func requireDistinctOutputs(_ outputs: [(option: String, path: String?)]) throws {
    let given = outputs.compactMap { o in o.path.map { (option: o.option, path: $0) } }
    for i in given.indices {
        for j in given.indices where j > i && OutputPath.sameFile(given[i].path, given[j].path) {
            throw ValidationError("\(given[i].option) and \(given[j].option) lead to the same file ('\(given[j].path)'); give two different files.")
        }
    }
}

/// Writes `text` to standard output and flushes it, so a failed write (a full disk, /dev/full)
/// becomes an output error (status 73) instead of a silent success.
func writeStandardOutput(_ text: String) throws {
    let out = try OutputSink(path: "-")
    try out.write(text)
    try out.commit()
}

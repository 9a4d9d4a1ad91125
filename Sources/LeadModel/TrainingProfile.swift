import Foundation

/// A compact picture of the training leads, stored in the model file (`"training_profile"`) so a later
/// run can tell how far new leads have moved from them (`leadscore drift`) without the training data.
///
/// Per model column: the missing rate and either the numeric bins (edges at the training deciles,
/// with each bin's share: ties make them differ from 10%) or the share of each level group (pooled
/// rare levels as `(other)`). The score gets the same bins on the 0–100 scale. Older models lack the
/// key; drift says so.
public struct TrainingProfile: Codable, Sendable, Equatable {
    /// Training leads the profile was taken from.
    public var rows: Int
    public var columns: [ProfiledColumn]
    /// The 0–100 score of the training leads.
    public var score: ProfileBins

    public init(rows: Int, columns: [ProfiledColumn], score: ProfileBins) {
        self.rows = rows
        self.columns = columns
        self.score = score
    }
}

/// One model column in the training profile.
public struct ProfiledColumn: Codable, Sendable, Equatable {
    public var name: String
    public var missingRate: Double
    /// Numeric and boolean columns: bins of the non-missing values.
    public var bins: ProfileBins?
    /// Categorical columns: share of each level group among all leads (missing included as its level).
    public var levels: [LevelShare]?

    enum CodingKeys: String, CodingKey {
        case name, bins, levels
        case missingRate = "missing_rate"
    }

    public init(name: String, missingRate: Double, bins: ProfileBins? = nil, levels: [LevelShare]? = nil) {
        self.name = name
        self.missingRate = missingRate
        self.bins = bins
        self.levels = levels
    }
}

/// Bins of a numeric distribution: bin 0 is (−∞, edges[0]], bin k is (edges[k−1], edges[k]], the last
/// is (edges.last, ∞); `shares` has edges.count + 1 entries adding up to 1.
public struct ProfileBins: Codable, Sendable, Equatable {
    public var edges: [Double]
    public var shares: [Double]

    public init(edges: [Double], shares: [Double]) {
        self.edges = edges
        self.shares = shares
    }

    /// Bins at the deciles of `values` (NaN ignored; repeated edges merged), with their shares.
    public static func deciles(of values: [Double]) -> ProfileBins? {
        let v = values.filter { !$0.isNaN }.sorted()
        guard !v.isEmpty else { return nil }
        var edges: [Double] = []
        for k in 1..<10 {
            let e = v[min(v.count - 1, (k * v.count) / 10)]
            if edges.last != e { edges.append(e) }
        }
        if edges.last == v.last { edges.removeLast() }
        if edges.isEmpty { edges = [v[0]] }
        let counts = ProfileBins(edges: edges, shares: []).counts(v)
        return ProfileBins(edges: edges, shares: counts.map { Double($0) / Double(v.count) })
    }

    /// The bin of `x`.
    @inline(__always)
    public func bin(_ x: Double) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if x <= edges[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// How many of `values` (NaN ignored) fall in each bin.
    public func counts(_ values: [Double]) -> [Int] {
        var c = [Int](repeating: 0, count: edges.count + 1)
        for x in values where !x.isNaN { c[bin(x)] += 1 }
        return c
    }
}

/// A level group and its share of the training leads.
public struct LevelShare: Codable, Sendable, Equatable {
    public var level: String
    public var share: Double

    public init(level: String, share: Double) {
        self.level = level
        self.share = share
    }
}

extension TrainingProfile {
    /// The profile stored in the model file at `path` (`"training_profile"`), nil when it has none.
    public static func stored(inModelAt path: String) -> TrainingProfile? {
        struct Holder: Decodable {
            var profile: TrainingProfile?
            enum CodingKeys: String, CodingKey { case profile = "training_profile" }
        }
        guard let data = try? ModelFileBytes.read(path, limit: ModelFileLimits.maxBytes) else { return nil }
        return (try? JSONDecoder().decode(Holder.self, from: data))?.profile
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import LeadSupport
import LeadData

/// Synthetic B2B leads with planted, documented rejection drivers (see `datasets/README.md`).
///
/// Acceptance by sales follows a logistic model whose true coefficients are `LeadGenerator.planted`:
/// tests check that training recovers them, and that the columns planted with no effect (`country`,
/// `marketing_touches`, `newsletter`) are not significant. Rejected leads get a `reject_reason` drawn
/// from reason-specific drivers. Output is a pure function of (rows, seed, labeled).
public struct LeadGenerator {
    public var seed: UInt64
    public var labeled = true
    /// Fraction of rows given an industry never seen in the labeled data (only when unlabeled).
    public var unseenFraction = 0.01

    public init(seed: UInt64) { self.seed = seed }

    public static let header = ["lead_id", "created_at", "lead_source", "industry", "country", "company_size",
                                "job_level", "email_type", "page_views", "days_since_last_activity",
                                "webinar_attended", "budget_confirmed", "marketing_touches", "newsletter"]

    static let sources: [(String, Double, Double)] = [  // name, share, log-odds effect
        ("web_form", 0.30, 0.0), ("paid_search", 0.20, -0.3), ("cold_list", 0.15, -1.4),
        ("event", 0.13, 0.2), ("referral", 0.12, 1.1), ("partner", 0.10, 0.6),
    ]
    static let jobLevels: [(String, Double, Double)] = [
        ("manager", 0.30, 0.0), ("individual", 0.28, -0.3), ("director", 0.18, 0.4),
        ("vp", 0.10, 0.6), ("c_level", 0.06, 0.8), ("student", 0.08, -1.5),
    ]
    static let countries = ["US", "UK", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "SE", "BR", "IN"]
    /// 34 industries, Zipf-like shares; a few carry effects, the rarest fall under the pooling threshold.
    static let industries: [String] = [
        "software", "retail", "manufacturing", "finance", "healthcare", "education", "logistics", "media",
        "telecom", "energy", "construction", "hospitality", "insurance", "real_estate", "automotive",
        "agriculture", "legal", "consulting", "government", "nonprofit", "pharma", "biotech", "aerospace",
        "chemicals", "mining", "textiles", "gaming", "sports", "publishing", "security", "marine",
        "printing", "tobacco", "funeral_services",
    ]
    static let industryEffects: [String: Double] = ["finance": 0.5, "education": -0.6, "government": -0.4, "software": 0.3]

    /// True log-odds effects, for documentation and tests (numeric effects are per unit).
    public static let planted: [String: Double] = [
        "lead_source=cold_list": -1.4, "lead_source=referral": 1.1, "lead_source=partner": 0.6,
        "job_level=student": -1.5, "email_type=free": -1.0, "webinar_attended": 0.7,
        "budget_confirmed=no": -0.9, "page_views": 0.12, "days_since_last_activity": -0.03,
        "event×company_size<50": -1.2, "company_size<10": -1.0,
    ]
    public static let noEffectColumns = ["country", "marketing_touches", "newsletter"]

    /// Writes `rows` leads (with `status` and `reject_reason` when labeled) to `out`.
    public func write(rows: Int, to out: OutputSink) throws {
        var header = LeadGenerator.header
        if labeled { header += ["status", "reject_reason"] }
        try out.write(header.joined(separator: ",") + "\n")
        var rng = SplitMix64(seed: SplitMix64.mix(seed ^ (labeled ? 0 : 0x5eed)))
        let industryWeights = (0..<LeadGenerator.industries.count).map { 1 / pow(Double($0) + 1.5, 2.4) }
        let industryTotal = industryWeights.reduce(0, +)
        let start = FieldParser.daysFromCivil(2025, 1, 1)
        let span = FieldParser.daysFromCivil(2026, 11, 1) - start
        let prefix = labeled ? "L" : "N"
        for i in 0..<rows {
            let day = start + Int(rng.uniform() * Double(span))
            let (source, sourceEffect) = pick(LeadGenerator.sources, &rng)
            var industry = LeadGenerator.industries[pickIndex(industryWeights, total: industryTotal, &rng)]
            if !labeled && rng.uniform() < unseenFraction { industry = "space_mining" }
            let a = LeadAttributes.draw(&rng) { r in pick(LeadGenerator.jobLevels, &r) }

            var eta = -0.2 + sourceEffect + a.jobEffect + (LeadGenerator.industryEffects[industry] ?? 0)
            if a.hasFreeEmail { eta -= 1.0 }
            eta += 0.12 * Double(a.pageViews - 6)
            if let days = a.knownDays { eta -= 0.03 * Double(days - 20) }
            if a.webinar { eta += 0.7 }
            if a.budget == "no" { eta -= 0.9 }
            if source == "event" && a.size < 50 { eta -= 1.2 }
            if a.size < 10 { eta -= 1.0 }
            let accepted = rng.uniform() < 1 / (1 + exp(-eta))

            var fields = ["\(prefix)\(pad(i + 1, 7))", LeadGenerator.dateString(day), source, industry] + a.fields
            if labeled {
                let reason = accepted ? "" : rejectReason(size: a.size, job: a.job, free: a.hasFreeEmail,
                                                           budget: a.budget, days: a.knownDays, &rng)
                fields += [accepted ? "accepted" : "rejected", reason]
            }
            try out.write(fields.joined(separator: ",") + "\n")
        }
    }

    /// The reason sales gives, drawn with reason-specific drivers:
    /// not_ready ← long inactivity; no_budget ← budget_confirmed=no; bad_fit ← tiny company or student;
    /// unreachable ← free email; duplicate ← nothing (a constant small share).
    func rejectReason(size: Int, job: String, free: Bool, budget: String, days: Int?, _ rng: inout SplitMix64) -> String {
        let weights: [(String, Double)] = [
            ("not_ready", 1 + ((days ?? 0) > 30 ? 3 : 0)),
            ("no_budget", 1 + (budget == "no" ? 4 : 0)),
            ("bad_fit", 1 + (size < 10 || job == "student" ? 4 : 0)),
            ("unreachable", 0.7 + (free ? 2.5 : 0)),
            ("duplicate", 0.3),
        ]
        let total = weights.reduce(0) { $0 + $1.1 }
        var u = rng.uniform() * total
        for (name, w) in weights {
            if u < w { return name }
            u -= w
        }
        return weights.last!.0
    }

    static func dateString(_ days: Int) -> String { FieldParser.isoDate(days: days) }
}

/// `v` with leading zeros to `width` digits (lead ids: `L0000042`).
func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// What both generators draw for a lead after its date, source and industry, in this order from the
/// same generator (the order fixes the bundled data's bytes), and how it is written.
struct LeadAttributes {
    var country: String
    var size: Int
    var job: String
    var jobEffect: Double
    var freeEmail: Bool
    var emailMissing: Bool
    var pageViews: Int
    var daysMissing: Bool
    var days: Int
    var webinar: Bool
    var budget: String
    var touches: Int
    var newsletter: Bool

    /// A free address (not a missing one).
    var hasFreeEmail: Bool { freeEmail && !emailMissing }
    /// Days since the last activity, nil when missing.
    var knownDays: Int? { daysMissing ? nil : days }

    /// Draws the attributes; `pickJob` draws the job level and its log-odds effect (each generator
    /// draws it its own way).
    static func draw(_ rng: inout SplitMix64, job pickJob: (inout SplitMix64) -> (String, Double)) -> LeadAttributes {
        let country = LeadGenerator.countries[Int(rng.uniform() * Double(LeadGenerator.countries.count))]
        let size = max(1, Int(exp(log(80.0) + 1.4 * rng.normal())))
        let (job, jobEffect) = pickJob(&rng)
        let freeEmail = rng.uniform() < 0.35
        let emailMissing = rng.uniform() < 0.03
        let pageViews = poisson(6, &rng)
        let daysMissing = rng.uniform() < 0.15
        let days = Int(-20 * log(max(rng.uniform(), 1e-12)))
        let webinar = rng.uniform() < 0.25
        let budgetDraw = rng.uniform()
        let budget: String = budgetDraw < 0.30 ? "" : budgetDraw < 0.65 ? "yes" : "no"
        let touches = poisson(4, &rng)
        let newsletter = rng.uniform() < 0.5
        return LeadAttributes(country: country, size: size, job: job, jobEffect: jobEffect, freeEmail: freeEmail,
                              emailMissing: emailMissing, pageViews: pageViews, daysMissing: daysMissing, days: days,
                              webinar: webinar, budget: budget, touches: touches, newsletter: newsletter)
    }

    /// The CSV fields from `country` to `newsletter`, in `LeadGenerator.header`'s order.
    var fields: [String] {
        [country, "\(size)", job, emailMissing ? "" : (freeEmail ? "free" : "corporate"), "\(pageViews)",
         daysMissing ? "" : "\(days)", webinar ? "yes" : "no", budget, "\(touches)", newsletter ? "yes" : "no"]
    }
}

private func pick(_ options: [(String, Double, Double)], _ rng: inout SplitMix64) -> (String, Double) {
    var u = rng.uniform()
    for o in options {
        if u < o.1 { return (o.0, o.2) }
        u -= o.1
    }
    return (options.last!.0, options.last!.2)
}

/// An index drawn with probability proportional to `weights` (whose sum is `total`, when known).
/// Shared by both generators.
func pickIndex(_ weights: [Double], total: Double? = nil, _ rng: inout SplitMix64) -> Int {
    var u = rng.uniform() * (total ?? weights.reduce(0, +))
    for (i, w) in weights.enumerated() {
        if u < w { return i }
        u -= w
    }
    return weights.count - 1
}

/// Poisson draw by inversion (small means only). Shared by both generators.
func poisson(_ mean: Double, _ rng: inout SplitMix64) -> Int {
    let l = exp(-mean)
    var k = 0
    var p = rng.uniform()
    while p > l { k += 1; p *= rng.uniform() }
    return k
}

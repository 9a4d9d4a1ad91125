import Foundation
import LeadSupport
import LeadData

/// Synthetic leads whose acceptance is *not* linear in the numbers and holds an interaction
/// (`leadscore generate --shapes`): the data set of the model-quality table (QUALITY.md), where a
/// straight-line model must lose and a model with shapes and pairs can recover what was planted.
///
/// Same columns as `LeadGenerator` (so every command and the other data sets' scripts read it), but
/// the log-odds of acceptance are
///
///     −0.2 + source + job level + industry − 1.0·[free email] + 0.7·[webinar] − 0.9·[budget = no]
///     + 0.45 · ln(company_size / 80)                      a log-shaped size effect
///     − 1.1 · [days_since_last_activity > 30]              a threshold (missing: no effect)
///     + 1.6 · (1 − e^(−page_views / 3)) − 1.3              a saturating effect
///     − 1.5 · [lead_source = event ∧ job_level = individual]   the planted interaction
///
/// with the level effects of `LeadGenerator` (`sources`, `jobLevels`, `industryEffects`);
/// country, marketing_touches and newsletter have no effect. The output is a pure function of
/// (rows, seed); `LeadGenerator`'s output is untouched by it (`make datasets` reproduces
/// datasets/*.csv byte for byte).
public struct ShapedLeadGenerator {
    public var seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// What is planted, for the quality script and tests (log-odds).
    public static let planted: [String: Double] = [
        "ln(company_size / 80)": 0.45, "days_since_last_activity > 30": -1.1,
        "page_views saturation 1 − e^(−x/3)": 1.6, "lead_source=event × job_level=individual": -1.5,
    ]

    /// The true log-odds of a lead (also what the tests compare a fitted model's shape with).
    public static func logOdds(sourceEffect: Double, jobEffect: Double, industryEffect: Double, freeEmail: Bool,
                               webinar: Bool, budget: String, size: Int, days: Int?, pageViews: Int,
                               event: Bool, individual: Bool) -> Double {
        var eta = -0.2 + sourceEffect + jobEffect + industryEffect
        if freeEmail { eta -= 1.0 }
        if webinar { eta += 0.7 }
        if budget == "no" { eta -= 0.9 }
        eta += 0.45 * log(Double(size) / 80)
        if let days, days > 30 { eta -= 1.1 }
        eta += 1.6 * (1 - exp(-Double(pageViews) / 3)) - 1.3
        if event && individual { eta -= 1.5 }
        return eta
    }

    public func write(rows: Int, to out: OutputSink) throws {
        let header = LeadGenerator.header + ["status", "reject_reason"]
        try out.write(header.joined(separator: ",") + "\n")
        var rng = SplitMix64(seed: SplitMix64.mix(seed ^ 0x5_4A9E5))
        let industryWeights = (0..<LeadGenerator.industries.count).map { 1 / pow(Double($0) + 1.5, 2.4) }
        let start = FieldParser.daysFromCivil(2025, 1, 1)
        let span = FieldParser.daysFromCivil(2026, 11, 1) - start
        let base = LeadGenerator(seed: seed)
        for i in 0..<rows {
            let day = start + Int(rng.uniform() * Double(span))
            let source = LeadGenerator.sources[pickIndex(LeadGenerator.sources.map(\.1), &rng)]
            let industry = LeadGenerator.industries[pickIndex(industryWeights, &rng)]
            let a = LeadAttributes.draw(&rng) { r in
                let job = LeadGenerator.jobLevels[pickIndex(LeadGenerator.jobLevels.map(\.1), &r)]
                return (job.0, job.2)
            }
            let eta = Self.logOdds(sourceEffect: source.2, jobEffect: a.jobEffect,
                                   industryEffect: LeadGenerator.industryEffects[industry] ?? 0,
                                   freeEmail: a.hasFreeEmail, webinar: a.webinar, budget: a.budget, size: a.size,
                                   days: a.knownDays, pageViews: a.pageViews,
                                   event: source.0 == "event", individual: a.job == "individual")
            let accepted = rng.uniform() < 1 / (1 + exp(-eta))
            let reason = accepted ? "" : base.rejectReason(size: a.size, job: a.job, free: a.hasFreeEmail,
                                                           budget: a.budget, days: a.knownDays, &rng)
            let fields = ["S" + pad(i + 1, 7), LeadGenerator.dateString(day), source.0, industry] + a.fields
                + [accepted ? "accepted" : "rejected", reason]
            try out.write(fields.joined(separator: ",") + "\n")
        }
    }
}

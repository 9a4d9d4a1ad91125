/// A failure reported by LAPACK, turned into a typed error.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// The matrix is not positive definite: the leading minor of this order is not positive.
    case notPositiveDefinite(order: Int)
    /// LAPACK rejected an argument (a programming error, reported rather than crashing).
    case illegalArgument(routine: String, position: Int)
    /// The factor is singular, so the inverse does not exist.
    case singular(routine: String, index: Int)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let k):
            return "matrix is not positive definite (leading minor of order \(k) is not positive)"
        case .illegalArgument(let routine, let position):
            return "\(routine): argument \(position) has an illegal value"
        case .singular(let routine, let index):
            return "\(routine): matrix is singular at diagonal element \(index)"
        }
    }
}

import Glibc
import SBCConfig

/// The order in which a trunk group's members are tried for one call.
public enum CandidateOrder {
    /// `priority`: the members as listed (active/standby). `weighted`: a weighted random
    /// permutation (Efraimidis-Spirakis: each member draws u^(1/w)), so the first choice follows
    /// the weights and the rest remain in place as failover candidates.
    public static func order<G: RandomNumberGenerator>(_ members: [TrunkSettings], group: TrunkGroupSettings?,
                                                       using generator: inout G) -> [TrunkSettings]
    {
        guard let group, group.strategy == .weighted, members.count > 1 else { return members }
        let keyed = members.map { trunk -> (Double, TrunkSettings) in
            let weight = Double(max(1, group.weights[trunk.name] ?? 1))
            let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            return (exp(log(u) / weight), trunk)
        }
        return keyed.sorted { $0.0 > $1.0 }.map(\.1)
    }
}

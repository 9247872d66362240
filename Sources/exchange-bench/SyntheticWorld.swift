import ExchangeModel
import ExchangeRouting
import Foundation

/// Departments, topics and agreements shaped like a real exchange, generated from a seed.
struct SyntheticWorld {
    static let kinds = ["licence", "permit"]
    static let verbs = ["issued", "amended", "revoked"]
    static let cities = ["Hangzhou", "Ningbo", "Wenzhou", "Shaoxing", "Jiaxing", "Huzhou"]

    let departments: [Department]
    let topics: [TopicDefinition]
    let agreements: [Agreement]

    init(departments count: Int, agreements agreementCount: Int, rng: inout SplitMix64) {
        let ids = (0..<count).map { DepartmentID(String(format: "d%03d", $0))! }
        departments = ids.map { id in
            Department(id: id, name: "Department \(id)", certificate: CertificateIdentity(subjectCommonName: "\(id).exchange.example"))
        }
        var topics: [TopicDefinition] = []
        for id in ids {
            for kind in Self.kinds {
                for verb in Self.verbs {
                    topics.append(TopicDefinition(
                        name: Topic("\(id).\(kind).\(verb)")!, owner: id, key: JSONPointer(tokens: ["licence_no"])))
                }
            }
        }
        self.topics = topics
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        var agreements: [Agreement] = []
        for index in 0..<agreementCount {
            let provider = ids[Int.random(in: 0..<count, using: &rng)]
            let kind = Self.kinds.randomElement(using: &rng)!
            let pattern: String
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<40: pattern = "\(provider).\(kind).\(Self.verbs.randomElement(using: &rng)!)"
            case 40..<70: pattern = "\(provider).\(kind).*"
            case 70..<85: pattern = "\(provider).>"
            default: pattern = "\(provider).*.issued"
            }
            var consumers: [DepartmentID] = []
            while consumers.count < Int.random(in: 1...4, using: &rng) {
                let consumer = ids[Int.random(in: 0..<count, using: &rng)]
                if consumer != provider, !consumers.contains(consumer) { consumers.append(consumer) }
            }
            var match: ContentPattern?
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<20:
                let city = Self.cities.randomElement(using: &rng)!
                match = try! ContentPattern(JSONValue.parse(#"{"data":{"city":["\#(city)","Hangzhou"],"score":[{"numeric":[">=",40]}]}}"#))
            case 20..<30:
                match = try! ContentPattern(JSONValue.parse(#"{"data":{"holder":{"kind":[{"anything-but":"person"}]}}}"#))
            case 30..<40:
                match = try! ContentPattern(JSONValue.parse(#"{"type":[{"prefix":"licence."}],"subject":[{"exists":true}]}"#))
            default:
                match = nil
            }
            let fields: [JSONPointer]? = Bool.random(using: &rng)
                ? [JSONPointer(tokens: ["licence_no"]), JSONPointer(tokens: ["holder", "name"]), JSONPointer(tokens: ["city"])]
                : nil
            let roll = Int.random(in: 0..<100, using: &rng)
            agreements.append(Agreement(
                id: String(format: "agr-%05d", index), version: 1, provider: provider, consumers: consumers,
                topics: [TopicPattern(pattern)!], fields: fields, match: match, purpose: "benchmark",
                legalBasis: "benchmark", validFrom: start,
                validUntil: roll < 5 ? start.addingTimeInterval(86_400) : nil,
                status: roll >= 95 ? .suspended : .active))
        }
        self.agreements = agreements
    }

    /// Events on topics that at least one agreement covers, with data of about 300 bytes.
    func events(count: Int, set: AgreementSet, rng: inout SplitMix64) -> [(Envelope, DepartmentID)] {
        let covered = topics.filter { !set.candidates(for: $0.name.rawValue).isEmpty }
        return (0..<count).map { index in
            let topic = covered.randomElement(using: &rng)!
            let city = Self.cities.randomElement(using: &rng)!
            let score = Int.random(in: 0...100, using: &rng)
            let kind = Bool.random(using: &rng) ? "company" : "person"
            let data = """
                {"licence_no":"L\(index)","holder":{"name":"Holder \(index) Trading Co., Ltd.","kind":"\(kind)","credit_code":"91330100MA2K\(index)"},\
                "city":"\(city)","score":\(score),"issued_on":"2026-09-14","scope":["retail","catering","import"],\
                "address":{"district":"Xihu","street":"\(index) Lake Road"}}
                """
            let envelope = Envelope(
                id: "e\(index)", source: topic.owner.rawValue, type: "licence.issued", topic: topic.name.rawValue,
                subject: "L\(index)", data: Array(data.utf8))
            return (envelope, topic.owner)
        }
    }
}

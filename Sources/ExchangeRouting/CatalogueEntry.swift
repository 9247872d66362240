public import ExchangeModel

/// A topic's entry in the government data-sharing catalogue (政务信息资源目录), with the
/// metadata the catalogue guide (政务信息资源目录编制指南) names. `topics.yaml` gives it under a
/// topic's `catalogue` key (see docs/catalogue.md); every value is checked at load.
public struct CatalogueEntry: Hashable, Sendable {
    /// 资源代码: the resource code, e.g. `302100000000/000123` (前段码/后段码); unique among topics.
    public var resourceCode: String
    /// 资源名称: the resource's name.
    public var name: String
    /// 提供方: the providing body as people name it; `nil` means the owning department's name.
    public var provider: String?
    /// 摘要: what the resource holds.
    public var summary: String?
    /// 资源格式: the format of the resource.
    public var format: Format?
    /// 信息项: the data items.
    public var dataItems: [DataItem]
    /// 共享类型: unconditional, conditional or not shared.
    public var sharingType: SharingType
    /// 共享条件: the conditions of conditional sharing, or the grounds of not sharing.
    public var sharingConditions: String?
    /// 更新周期: how often the resource is updated.
    public var updateCycle: UpdateCycle?
    /// 发布日期: the publication date, `YYYY-MM-DD`.
    public var publicationDate: String?

    /// Creates an entry.
    public init(
        resourceCode: String, name: String, provider: String? = nil, summary: String? = nil, format: Format? = nil,
        dataItems: [DataItem] = [], sharingType: SharingType, sharingConditions: String? = nil,
        updateCycle: UpdateCycle? = nil, publicationDate: String? = nil
    ) {
        self.resourceCode = resourceCode
        self.name = name
        self.provider = provider
        self.summary = summary
        self.format = format
        self.dataItems = dataItems
        self.sharingType = sharingType
        self.sharingConditions = sharingConditions
        self.updateCycle = updateCycle
        self.publicationDate = publicationDate
    }

    /// 共享类型, the sharing type. Written in `topics.yaml` by its code or its Chinese name.
    public enum SharingType: String, Hashable, Sendable, CaseIterable {
        /// 无条件共享: shared with every department that needs it.
        case unconditional
        /// 有条件共享: shared under the conditions stated.
        case conditional
        /// 不予共享: not shared; no agreement may route the topic.
        case notShared = "not_shared"

        /// The Chinese name, e.g. `有条件共享`.
        public var chineseName: String {
            switch self {
            case .unconditional: "无条件共享"
            case .conditional: "有条件共享"
            case .notShared: "不予共享"
            }
        }

        /// The type written as its code or its Chinese name.
        public init?(text: String) {
            guard let type = Self(rawValue: text) ?? Self.allCases.first(where: { $0.chineseName == text }) else { return nil }
            self = type
        }
    }

    /// 更新周期, the update cycle. Written by its code or its Chinese name.
    public enum UpdateCycle: String, Hashable, Sendable, CaseIterable {
        /// 实时: as it happens.
        case realTime = "real_time"
        /// 每日.
        case daily
        /// 每周.
        case weekly
        /// 每月.
        case monthly
        /// 每季度.
        case quarterly
        /// 每半年.
        case semiannual
        /// 每年.
        case annual
        /// 不定期: when something changes, on no schedule.
        case irregular

        /// The Chinese name, e.g. `每季度`.
        public var chineseName: String {
            switch self {
            case .realTime: "实时"
            case .daily: "每日"
            case .weekly: "每周"
            case .monthly: "每月"
            case .quarterly: "每季度"
            case .semiannual: "每半年"
            case .annual: "每年"
            case .irregular: "不定期"
            }
        }

        /// The cycle written as its code or its Chinese name.
        public init?(text: String) {
            guard let cycle = Self(rawValue: text) ?? Self.allCases.first(where: { $0.chineseName == text }) else { return nil }
            self = cycle
        }
    }

    /// 资源格式, the resource's format.
    public enum Format: String, Hashable, Sendable, CaseIterable {
        /// JSON documents (自描述格式), the exchange's events.
        case json
        /// XML documents (自描述格式).
        case xml
        /// Comma-separated text.
        case csv
        /// 电子表格.
        case spreadsheet
        /// 数据库.
        case database
        /// 电子文件 (OFD, PDF, ...).
        case document
        /// 图形图像.
        case image
        /// 流媒体.
        case stream
        /// Any other format.
        case other
    }

    /// 信息项, one data item: its name, where it is in an event's data, and its type.
    public struct DataItem: Hashable, Sendable {
        /// 信息项名称, e.g. `统一社会信用代码`.
        public var name: String
        /// Where the item is in an event's data, if given.
        public var pointer: JSONPointer?
        /// 数据类型, if given.
        public var type: ItemType?

        /// Creates a data item.
        public init(name: String, pointer: JSONPointer? = nil, type: ItemType? = nil) {
            self.name = name
            self.pointer = pointer
            self.type = type
        }
    }

    /// 数据类型 of a data item.
    public enum ItemType: String, Hashable, Sendable, CaseIterable {
        /// 字符型.
        case string
        /// 数值型.
        case number
        /// 整数.
        case integer
        /// 逻辑型.
        case boolean
        /// 日期型, `YYYY-MM-DD`.
        case date
        /// 日期时间型, RFC 3339.
        case datetime
        /// A nested object.
        case object
        /// A list.
        case array
    }

    /// Whether `text` is a valid resource code: 1 to 64 ASCII letters, digits, `/`, `-`, `.`,
    /// starting with a letter or digit.
    public static func isValidResourceCode(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard let first = utf8.first, utf8.count <= 64, isAlphanumeric(first) else { return false }
        return utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Whether `text` is a calendar date `YYYY-MM-DD` that exists.
    public static func isValidDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month), day >= 1
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }
}

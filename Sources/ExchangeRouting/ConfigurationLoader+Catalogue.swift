import ExchangeModel
import Yams

extension ConfigurationLoader {
    /// The keys of a topic's `catalogue` mapping.
    static let catalogueKeys: Set<String> = [
        "resource_code", "name", "provider", "summary", "format", "data_items", "sharing_type", "sharing_conditions",
        "update_cycle", "publication_date",
    ]

    /// Reads a topic's `catalogue` mapping (docs/catalogue.md):
    ///
    /// ```yaml
    /// catalogue:
    ///   resource_code: 302100000000/000123   # required: 资源代码, unique; letters, digits, '/', '-', '.'
    ///   name: 营业执照颁发信息                 # required: 资源名称
    ///   provider: 市场监督管理局               # optional: 提供方; default the owner's name
    ///   summary: ...                        # optional: 摘要
    ///   format: json                        # optional: 资源格式 (json, xml, csv, spreadsheet, ...)
    ///   data_items:                         # optional: 信息项
    ///     - {name: 统一社会信用代码, pointer: /holder/credit_code, type: string}
    ///   sharing_type: conditional           # required: 共享类型: unconditional, conditional,
    ///                                       #   not_shared (or 无条件共享, 有条件共享, 不予共享)
    ///   sharing_conditions: ...             # required unless unconditional: 共享条件 or grounds
    ///   update_cycle: real_time             # optional: 更新周期 (real_time, daily, ... or 实时, 每日, ...)
    ///   publication_date: 2026-01-15        # optional: 发布日期, YYYY-MM-DD
    /// ```
    ///
    /// Every error names the topic and the key.
    func readCatalogue(_ node: Node, key: String, topic: String, reader: inout YAMLFile) -> CatalogueEntry? {
        guard let mapping = reader.mapping(node, key: key, allowed: Self.catalogueKeys) else { return nil }
        let errorsBefore = reader.errors.count
        func text(_ name: String) -> (Node, String)? {
            guard let node = mapping[name], let value = reader.text(node, key: key + "." + name) else { return nil }
            guard !value.isEmpty, value.utf8.count <= 4096 else {
                reader.fail(.invalidValue, at: node, key: key + "." + name, "topic '\(topic)': \(name) must be 1 to 4,096 bytes of text")
                return nil
            }
            return (node, value)
        }
        func present(_ name: String) -> Bool {
            guard mapping[name] == nil else { return true }
            reader.fail(.missingKey, at: node, key: key + "." + name, "topic '\(topic)': the catalogue entry needs '\(name)'")
            return false
        }
        func required(_ name: String) -> (Node, String)? {
            present(name) ? text(name) : nil
        }
        func choice<T>(_ name: String, _ parse: (String) -> T?, expected: String) -> T? {
            guard let (valueNode, value) = text(name) else { return nil }
            guard let parsed = parse(value) else {
                reader.fail(.invalidValue, at: valueNode, key: key + "." + name, "topic '\(topic)': unknown \(name) '\(value)'; expected \(expected)")
                return nil
            }
            return parsed
        }
        let code = required("resource_code")
        if let (codeNode, value) = code, !CatalogueEntry.isValidResourceCode(value) {
            reader.fail(
                .invalidValue, at: codeNode, key: key + ".resource_code",
                "topic '\(topic)': '\(value)' is not a resource code: 1 to 64 ASCII letters, digits, '/', '-', '.' (e.g. 302100000000/000123)")
        }
        let name = required("name")
        let sharingType: CatalogueEntry.SharingType?
        if present("sharing_type") {
            sharingType = choice(
                "sharing_type", CatalogueEntry.SharingType.init(text:),
                expected: "unconditional (无条件共享), conditional (有条件共享) or not_shared (不予共享)")
        } else {
            sharingType = nil
        }
        let conditions = text("sharing_conditions")
        if let sharingType, sharingType != .unconditional, conditions == nil, mapping["sharing_conditions"] == nil {
            reader.fail(
                .missingKey, at: node, key: key + ".sharing_conditions",
                "topic '\(topic)': sharing_type \(sharingType.rawValue) (\(sharingType.chineseName)) needs sharing_conditions: the conditions, or the grounds for not sharing")
        }
        let format = choice("format", CatalogueEntry.Format.init(rawValue:), expected: CatalogueEntry.Format.allCases.map(\.rawValue).joined(separator: ", "))
        let cycle = choice(
            "update_cycle", CatalogueEntry.UpdateCycle.init(text:),
            expected: CatalogueEntry.UpdateCycle.allCases.map { "\($0.rawValue) (\($0.chineseName))" }.joined(separator: ", "))
        let date = text("publication_date")
        if let (dateNode, value) = date, !CatalogueEntry.isValidDate(value) {
            reader.fail(.invalidValue, at: dateNode, key: key + ".publication_date", "topic '\(topic)': '\(value)' is not a date YYYY-MM-DD")
        }
        var items: [CatalogueEntry.DataItem] = []
        if let itemsNode = mapping["data_items"], let list = reader.sequence(itemsNode, key: key + ".data_items") {
            for (itemKey, itemNode) in list {
                guard let item = reader.mapping(itemNode, key: itemKey, allowed: ["name", "pointer", "type"]) else { continue }
                guard let nameNode = reader.required(item, "name", in: itemKey, at: itemNode), let itemName = reader.text(nameNode, key: itemKey + ".name") else { continue }
                let pointer = item["pointer"].flatMap { reader.pointer($0, key: itemKey + ".pointer") }
                var type: CatalogueEntry.ItemType?
                if let typeNode = item["type"], let typeText = reader.text(typeNode, key: itemKey + ".type") {
                    type = CatalogueEntry.ItemType(rawValue: typeText)
                    if type == nil {
                        reader.fail(
                            .invalidValue, at: typeNode, key: itemKey + ".type",
                            "topic '\(topic)': unknown data item type '\(typeText)'; expected \(CatalogueEntry.ItemType.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                }
                items.append(CatalogueEntry.DataItem(name: itemName, pointer: pointer, type: type))
            }
        }
        guard reader.errors.count == errorsBefore, let code, let name, let sharingType else { return nil }
        return CatalogueEntry(
            resourceCode: code.1, name: name.1, provider: text("provider")?.1, summary: text("summary")?.1, format: format, dataItems: items,
            sharingType: sharingType, sharingConditions: conditions?.1, updateCycle: cycle, publicationDate: date?.1)
    }
}

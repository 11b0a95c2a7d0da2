/// One column of a table as the binlog describes it: the TABLE_MAP type and per-type metadata,
/// plus what the optional metadata block adds (signedness, charset, name, ENUM/SET members).
/// Built by the TABLE_MAP decoder; used by the row decoder to decode each value.
package struct ColumnDefinition: Sendable, Equatable, Hashable {
    /// Type code as written in TABLE_MAP (for STRING it may really be ENUM/SET: see `metadata`).
    package var type: ColumnType
    /// Per-type metadata from TABLE_MAP's metadata block (0 when the type has none).
    package var metadata: UInt16
    package var nullable: Bool
    /// From the SIGNEDNESS optional metadata (numeric columns only); false when unknown.
    package var unsigned: Bool
    /// Collation id from the charset optional metadata; nil when unknown.
    package var collation: UInt32?
    /// Column name from COLUMN_NAME optional metadata; nil when unknown.
    package var name: String?
    package var enumValues: [String]?
    package var setValues: [String]?
    package var geometryType: UInt32?

    package init(type: ColumnType, metadata: UInt16 = 0, nullable: Bool = true, unsigned: Bool = false,
                collation: UInt32? = nil, name: String? = nil, enumValues: [String]? = nil,
                setValues: [String]? = nil, geometryType: UInt32? = nil) {
        self.type = type
        self.metadata = metadata
        self.nullable = nullable
        self.unsigned = unsigned
        self.collation = collation
        self.name = name
        self.enumValues = enumValues
        self.setValues = setValues
        self.geometryType = geometryType
    }
}

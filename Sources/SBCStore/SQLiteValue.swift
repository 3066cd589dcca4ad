/// One value bound to a statement parameter.
///
/// Only the four storage classes the store needs (no blobs): keeping the set closed lets
/// `SQLiteStatement.bind` switch exhaustively instead of going through a protocol witness per
/// parameter on the writer's hot loop.
public enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null
}

/// One value bound to a statement parameter.
///
/// Only the four storage classes the hot paths need: keeping the set closed lets
/// `SQLiteStatement.bind` switch exhaustively instead of going through a protocol witness per
/// parameter on the writer's hot loop. The one blob column (stored admin responses) binds
/// through `SQLiteStatement.bind(_: [UInt8], at:)` instead of a case every switch would carry.
public enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null
}

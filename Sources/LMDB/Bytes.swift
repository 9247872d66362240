import CLMDB

extension MDB_val {
    /// A view of `buffer` for passing to LMDB; valid only while `buffer` is.
    @inline(__always)
    init(_ buffer: UnsafeRawBufferPointer) {
        self.init(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
    }

    /// The bytes this value points at; valid as long as LMDB keeps them (see the call's docs).
    @inline(__always)
    var buffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mv_data, count: mv_size)
    }
}

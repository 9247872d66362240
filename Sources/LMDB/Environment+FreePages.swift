import CLMDB

extension Environment {
    /// The pages on LMDB's free list as a read transaction sees it: pages freed by earlier
    /// commits, which later commits reuse before they extend the file. With ``Info/usedBytes``
    /// (the high-water mark, which never shrinks), `usedBytes - freePages × pageSize` is what the
    /// data occupies now.
    ///
    /// Reads the free-list database (`FREE_DBI`, handle 0), whose values are page lists that
    /// begin with their length; its cost grows with the number of free-list records (one per
    /// commit that freed pages and is not yet reused), so call it now and then, not per commit.
    /// Pages still held for an older reader count as free here.
    /// - Throws: `LMDBError`.
    public func freePages() throws -> Int {
        try read { txn in
            try txn.withCursor(Database(handle: 0)) { cursor in
                var pages = 0
                var entry = try cursor.first()
                while let current = entry {
                    if current.value.count >= MemoryLayout<Int>.size {
                        pages &+= current.value.loadUnaligned(as: Int.self)
                    }
                    entry = try cursor.next()
                }
                return pages
            }
        }
    }
}

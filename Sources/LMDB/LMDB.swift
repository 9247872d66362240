// LMDB: a safe Swift wrapper over the LMDB C library.

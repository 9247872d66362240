import LMDB
import Testing

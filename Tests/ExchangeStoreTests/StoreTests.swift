import ExchangeStore
import Testing

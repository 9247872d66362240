import ExchangeRouting
import Testing

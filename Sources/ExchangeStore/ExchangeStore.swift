// ExchangeStore

// ExchangeRouting: data-sharing agreements, topic ownership and routing decisions.
// Pure library: it knows nothing of storage or networking.

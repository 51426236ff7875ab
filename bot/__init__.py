"""WhatsApp transport: webhook blueprint, typed payloads, burst aggregator, outbound sender, sandbox."""

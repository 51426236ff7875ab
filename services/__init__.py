"""The application layer: use-cases that workers, the webhook, the back-office and the CLI call,
and the one place where adapters (Redis, RQ, WhatsApp, AFIP, Mercado Pago, the NLU) are plugged
into the domain's ports."""

"""One small adapter per outside service (WhatsApp Cloud API, MercadoPago, AFIP, OpenAI)."""

"""The WhatsApp edge: the webhook, typed payloads, accepting a delivery (stored, its burst started), sandbox."""

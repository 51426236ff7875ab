"""Messaging: conversations, stored messages and the outbox, reply types, message texts, media files."""

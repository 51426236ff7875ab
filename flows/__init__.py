"""Conversation flows for customers, technicians and owners, declared as data and walked by an engine."""

"""Domain core: settings, database and tenancy, models and services; imports nothing of ours above it."""

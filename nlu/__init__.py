"""Language: voice-note transcription and extraction of structured requests from Rioplatense text."""

"""Spoken narration: voices, synthesis in a child process, validated WAVs, the kiosk's on-disk cache."""

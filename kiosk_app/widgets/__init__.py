"""Reusable pieces: labels that never interpret markup, cards, buttons, the keyboard, QR codes."""

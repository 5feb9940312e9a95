"""The pack format: content schema, source folders, building, signing, reading, verifying, vetting, deltas.

Nothing here knows about a kiosk's data directory, the content store or the CLI (import rules in
``pyproject.toml``): a pack is a file, checked the same way wherever it is opened.
"""

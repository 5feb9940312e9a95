"""Content for the kiosk: store, packs, sync and the operator CLI. Plain Python, no Qt."""

"""Sync with the central platform: TUF-signed channels on static servers, resumable downloads, deltas.

A kiosk follows one channel (a folder of static files on any web server) and one group inside it.
`fetch` moves bytes (resumable, capped, hash-checked); `repository` writes and signs the channel's
metadata with python-tuf; the client side trusts only what that metadata states. See docs/sync.md.
"""

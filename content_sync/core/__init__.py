"""Values every wing shares; imports nothing else from ``content_sync``."""

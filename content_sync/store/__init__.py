"""The installed content as screens and tools read it (read-only), and search over it."""

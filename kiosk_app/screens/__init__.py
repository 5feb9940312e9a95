"""One module per screen. Screens render content and forward taps; logic lives in content_sync."""

"""The Qt touchscreen front end. Screens render and forward taps; logic lives in content_sync."""

"""One kiosk's data directory: where things live, installing and rolling back, device state, provisioning."""

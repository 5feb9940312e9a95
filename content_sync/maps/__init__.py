"""Raster MBTiles basemaps: reading, importing, rendering from GeoJSON, one tile source over many."""

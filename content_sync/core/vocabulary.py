"""Small fixed vocabularies shared by the pack format and the screens (cheap to import)."""

from __future__ import annotations

# Accessibility facts a venue may state (true / false / omitted when unknown).
ACCESSIBILITY_FACTS = ("step_free", "accessible_toilet", "wheelchair_loan", "lift", "braille", "hearing_loop")

# The only signature algorithm packs use.
SIGNATURE_ALGORITHM = "ed25519"

"""Everything that talks to Firebase lives here; no other package imports firebase_admin."""

"""Where decisions come from: one small provider interface and its implementations (no Django)."""

"""Golden outputs: what the model produced when the set was recorded, kept to catch drift."""

"""Patient record: input models, JSON parsing, normalisation against the KB."""

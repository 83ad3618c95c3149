"""Person linkage: linking partner and police records of the same person."""

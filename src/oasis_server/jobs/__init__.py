"""Background work: Dramatiq actors, the embedded worker and the sweeper."""

"""The Attune domain: aggregates, domain events, value objects and pure rules.

Nothing in this package performs I/O, reads the clock or draws random numbers: time and
randomness arrive as arguments from the edge (commands, processors).
"""

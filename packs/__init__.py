"""Pack bundles shipped with Attune (data): ``core`` and ``examples``."""

"""Stream processors, the worker, and the hosts that run them."""

"""Sheet handlers: how each sheet's rows are checked, applied and exported."""

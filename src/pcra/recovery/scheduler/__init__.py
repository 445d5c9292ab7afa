"""The recovery scheduler: a resource-constrained project scheduling engine (plain Python and
OR-Tools CP-SAT, no Django). See ``model`` for the problem, ``checker`` for the independent
feasibility check."""

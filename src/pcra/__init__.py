"""pcra: continuity and recovery plans (PCRA) for hospitals, backed by evidence."""

__version__ = "0.1.0"

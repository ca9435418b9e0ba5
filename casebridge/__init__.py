"""casebridge: medical records to a reviewable, sourced, bilingual case pack."""

__version__ = "0.1.0"

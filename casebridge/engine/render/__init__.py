"""Renderers: turn a finished Case into things people and systems read (FHIR, PDF, HTML)."""

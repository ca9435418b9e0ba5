"""casebridge's web platform: a Django project over the framework-free engine.

Layout (see docs/web.md): settings.py reads everything from environment
variables; accounts/ holds the custom user; cases/ holds the models, the one
access gate (access.py), the state-changing actions (actions.py), the reads
(lib.py), encrypted storage (storage.py) and background processing (tasks.py).
"""

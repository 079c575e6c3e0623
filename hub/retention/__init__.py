"""Retention: what the hub deletes, when, and how (issue 14).

- policy.py: the periods (from the HUB_RETENTION_* settings) and when a case has ended;
- document_types.py, models.py: the periods per document type (defaults, an organisation's own rule);
- due.py: what is due for deletion at a moment (ids and counts, never content);
- deletion.py: deleting one case with everything hanging on it, and one withdrawn document;
- run.py: a retention run (the worker daily, ``hub retention run``): deletes what is due, audited;
- legal_hold.py: the legal hold per case that stops deletion.
"""

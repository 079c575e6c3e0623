"""Oversight of the audit log: the Auditlog of a functionaris gegevensbescherming, and who of an organisation
accessed a case."""

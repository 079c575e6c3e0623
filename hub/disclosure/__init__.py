"""Coordinated vulnerability disclosure for a running hub: its RFC 9116 security.txt and its disclosure page.

The operator's contact and policy come from the settings (HUB_SECURITY_CONTACT, HUB_SECURITY_POLICY_URL); the terms
the hub promises a reporter are in :mod:`hub.disclosure.policy`, the same as in the project's SECURITY.md.
"""

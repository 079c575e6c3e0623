"""Monitoring (issue 13): instroom, doorstroom, uitstroom, term compliance per partner and the steekproef."""

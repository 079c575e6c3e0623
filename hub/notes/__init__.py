"""Internal notes: what a case worker writes down on a case or a thread for their own organisation only.

A note is never a message: it reaches no other organisation, starts or stops no clock, sends no mail, touches no
column of the case or thread (so no list, count, ordering or read marker of the other side moves), and is not in
any export. Its body is field-encrypted like a message body.
"""

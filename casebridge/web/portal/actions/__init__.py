"""The portal's changes: do_* functions in the pattern of cases/actions.py, one
module per concern (the enquiry, its link to a case, documents, family).

Each takes the acting user (an anonymous visitor for an enquiry), checks the
same rule as the access gate, changes state inside transaction.atomic() and
writes its audit row in the same transaction. Refusals raise ActionError
subclasses whose message can be shown as is. E-mails are sent after the
commit and carry a link only, never health data.
"""

"""A case's life: registration and every step in one transaction each (steps.py), the facts and
statutory clocks replayed from its history (clocks.py, pure), the hash chain (history.py), 文号
(numbering.py), fees (fees.py, pure), what is shown (summary.py, listing.py, timeline.py) and the
letters rendered after the commit (documents.py, letter_desk.py)."""

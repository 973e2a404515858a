"""The legal office (法制机构): verifying the record (audit.py), a case's history and dossier
(dossier.py), the compliance rules (compliance.py, pure; check.py loads the facts), the annual
report (annual_report.py), repeated requests (repeated.py), reviews and lawsuits (challenges.py),
the dashboard (dashboard.py) and the workflow diagram (diagram.py); HTML in templates/, loaded
by pages.py."""

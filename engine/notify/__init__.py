"""Deadline warnings (DESIGN.md, Warnings; docs/scheduler.md): the room that tells clerks, in time,
that a statutory period is running out. policy.py holds the pure decisions (which level a clock
has reached, who hears it on which channel, backoff, the message text); settings.py reads the
[warnings] config (thresholds, SMTP, robots) and resolves addresses; transports.py is the network
edge (SMTP, 企业微信 / 钉钉 robots, the in-memory fake), the only module that imports smtplib or
urllib. The flow: outbox.py's sweep(as_of) writes one warning per (case, clock, level, due date)
and one delivery row per recipient and channel into the outbox (list_warnings reads it back);
delivery.py's send_round(now) claims the due deliveries, sends them through the transports and
records them, retrying failures with backoff; digest.py builds and sends each clerk's daily
summary; scheduler.py is the daemon that runs a sweep and then a send round on an interval.
"""

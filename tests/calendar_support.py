"""Test-only calendar data. Everything here is FICTITIOUS: the real 2027 and 2028 State Council
notices are not published in any source available here, and ogi never ships invented years
(RULES.md). Imported by test_calendar_core.py and test_calendar_cli.py."""
from __future__ import annotations

# A clearly fictitious 2027 notice, valid by the rules of the 2024 measures.
FAKE_2027 = """\
# FICTITIOUS TEST DATA - not a State Council notice
year = 2027
notice = "测试用虚构通知（并非国务院办公厅通知）"
number = "测试〔2099〕1号"

[[holiday]]
name = "元旦"
off = [2027-01-01, 2027-01-04]
workdays = []

[[holiday]]
name = "春节"
off = [2027-02-05, 2027-02-12]
workdays = [2027-02-14, 2027-02-20]

[[holiday]]
name = "清明节"
off = [2027-04-03, 2027-04-05]

[[holiday]]
name = "劳动节"
off = [2027-05-01, 2027-05-05]
workdays = [2027-04-25]

[[holiday]]
name = "端午节"
off = [2027-06-09, 2027-06-09]

[[holiday]]
name = "中秋节"
off = [2027-09-15, 2027-09-15]

[[holiday]]
name = "国庆节"
off = [2027-10-01, 2027-10-07]
workdays = [2027-10-09]
"""


def fake_2028() -> str:
    """Fictitious 2028 (test only): the statutory days of the 2024 measures and nothing else."""
    from ogi.calendars.statutory import statutory_days_off

    lines = ['year = 2028', 'notice = "测试用虚构通知（2028）"']
    for i, (d, name) in enumerate(sorted(statutory_days_off(2028).items())):
        lines += ["", "[[holiday]]", f'name = "{name}{i}"', f"off = [{d}, {d}]", "workdays = []"]
    return "\n".join(lines) + "\n"

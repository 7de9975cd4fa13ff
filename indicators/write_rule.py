"""Who may write which measurement: one rule for every path that writes a value (the file import,
the REST API's upsert, and a corrected value on the value's page, indicators/verification.py).

- Administrators write any school's values; district staff any school of their district (which
  is what they see), for any period.
- Lead Partner program staff write a school's value only for a period that ends while a contract
  of their organization covering the school is on the ground: the contract is in force on the
  ground now (active, on probation or renewed) and the period ends between its start date and its
  end date. Values of periods that ended before the contract started (the baseline years) or
  after it ended, and the values of schools under a draft, pre-launch, terminated or completed
  contract, are the district's to write: the partner's contract does not cover them, and they
  would move statuses that are not the partner's (another partner's, or a later contract's
  baseline).
- Everyone else writes nothing.

Replacing a value that exists (a re-import or an API upsert with another value):
- a value the district verified is not changed by Lead Partner staff: the row is refused (the
  district disputes it first if it is wrong, and the partner then corrects it);
- a disputed value changed by Lead Partner staff is the partner's answer to the dispute: recorded
  as a correction (old and new value, who), back to reported for the district to verify, as the
  answer form does (indicators/verification.py);
- any other change (a reported value; district staff changing a verified or disputed value) is
  recorded as a replacement with the old and new value and who; the value goes back to reported.
The value's trail keeps every step, the dispute's reason included.

A school outside the user's scope is answered as an unknown one (the callers' message), so a
refusal never tells that a school exists; the reasons below are only given for schools the user
can see."""

from collections import defaultdict

from django.utils import timezone

from turnaround.roles import viewer_for


def may_write_measurements(user):
    viewer = viewer_for(user)
    return viewer.is_admin or viewer.is_district or viewer.is_program


class WriteRule:
    """The rule for one user, read once (one query) for any number of rows."""

    def __init__(self, user):
        from contracts.models import ON_THE_GROUND_STATUSES, ContractSchool

        self.viewer = viewer_for(user)
        self.windows = None  # no limit beyond the user's scope
        if self.viewer.is_program:
            self.windows = defaultdict(list)
            links = ContractSchool.objects.filter(
                contract__lead_partner_id=self.viewer.organization_id,
                contract__lifecycle_status__in=ON_THE_GROUND_STATUSES,
            ).values_list("school_id", "contract__start_date", "contract__end_date", "contract__ended_on")
            for school_id, start, end, ended_on in links:
                self.windows[school_id].append((start, min(end, ended_on) if ended_on else end))

    def refusal(self, school, period_end):
        """None where the user may write this school's value of a period ending on `period_end`,
        else the reason (for a school the user can see)."""
        if not (self.viewer.is_admin or self.viewer.is_district or self.viewer.is_program):
            return "Only district staff and Lead Partner program staff write measurements."
        if self.windows is None:
            return None
        windows = self.windows.get(school.pk, [])
        if any(start <= period_end <= end for start, end in windows):
            return None
        if not windows:
            return (
                f"The school {school.state_id} is not under a contract of your organization in force "
                "on the ground (active, on probation or renewed): its values are the district's to write."
            )
        terms = " or ".join(f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" for start, end in sorted(windows))
        return (
            f"The period ends on {period_end:%Y-%m-%d}, outside your organization's contract for the "
            f"school {school.state_id} ({terms}): values of periods outside the contract are the "
            "district's to write."
        )

    def overwrite_refusal(self, current, new_value):
        """None where the user may change the existing value `current` to `new_value`, else why."""
        if current.value == new_value or current.verification != "verified" or not self.viewer.is_partner:
            return None
        when = f" on {timezone.localtime(current.verified_at):%Y-%m-%d}" if current.verified_at else ""
        return (
            f"The district verified the value {current.value:g}{when}; it cannot be replaced by "
            f"{new_value:g}. If it is wrong, ask the district to dispute it, then correct it."
        )

    def change_kind(self, current):
        """The event that records a change of `current`: the partner's answer to a dispute, or a
        replacement."""
        from .models import EventKind

        if current.verification == "disputed" and self.viewer.is_partner:
            return EventKind.CORRECTED
        return EventKind.REPLACED


def write_refusal(user, school, period_end):
    """WriteRule(user).refusal(...) for one value."""
    return WriteRule(user).refusal(school, period_end)

"""A candidate's recorded steps (oldest first) and the dates the regulations count from: the activist date, the
branch meeting that accepted the person, the end of probation, and where the 党委's decisions stand."""

from __future__ import annotations

import datetime as dt

from dangjian.core import rulebook
from dangjian.members.periods import add_months, add_years

from .choices import Outcome, StepKind

K = StepKind


class History:
    """The steps already recorded for one candidate, oldest first."""

    def __init__(self, candidate, steps):
        self.candidate = candidate
        self.steps = sorted(steps, key=lambda s: (s.on, s.pk or 0))

    def all(self, kind):
        return [s for s in self.steps if s.kind == kind]

    def last(self, kind, passed: bool | None = None):
        found = [s for s in self.all(kind) if passed is None or s.passed is passed]
        return found[-1] if found else None

    def has(self, kind) -> bool:
        return bool(self.all(kind))

    # -- dates the regulations count from ------------------------------------------------------------------------

    @property
    def activist_on(self):
        step = self.last(K.ACTIVIST_DETERMINATION)
        return step.on if step else None

    @property
    def target_on(self):
        step = self.last(K.TARGET_DETERMINATION)
        return step.on if step else None

    @property
    def admission_meeting(self):
        return self.last(K.ADMISSION_MEETING, passed=True)

    @property
    def admission_approval(self):
        return self.last(K.ADMISSION_APPROVAL, passed=True)

    def thought_reports_from(self) -> dt.date | None:
        """Thought reports are due from the activist date (a 预备党员 transferred in: from their admission)."""
        return self.activist_on or self.probation_start()

    def probation_start(self) -> dt.date | None:
        """细则 第三十一条: probation counts from the branch meeting that accepted the person."""
        meeting = self.admission_meeting
        if meeting:
            return meeting.on
        member = self.candidate.member
        return member.joined_on if member else None

    def approved_extensions(self):
        """Extensions decided by a conversion meeting and approved by the 党委."""
        out = []
        for approval in self.all(K.CONVERSION_APPROVAL):
            meeting = self.meeting_for(approval)
            if approval.passed and meeting and meeting.outcome == Outcome.EXTEND:
                out.append(meeting)
        return out

    def meeting_for(self, approval):
        before = [m for m in self.all(K.CONVERSION_MEETING) if m.passed and (m.on, m.pk or 0) <= (approval.on, approval.pk or 0)]
        return before[-1] if before else None

    def probation_end(self) -> dt.date | None:
        start = self.probation_start()
        if start is None:
            return None
        end = add_years(start, rulebook.value("probation_years", start))
        for meeting in self.approved_extensions():
            end = add_months(end, meeting.months)
        return end

    def conversion_due(self) -> dt.date | None:
        """The day the branch must discuss conversion: the end of probation, later by a postponement."""
        end = self.probation_end()
        if end is None:
            return None
        postponed = self.last(K.CONVERSION_POSTPONEMENT)
        return add_months(end, postponed.months) if postponed else end

    def _decided(self, meeting, approval_kind):
        return [a for a in self.all(approval_kind) if (a.on, a.pk or 0) >= (meeting.on, meeting.pk or 0)]

    def pending_admission_meeting(self):
        """The latest branch resolution to admit that the 党委 has not decided on yet."""
        meeting = self.admission_meeting
        if meeting is None or self._decided(meeting, K.ADMISSION_APPROVAL):
            return None
        return meeting

    def admission_refused(self):
        """The 党委's 不批准 of the latest resolution to admit, when that is where the file stands: the branch may
        discuss again at a new 支部党员大会 (after a new 预审 where the time limit requires it) or end the file."""
        meeting = self.admission_meeting
        if meeting is None:
            return None
        decided = self._decided(meeting, K.ADMISSION_APPROVAL)
        return decided[-1] if decided and not decided[-1].passed else None

    def conversion_refused(self):
        """The 党委's 不批准 of the latest conversion resolution: the branch discusses the conversion again."""
        meeting = self.last(K.CONVERSION_MEETING, passed=True)
        if meeting is None:
            return None
        decided = self._decided(meeting, K.CONVERSION_APPROVAL)
        return decided[-1] if decided and not decided[-1].passed else None

    def pending_conversion_meeting(self):
        """The latest passed conversion meeting not yet decided by the 党委."""
        meeting = self.last(K.CONVERSION_MEETING, passed=True)
        if meeting is None:
            return None
        decided = [a for a in self.all(K.CONVERSION_APPROVAL) if (a.on, a.pk or 0) >= (meeting.on, meeting.pk or 0)]
        return None if decided else meeting

"""Check-in that cannot be faked: the open meeting shows a QR code of a signed token that changes every 30 s.

The token is an HMAC-signed value (django.core.signing, with its own salt) of the meeting id, the number of the
30-second window and a per-meeting key. A member's phone opens the URL the code encodes while logged in; the token
is accepted for its own meeting, in the current or the previous window (a scan at the turn of a window), inside the
meeting's time window, once per member. Replayed, expired, forged or other-meeting tokens are refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import segno
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts import roles
from dangjian.core import audit, rulebook

from . import rules
from .actions import _editable, locked
from .choices import CheckInMethod, MeetingState, Presence
from .models import Attendance, Meeting

SALT = "dangjian.orglife.checkin"
FORGED = "签到码无效，请扫描会场屏幕上的二维码"
EXPIRED = "签到码已过期，请扫描会场屏幕上的最新二维码"
OTHER_MEETING = "该签到码不属于本次会议"
REVOKED = "签到码已失效（会议签到码已重置），请扫描最新二维码"
ALREADY = "已签到"


def _period(on: dt.date) -> int:
    return int(rulebook.value("checkin_token_seconds", on))


def window_number(meeting: Meeting, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return int(now.timestamp()) // _period(meeting.held_on)


def seconds_left(meeting: Meeting, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    period = _period(meeting.held_on)
    return period - int(now.timestamp()) % period


def make_token(meeting: Meeting, now: dt.datetime | None = None) -> str:
    return signing.dumps({"m": meeting.pk, "w": window_number(meeting, now), "k": meeting.checkin_key[:8]},
                         salt=SALT, compress=False)


def token_refusal(meeting: Meeting, token: str, now: dt.datetime | None = None) -> str | None:
    """Why `token` does not check in to `meeting` now, or None."""
    now = now or timezone.now()
    try:
        data = signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        return FORGED
    if not isinstance(data, dict) or not {"m", "w", "k"} <= set(data):
        return FORGED
    if data["m"] != meeting.pk:
        return OTHER_MEETING
    if data["k"] != meeting.checkin_key[:8]:
        return REVOKED
    current = window_number(meeting, now)
    if not isinstance(data["w"], int) or data["w"] > current:
        return FORGED
    if current - data["w"] > 1:
        return EXPIRED
    return None


def window_refusal(meeting: Meeting, now: dt.datetime | None = None) -> str | None:
    now = now or timezone.now()
    if meeting.state == MeetingState.CANCELLED:
        return "会议已取消"
    if meeting.state in (MeetingState.SUBMITTED, MeetingState.APPROVED):
        return "会议记录已报送，签到已结束"
    opens, closes = rules.checkin_window(meeting)
    if now < opens:
        return f"签到尚未开始，{timezone.localtime(opens):%m月%d日 %H:%M} 起可签到"
    if now > closes:
        return f"签到已于 {timezone.localtime(closes):%m月%d日 %H:%M} 结束"
    return None


def qr_path(url: str, border: int = 2) -> tuple[int, str]:
    """The QR code of `url` as (size, SVG path data): the page draws it inline, escaped like any other text, with
    no script and no CDN. Dark modules are joined into horizontal runs to keep the path short."""
    rows = list(segno.make(url, error="m").matrix_iter(border=border))
    parts = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return len(rows), "".join(parts)


def _coordinate(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        errors[field] = "位置信息无效"
        return None


@transaction.atomic
def do_check_in(meeting, *, token: str, latitude=None, longitude=None, now: dt.datetime | None = None,
                actor) -> Attendance:
    """The member behind `actor` checks in to `meeting` by the token of the code they scanned."""
    now = now or timezone.now()
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_VIEW)
    refusal = token_refusal(meeting, token, now) or window_refusal(meeting, now)
    if refusal:
        raise ValidationError({"token": refusal})
    row = (Attendance.objects.select_for_update().select_related("member")
           .filter(meeting=meeting, member__user=actor).first())
    if row is None:
        raise ValidationError({"token": "您不是本次会议的应到人员，如需参会请联系支部书记"})
    if row.presence == Presence.PRESENT:
        raise ValidationError({"token": f"{ALREADY}（{timezone.localtime(row.checked_in_at):%H:%M}）"})
    errors: dict = {}
    lat, lon = _coordinate(latitude, "latitude", errors), _coordinate(longitude, "longitude", errors)
    distance = None
    if meeting.checkin_radius and not errors:
        if lat is None or lon is None:
            errors["latitude"] = "本次会议要求在会场附近签到，请允许获取位置后重试"
        else:
            distance = int(rules.distance_metres(lat, lon, meeting.latitude, meeting.longitude))
            if distance > meeting.checkin_radius:
                errors["latitude"] = f"您距会场约 {distance} 米，超出签到范围（{meeting.checkin_radius} 米）"
    if errors:
        raise ValidationError(errors)
    row.presence, row.checked_in_at, row.method, row.distance_metres = Presence.PRESENT, now, CheckInMethod.QR, distance
    row.save()
    from dangjian.analytics import facts

    facts.record("check_in", on=timezone.localdate(now), org_id=meeting.org_id, member_id=row.member_id,
                 ref=facts.ref_of(meeting))
    audit.record("orglife.checkin", actor=actor, obj=meeting, after={"member": row.member_id, "method": row.method,
                                                                     "distance": distance},
                 detail=f"{row.member.name}扫码签到")
    return row


@transaction.atomic
def do_check_in_on_behalf(meeting, *, member, actor) -> Attendance:
    """The secretary checks a participant in (no phone, elderly member …); the record says who did it."""
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    _editable(meeting)
    if meeting.starts_at - dt.timedelta(minutes=rulebook.value("checkin_margin_minutes", meeting.held_on)) > \
            timezone.now():
        raise ValidationError({"__all__": "签到尚未开始"})
    row = Attendance.objects.select_for_update().filter(meeting=meeting, member_id=getattr(member, "pk", None)).first()
    if row is None:
        raise ValidationError({"member": "该党员不是本次会议的应到人员"})
    if row.presence == Presence.PRESENT:
        raise ValidationError({"member": f"{row.member.name}{ALREADY}"})
    row.presence, row.checked_in_at, row.method = Presence.PRESENT, timezone.now(), CheckInMethod.ON_BEHALF
    row.checked_in_by, row.leave_reason = actor, ""
    row.save()
    audit.record("orglife.checkin_on_behalf", actor=actor, obj=meeting,
                 after={"member": row.member_id, "method": row.method}, detail=f"为{row.member.name}代签到")
    return row


@transaction.atomic
def do_reset_checkin_code(meeting, *, actor) -> Meeting:
    """A new key: every code shown before (a photo of the screen passed around) stops working."""
    from .models import _new_key

    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    meeting.checkin_key = _new_key()
    meeting.save(update_fields=["checkin_key", "updated_at"])
    audit.record("orglife.checkin_reset", actor=actor, obj=meeting, detail="重置签到码")
    return meeting

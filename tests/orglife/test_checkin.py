"""Check-in that cannot be faked: a signed token per 30-second window, for one meeting, inside its time window,
once per member; on-behalf check-in is allowed and marked; an optional radius around the meeting place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from dangjian.orglife import checkin
from dangjian.orglife.choices import CheckInMethod, Presence

from .helpers import at, schedule

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)
START = at(2026, 3, 10, 9)  # the meeting runs 09:00–11:00; check-in opens 08:30 and closes 11:30


@pytest.fixture
def meeting(world):
    return schedule(world, world.br1, "theme_day", DAY)


def check_in(meeting, user, token, now, **kw):
    return checkin.do_check_in(meeting, token=token, now=now, actor=user, **kw)


def refusal(meeting, user, token, now, **kw) -> str:
    with pytest.raises(ValidationError) as exc:
        check_in(meeting, user, token, now, **kw)
    return " ".join(exc.value.messages)


def test_a_member_checks_in_with_the_code_on_the_screen(world, meeting):
    now = START + dt.timedelta(minutes=5)
    row = check_in(meeting, world.member_user, checkin.make_token(meeting, now), now)
    assert (row.presence, row.method, row.checked_in_by) == (Presence.PRESENT, CheckInMethod.QR, None)


def test_a_second_check_in_by_the_same_member_is_refused_as_already_checked_in(world, meeting):
    now = START + dt.timedelta(minutes=5)
    token = checkin.make_token(meeting, now)
    check_in(meeting, world.member_user, token, now)
    assert "已签到" in refusal(meeting, world.member_user, token, now + dt.timedelta(seconds=3))
    assert meeting.attendances.filter(presence=Presence.PRESENT).count() == 1


def test_the_code_of_the_previous_window_is_accepted_and_older_ones_are_expired(world, meeting):
    shown = START + dt.timedelta(minutes=5)
    token = checkin.make_token(meeting, shown)
    period = checkin._period(DAY)
    two_windows_later = shown + dt.timedelta(seconds=2 * period)
    assert "已过期" in refusal(meeting, world.member_user, token, two_windows_later)
    one_window_later = shown + dt.timedelta(seconds=period)
    assert check_in(meeting, world.member_user, token, one_window_later).presence == Presence.PRESENT


def test_a_code_changes_every_thirty_seconds(meeting):
    t0 = START.replace(second=0)
    assert checkin.make_token(meeting, t0) == checkin.make_token(meeting, t0 + dt.timedelta(seconds=29))
    assert checkin.make_token(meeting, t0) != checkin.make_token(meeting, t0 + dt.timedelta(seconds=30))


def test_a_forged_or_altered_code_is_refused(world, meeting):
    now = START + dt.timedelta(minutes=5)
    token = checkin.make_token(meeting, now)
    assert "签到码无效" in refusal(meeting, world.member_user, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), now)
    unsigned = signing.dumps({"m": meeting.pk, "w": checkin.window_number(meeting, now), "k": "x"}, salt="other")
    assert "签到码无效" in refusal(meeting, world.member_user, unsigned, now)
    assert "签到码无效" in refusal(meeting, world.member_user, "", now)


def test_a_code_from_the_future_is_refused_as_forged(world, meeting):
    now = START + dt.timedelta(minutes=5)
    later = checkin.make_token(meeting, now + dt.timedelta(minutes=5))
    assert "签到码无效" in refusal(meeting, world.member_user, later, now)


def test_the_code_of_another_meeting_is_refused(world, meeting):
    other = schedule(world, world.br1, "party_lecture", DAY)
    now = START + dt.timedelta(minutes=5)
    assert "不属于本次会议" in refusal(meeting, world.member_user, checkin.make_token(other, now), now)


def test_after_a_reset_the_codes_shown_before_no_longer_work(world, meeting):
    now = START + dt.timedelta(minutes=5)
    token = checkin.make_token(meeting, now)
    checkin.do_reset_checkin_code(meeting, actor=world.secretary)
    meeting.refresh_from_db()
    assert "已失效" in refusal(meeting, world.member_user, token, now)


def test_check_in_opens_thirty_minutes_before_and_closes_thirty_minutes_after(world, meeting):
    early = START - dt.timedelta(minutes=30, seconds=1)
    assert "签到尚未开始" in refusal(meeting, world.member_user, checkin.make_token(meeting, early), early)
    late = START + dt.timedelta(hours=2, minutes=30, seconds=1)
    assert "签到已于" in refusal(meeting, world.member_user, checkin.make_token(meeting, late), late)
    last = START + dt.timedelta(hours=2, minutes=30)
    assert check_in(meeting, world.member_user, checkin.make_token(meeting, last), last).presence == Presence.PRESENT


def test_a_member_not_due_cannot_check_in(world, meeting):
    from dangjian.accounts import actions as account_actions
    from dangjian.accounts.roles import RoleName

    outsider = world.members["BR2"][0]
    user = account_actions.do_create_account(username="br2member", password=world.password, display_name="x")
    account_actions.do_assign_role(user, role=RoleName.MEMBER, org=world.br2)
    outsider.user = user
    outsider.save(update_fields=["user"])
    now = START + dt.timedelta(minutes=5)
    with pytest.raises(Exception) as exc:  # the meeting lies outside the member's own meetings: 404
        check_in(meeting, user, checkin.make_token(meeting, now), now)
    assert exc.type.__name__ == "Http404"


def test_the_location_check_refuses_a_phone_outside_the_radius(world):
    meeting = schedule(world, world.br1, "theme_day", DAY, latitude=Decimal("39.915000"),
                       longitude=Decimal("116.404000"), checkin_radius=200)
    now = START + dt.timedelta(minutes=5)
    token = checkin.make_token(meeting, now)
    assert "允许获取位置" in refusal(meeting, world.member_user, token, now)
    assert "超出签到范围" in refusal(meeting, world.member_user, token, now, latitude="39.925", longitude="116.404")
    row = check_in(meeting, world.member_user, token, now, latitude="39.9155", longitude="116.4045")
    assert row.presence == Presence.PRESENT and row.distance_metres < 200


def test_check_in_on_behalf_is_allowed_and_marked_with_who_did_it(world, meeting):
    row = checkin.do_check_in_on_behalf(meeting, member=world.members["BR1"][1], actor=world.secretary)
    assert (row.method, row.checked_in_by) == (CheckInMethod.ON_BEHALF, world.secretary)
    with pytest.raises(ValidationError) as exc:
        checkin.do_check_in_on_behalf(meeting, member=world.members["BR1"][1], actor=world.secretary)
    assert "已签到" in str(exc.value)


def test_a_member_cannot_check_in_someone_else_on_their_behalf(world, meeting):
    with pytest.raises(Exception) as exc:
        checkin.do_check_in_on_behalf(meeting, member=world.members["BR1"][1], actor=world.member_user)
    assert exc.type.__name__ == "Http404"

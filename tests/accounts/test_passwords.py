"""Password policy: ≥ 8 characters, 3 of 4 classes, no common passwords, last 5 not reusable."""

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from dangjian.accounts import actions
from dangjian.accounts.models import User
from dangjian.config import settings as project_settings

ACCEPTED = [
    "Abcdef1!", "Zq8#kLmn", "Party-2026-ok", "long passphrase that is easy to remember",
    "a" * 3 + "B" * 3 + "1" * 3, "中文密码Ab12", "Xy7$" * 2, "Tr0ub4dor&3", "correct-horse-Battery",
    "N0-sp4ces-at-all", "qW3rTy!uIo", "P4ss_w0rd_S4fe_2026", "x" * 10 + "Y1",
    "With Spaces Inside 1", "UPPER lower 123", "!!Aa11!!", "7Seven-Seven", "MiXeD.case.99",
    "a1!" + "b" * 61, "Ω-Unicode-Pass-1",
]
REJECTED = [
    ("Ab1!", "至少需要 8 个字符"), ("abcdefgh", "至少 3 类"), ("ABCDEFGH", "至少 3 类"), ("12345678", "过于常见"),
    ("abcd1234", "至少 3 类"), ("password", "过于常见"), ("Password", "至少 3 类"), ("iloveyou", "过于常见"),
    ("qwertyui", "至少 3 类"), ("11111111", "过于常见"), ("abcdefg1", "至少 3 类"), ("ABCDEFG!", "至少 3 类"),
    ("!!!!!!!!", "至少 3 类"), ("Aa1", "至少需要 8 个字符"), ("", "至少需要 8 个字符"), ("a" * 129, "不能超过 128"),
    ("Abcdefgh", "至少 3 类"), ("1234567a", "至少 3 类"), ("zaq12wsx", "至少 3 类"), ("abc12345", "至少 3 类"),
    # Three or four classes, but on the list of common passwords (compared case-insensitively).
    ("Passw0rd", "过于常见"), ("P@ssw0rd", "过于常见"), ("Qwerty123", "过于常见"), ("Password1", "过于常见"),
    ("Password123", "过于常见"), ("Welcome1", "过于常见"), ("Iloveyou1", "过于常见"), ("Woaini1314", "过于常见"),
    ("Admin123", "过于常见"), ("Monkey123", "过于常见"), ("Dragon123", "过于常见"), ("1Qaz@wsx", "过于常见"),
    ("Aa123456", "过于常见"), ("Asdf1234", "过于常见"), ("Qazwsx123", "过于常见"), ("Letmein1", "过于常见"),
    # Too short however varied; a 19-character password still needs three classes.
    ("Aa1!Aa1", "至少需要 8 个字符"), ("Zz9#", "至少需要 8 个字符"), ("abcdefghijklmnopqrs", "至少 3 类"),
    ("1234567890123456789", "至少 3 类"),
]


@pytest.mark.parametrize("password", ACCEPTED)
def test_passwords_meeting_the_policy_are_accepted(password, db):
    password_validation.validate_password(password, User(username="tester"))


@pytest.mark.parametrize("password, reason", REJECTED)
def test_passwords_breaking_the_policy_are_refused_with_a_chinese_reason(password, reason, db):
    with pytest.raises(ValidationError) as exc:
        password_validation.validate_password(password, User(username="tester"))
    assert any(reason in m for m in exc.value.messages), exc.value.messages


def test_password_similar_to_the_username_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        password_validation.validate_password("Zhangwei2026!", User(username="zhangwei2026"))
    assert "相似" in " ".join(exc.value.messages)


def test_a_64_character_passphrase_is_accepted_and_not_truncated(world):
    phrase = "the quick brown fox jumps over the lazy dog and keeps running fa"
    assert len(phrase) == 64
    actions.do_change_password(world.nobody, old_password=world.password, new_password=phrase)
    world.nobody.refresh_from_db()
    assert world.nobody.check_password(phrase) and not world.nobody.check_password(phrase[:63])


def test_the_last_five_passwords_cannot_be_reused_but_the_sixth_oldest_can(world):
    user = world.nobody
    history = [world.password] + [f"Rotation-{i}-Pass!" for i in range(1, 6)]
    for new in history[1:]:
        actions.do_change_password(user, old_password=None, new_password=new)
    for recent in history[1:]:  # the current one and the four before it, plus the one before those
        with pytest.raises(ValidationError) as exc:
            actions.do_change_password(user, old_password=None, new_password=recent)
        assert "最近 5 次" in exc.value.message_dict["new_password"][0]
    actions.do_change_password(user, old_password=None, new_password=history[0])


def test_wrong_old_password_is_refused_and_changes_nothing(world):
    encoded = world.nobody.password
    with pytest.raises(ValidationError) as exc:
        actions.do_change_password(world.nobody, old_password="wrong", new_password="Brand-New-1!")
    assert exc.value.message_dict["old_password"] == ["原密码不正确"]
    world.nobody.refresh_from_db()
    assert world.nobody.password == encoded


def test_argon2_is_the_first_password_hasher():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_stored_passwords_are_argon2_hashes(world):
    assert all(u.password.startswith("argon2$") for u in User.objects.all())


def test_policy_numbers_come_from_settings(settings, db):
    settings.PASSWORD_POLICY = {**settings.PASSWORD_POLICY, "min_length": 12}
    with pytest.raises(ValidationError, match="12"):
        password_validation.validate_password("Short-Pass1", User(username="x"))


def test_the_policy_table_has_at_least_forty_cases():
    assert len(ACCEPTED) + len(REJECTED) >= 40


@pytest.mark.parametrize("username, password", [
    ("zhangwei2026", "Zhangwei2026!"), ("secretary", "Secretary-1"), ("liuyang", "LiuYang#88"),
])
def test_passwords_close_to_the_username_are_refused(db, username, password):
    with pytest.raises(ValidationError) as exc:
        password_validation.validate_password(password, User(username=username))
    assert "密码与账号信息过于相似" in exc.value.messages


def test_a_128_character_password_is_used_whole(world):
    password = ("Ab1!" + "x" * 60) * 2
    assert len(password) == 128
    actions.do_change_password(world.nobody, old_password=world.password, new_password=password)
    world.nobody.refresh_from_db()
    assert world.nobody.check_password(password)
    assert not world.nobody.check_password(password[:127]) and not world.nobody.check_password(password[:72])


def test_history_depth_follows_the_settings(world, settings):
    settings.PASSWORD_POLICY = {**settings.PASSWORD_POLICY, "history": 2}
    user = world.nobody
    actions.do_change_password(user, old_password=None, new_password="Second-Pass-1")
    actions.do_change_password(user, old_password=None, new_password="Third-Pass-1")
    with pytest.raises(ValidationError):
        actions.do_change_password(user, old_password=None, new_password="Second-Pass-1")
    actions.do_change_password(user, old_password=None, new_password=world.password)  # 3rd most recent: allowed


def test_only_the_last_five_hashes_are_kept(world):
    for i in range(8):
        actions.do_change_password(world.nobody, old_password=None, new_password=f"Kept-{i}-Password")
    assert world.nobody.password_history.count() == 5
    assert all(h.password.startswith("argon2$") for h in world.nobody.password_history.all())


def test_a_refused_password_changes_nothing(world):
    encoded, changed_at = world.nobody.password, world.nobody.password_changed_at
    with pytest.raises(ValidationError) as exc:
        actions.do_change_password(world.nobody, old_password=world.password, new_password="password")
    assert "new_password" in exc.value.message_dict
    world.nobody.refresh_from_db()
    assert (world.nobody.password, world.nobody.password_changed_at) == (encoded, changed_at)
    assert world.nobody.password_history.count() == 0


def test_a_new_account_needs_a_policy_password(db):
    with pytest.raises(ValidationError) as exc:
        actions.do_create_account(username="weak", password="12345678")
    assert "password" in exc.value.message_dict
    assert not User.objects.filter(username="weak").exists()


def test_account_names_are_unique_whatever_the_case(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_create_account(username="SECRETARY", password="Unique-Pass-2026")
    assert exc.value.message_dict["username"] == ["该账号已存在"]


from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402


@given(st.text(max_size=140))
@hsettings(max_examples=400, deadline=None)
def test_any_text_is_either_accepted_under_the_policy_or_refused_with_a_reason(text):
    from dangjian.accounts.passwords import CLASSES

    user = User(username="tester")
    try:
        password_validation.validate_password(text, user)
    except ValidationError as exc:
        assert exc.messages and all(any("\u4e00" <= c <= "\u9fff" for c in m) for m in exc.messages)
        return
    classes = sum(1 for _, rx in CLASSES if rx.search(text))
    assert 8 <= len(text) <= 128 and (classes >= 3 or len(text) >= 20)

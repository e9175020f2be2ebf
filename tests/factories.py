"""Test data helpers shared by every test module (import as `factories`)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from django.contrib.auth.hashers import Argon2PasswordHasher
from stdnum.cn import ric

PASSWORD = "Test-Passw0rd!"
_serial = itertools.count(1)


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with a tiny cost, for tests only: the same algorithm and format, 100× faster."""

    time_cost = 1
    memory_cost = 256
    parallelism = 1


def make_id_number(birth: dt.date, male: bool, rng: random.Random | None = None, region: str = "110101") -> str:
    """A checksum-valid synthetic 公民身份号码 (generated, never a real person's)."""
    rng = rng or random.Random(next(_serial))
    seq = rng.randrange(0, 99)
    gender_digit = rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    body = f"{region}{birth:%Y%m%d}{seq:02d}{gender_digit}"
    return body + ric.calc_check_digit(body + "0")


def member_data(**overrides) -> dict:
    n = next(_serial)
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=n * 37 % 9000)
    data = {
        "name": overrides.pop("name", f"张{'三四五六七八九'[n % 7]}{n}"),
        "gender": "male",
        "ethnicity": "汉族",
        "id_number": make_id_number(birth, True, random.Random(n)),
        "birth_date": birth,
        "education": "undergraduate",
        "occupation_category": "professional",
        "joined_on": dt.date(2010, 7, 1),
        "converted_on": dt.date(2011, 7, 1),
        "category": "full",
        "phone": f"138{n:08d}",
        "address": "北京市东城区东华门街道",
    }
    data.update(overrides)
    return data

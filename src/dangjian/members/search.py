"""Member search: by name, by pinyin initials (`zs` finds 张三), or by exact 公民身份号码."""

from __future__ import annotations

import re
from functools import lru_cache

from django.db.models import Q
from pypinyin import Style, lazy_pinyin

from dangjian.core.crypto import provider

ID_CONTEXT = "member.id_number"
_INITIALS_QUERY = re.compile(r"^[a-zA-Z][a-zA-Z0-9]{0,19}$")  # "zs", or "zw2" for a second 张伟2
_ID_QUERY = re.compile(r"^\d{17}[\dXx]$")


@lru_cache(maxsize=8192)
def _char_initial(char: str) -> str:
    letters = lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore")
    return (letters[0][:1] if letters and letters[0] else "").lower()


def name_initials(name: str) -> str:
    return "".join(_char_initial(c) if "\u4e00" <= c <= "\u9fff" else c.lower() for c in name if c.strip())


def id_number_index(id_number: str) -> str:
    return _index(id_number.strip().upper(), provider())


@lru_cache(maxsize=256)  # a record's number is looked up by several steps one after another
def _index(number: str, keys) -> str:
    return keys.blind_index(number, ID_CONTEXT)


def search_q(text: str) -> Q:
    text = (text or "").strip()
    if not text:
        return Q()
    if _ID_QUERY.match(text):
        return Q(id_number_index=id_number_index(text))
    if _INITIALS_QUERY.match(text):
        return Q(name_initials__startswith=text.lower()) | Q(name__icontains=text)
    return Q(name__icontains=text)

"""Notifications: every task event lands in the in-app inbox (站内消息) of the accounts that hold the organisation;
email and SMS go through adapters chosen by the setting ALERTS_NOTIFIERS (dotted paths). Development and tests use
the console (logging) and file adapters; a deployment plugs in its own gateway with the same `send`."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("dangjian.alerts.notify")


@dataclass(frozen=True)
class Notice:
    user_id: int
    username: str
    title: str
    body: str
    task_id: int | None


class Adapter:
    """An outgoing channel (email, SMS …). `send` must not raise for one bad address; it reports and moves on."""

    channel = ""

    def active(self) -> bool:
        """False when the channel would send nothing (a log that is off, no file configured): the callers then
        skip building the notices altogether, which matters for the hundreds of thousands of a first evaluation."""
        return True

    def send(self, notices: list[Notice]) -> None:
        raise NotImplementedError


class ConsoleAdapter(Adapter):
    channel = "console"

    def active(self):
        return log.isEnabledFor(logging.INFO)

    def send(self, notices):
        for n in notices:
            log.info("通知 %s：%s %s", n.username, n.title, n.body)


class FileAdapter(Adapter):
    """Appends one JSON line per notice to ALERTS_NOTIFY_FILE."""

    channel = "file"

    def active(self):
        return bool(getattr(settings, "ALERTS_NOTIFY_FILE", ""))

    def send(self, notices):
        path = getattr(settings, "ALERTS_NOTIFY_FILE", "")
        if not path or not notices:
            return
        with open(path, "a", encoding="utf-8") as fh:
            for n in notices:
                fh.write(json.dumps(n.__dict__, ensure_ascii=False) + "\n")


def adapters() -> list[Adapter]:
    """The configured channels that would send something now."""
    made = [import_string(path)() for path in getattr(settings, "ALERTS_NOTIFIERS", [])]
    return [adapter for adapter in made if adapter.active()]


def deliver(notices: list[Notice]) -> None:
    for adapter in adapters():
        try:
            adapter.send(notices)
        except Exception:  # a gateway failure never undoes the task step; the inbox already has the message
            log.exception("通知发送失败（%s）", adapter.channel)

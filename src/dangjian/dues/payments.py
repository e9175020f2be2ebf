"""Online payment providers behind one interface. A real channel (a bank's or a payment company's) implements
the same three methods; the fake provider serves the demo and the tests and moves no money.

The provider's confirmation is trusted only when its signature verifies (HMAC-SM3 for the fake provider).
"""

from __future__ import annotations

import hmac as std_hmac
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from dangjian.core.crypto import hmac_sm3


@dataclass(frozen=True)
class Confirmation:
    order_id: str
    paid: bool
    external_ref: str


class FakeProvider:
    """模拟支付: a page where the payer confirms; it then calls back like a real channel, signed."""

    name = "fake"

    def __init__(self):
        self.key = (settings.SECRET_KEY + ":dues-fake-provider").encode()

    def checkout_url(self, order) -> str:
        return reverse("dues:fake_checkout") + f"?order={order.order_id}"

    def sign(self, order_id: str, paid: bool, external_ref: str) -> str:
        return hmac_sm3(self.key, f"{order_id}|{int(paid)}|{external_ref}".encode()).hex()

    def verify(self, data) -> Confirmation | None:
        order_id, ref = str(data.get("order_id", "")), str(data.get("external_ref", ""))
        paid = str(data.get("paid", "")) == "1"
        if not std_hmac.compare_digest(self.sign(order_id, paid, ref), str(data.get("signature", ""))):
            return None
        return Confirmation(order_id=order_id, paid=paid, external_ref=ref)


def provider():
    return import_string(settings.DUES_PAYMENT_PROVIDER)()

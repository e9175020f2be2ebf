"""Model fields for sensitive personal data: SM4-GCM at rest, decrypted on load."""

from django.db import models

from .crypto import provider


class EncryptedTextField(models.TextField):
    """Stores SM4-GCM ciphertext; the Python value is the plaintext.

    The ciphertext is bound to the field (GCM associated data), so a value copied from one column
    into another fails to decrypt instead of being silently accepted.
    """

    def __init__(self, *args, aad: str = "", **kwargs):
        self.aad = aad
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["aad"] = self.aad
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return provider().decrypt(value, self.aad)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return provider().encrypt(value, self.aad)

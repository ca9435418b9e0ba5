"""Sealed fields: health data encrypted in the database with its case's data key.

A sealed column holds b"\\x01" + nonce(12) + AES-GCM(plaintext), under the data
key of the row's *key holder* (its case, or an enquiry before it has a case;
datakeys.py), with associated data
"casebridge/sealed/<table>/<column>/<holder identity>": a ciphertext copied
into another column (a staff-only note into a patient's message), another
table or another case does not open.

In Python the attribute is the plaintext (`case.engine` is the dict,
`message.body` the text): the field's descriptor opens the ciphertext on
first read (the holder's key is unwrapped once per holder object), and
`pre_save` seals it on every save. Django's `from_db_value` has no access to
the row, so rows load the ciphertext as a `Sealed` marker and open it lazily;
a page that never reads a field never decrypts it.

Only save() writes a sealed field: QuerySet.update(), filter() and raw values
that are not ciphertext are refused (TypeError), so plaintext can never reach
the column by another path. values() and values_list() give the ciphertext
(a Sealed): read sealed fields through model instances.

The audit log's before/after stay JSON (the HMAC chain covers what is stored):
seal_json / open_json put a sealed value in a {"sealed": ..., "by": ...}
envelope there.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import models
from django.db.models.fields import NOT_PROVIDED

from casebridge.web.cases import datakeys
from casebridge.web.cases.errors import StorageError

FORMAT = b"\x01"
NONCE_BYTES = 12
_KEY_CACHE = "_casebridge_data_key"
_HOLDER_CACHE = "_casebridge_key_holder"


class SealedError(StorageError):
    """A sealed value does not open: altered, moved, or its key is gone."""


class Sealed(bytes):
    """A ciphertext as loaded from the database, not yet opened."""


def field_aad(table: str, column: str, identity: str) -> bytes:
    return f"casebridge/sealed/{table}/{column}/{identity}".encode()


def seal(key: bytes, aad: bytes, plaintext: bytes) -> Sealed:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return Sealed(FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad))


def open_sealed(key: bytes, aad: bytes, sealed: bytes) -> bytes:
    """The plaintext; InvalidTag when the key or associated data is not the one
    it was sealed with, or it was altered."""
    if not sealed.startswith(FORMAT) or len(sealed) < 1 + NONCE_BYTES + 16:
        raise InvalidTag
    return AESGCM(key).decrypt(sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :], aad)


def encode_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class KeyHolder:
    """What a model that owns a data key (Case, Enquiry) provides. Mixed into
    the model; the model has a `wrapped_key` BinaryField."""

    # The columns a row of another model needs to fetch of its holder to open
    # its sealed fields (without the holder's own, possibly large, fields).
    KEY_FIELDS: tuple[str, ...] = ()
    KIND = ""  # "case" or "enquiry": names the holder in an audit envelope

    def key_aad(self) -> bytes:
        raise NotImplementedError

    def sealing_identity(self) -> str:
        raise NotImplementedError

    def data_key(self) -> bytes:
        """This holder's data key, unwrapped once per object (and again if its
        wrapped key changes, as in a rotation)."""
        wrapped = bytes(getattr(self, "wrapped_key", b"") or b"")
        cached = self.__dict__.get(_KEY_CACHE)
        if cached is not None and cached[0] == wrapped:
            return bytes(cached[1])
        try:
            key = datakeys.unwrap(wrapped, self.key_aad())
        except datakeys.DataKeyError as error:
            raise SealedError(
                f"The data key of {self.KIND} {self.sealing_identity()} cannot be opened "
                f"({error}: wrong CASEBRIDGE_MASTER_KEY, or the key was altered or erased)."
            ) from None
        self.__dict__[_KEY_CACHE] = (wrapped, key)
        return key


def _holder(field: SealedField, instance: models.Model) -> KeyHolder:
    """The key holder of `instance`: itself, or the object its foreign key
    `field.holder` points to: the cached related object when the row was loaded
    through it (case.messages.all() gives every message its case, no query),
    else only the holder's key columns, fetched once per row."""
    if field.holder is None:
        if not isinstance(instance, KeyHolder):
            raise TypeError(f"{type(instance).__name__} holds no data key")
        return instance
    foreign = instance._meta.get_field(field.holder)
    assert isinstance(foreign, models.ForeignKey)
    if foreign.is_cached(instance):
        related = getattr(instance, field.holder)
        if isinstance(related, KeyHolder):
            return related
    holder_id = getattr(instance, foreign.attname)
    cached = instance.__dict__.get(_HOLDER_CACHE)
    if isinstance(cached, KeyHolder) and getattr(cached, "pk", None) == holder_id:
        return cached
    model = foreign.related_model
    if not (isinstance(model, type) and issubclass(model, KeyHolder)):
        raise TypeError(f"{field.holder} of {type(instance).__name__} holds no data key")
    if holder_id is None:
        raise SealedError(f"this {type(instance).__name__} has no {field.holder} to hold its key")
    fetched = (
        model._base_manager.db_manager(instance._state.db).only(*model.KEY_FIELDS).get(pk=holder_id)
    )
    instance.__dict__[_HOLDER_CACHE] = fetched
    assert isinstance(fetched, KeyHolder)
    return fetched


class SealedDescriptor:
    """The attribute of a sealed field: the plaintext, opened on first read."""

    def __init__(self, field: SealedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, cls: Any = None) -> Any:
        if instance is None:
            return self
        data = instance.__dict__
        name = self.field.attname
        if name not in data:  # deferred: load this column alone (one query)
            if instance.pk is None:
                raise AttributeError(name)
            manager = type(instance)._base_manager.db_manager(instance._state.db)
            data[name] = manager.filter(pk=instance.pk).values_list(name, flat=True).get()
        value = data[name]
        if isinstance(value, Sealed):
            value = self.field.open_value(instance, value)
            data[name] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class SealedField(models.BinaryField):
    """The base of sealed fields: a binary column holding ciphertext.
    `holder`: the foreign key whose object holds the data key (None: the row
    itself is the holder)."""

    descriptor_class = SealedDescriptor

    def __init__(self, *args: Any, holder: str | None = None, **kwargs: Any) -> None:
        self.holder = holder
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.holder is not None:
            kwargs["holder"] = self.holder
        return name, path, args, kwargs

    def has_default(self) -> bool:
        # The column never has a database default: it could only be a
        # ciphertext, which needs a row's key (schema changes ask this for one).
        return False

    def get_default(self) -> Any:
        """The value of a new row (Model.__init__): `default`, else empty."""
        if self.default is NOT_PROVIDED:
            return None if self.null else self.empty()
        return self.default() if callable(self.default) else self.default

    # -- plaintext <-> bytes (subclasses)
    def empty(self) -> Any:
        raise NotImplementedError

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def aad_for(self, holder: KeyHolder) -> bytes:
        return field_aad(self.model._meta.db_table, self.column, holder.sealing_identity())

    def open_value(self, instance: models.Model, sealed: bytes) -> Any:
        holder = _holder(self, instance)
        try:
            return self.decode(open_sealed(holder.data_key(), self.aad_for(holder), sealed))
        except InvalidTag:
            raise SealedError(
                f"{self.model._meta.db_table}.{self.column} of row {instance.pk} failed its "
                "integrity check: it was altered, or moved from another row or case."
            ) from None

    # -- the database side
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        if value is None:
            return None
        return Sealed(bytes(value))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, Sealed) or (value is None and self.null):
            return value  # never opened, so unchanged: written back as it was
        value = getattr(model_instance, self.attname)
        holder = _holder(self, model_instance)
        return seal(holder.data_key(), self.aad_for(holder), self.encode(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if isinstance(value, memoryview):
            value = bytes(value)
        if value is None or value == b"":  # b"": a schema change's "default" of a binary column
            return None
        if not isinstance(value, bytes) or not value.startswith(FORMAT):
            raise TypeError(
                f"{self.model.__name__}.{self.name} is sealed: it is written only by save() "
                "(which encrypts it), never by update(), a filter or a raw value."
            )
        return connection.Database.Binary(value)


class SealedTextField(SealedField):
    """Text, sealed."""

    def empty(self) -> str:
        return ""

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self.model.__name__}.{self.name} holds text, not {value!r}")
        return value.encode("utf-8")

    def decode(self, data: bytes) -> str:
        return data.decode("utf-8")


class SealedJSONField(SealedField):
    """A JSON value (dict, list ...), sealed."""

    def empty(self) -> Any:
        return {}

    def encode(self, value: Any) -> bytes:
        return encode_json(value)

    def decode(self, data: bytes) -> Any:
        return json.loads(data)


# -- JSON envelopes (the audit log's before/after) ----------------------------------------


def is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"sealed", "by"}


def envelope_aad(table: str, column: str, holder: KeyHolder) -> bytes:
    return field_aad(table, column, f"{holder.KIND}:{holder.sealing_identity()}")


def seal_json(holder: KeyHolder, table: str, column: str, value: Any) -> dict[str, str] | None:
    """`value` as a JSON envelope sealed with the holder's key (None stays None)."""
    if value is None:
        return None
    sealed = seal(holder.data_key(), envelope_aad(table, column, holder), encode_json(value))
    return {"sealed": base64.b64encode(sealed).decode("ascii"), "by": holder.KIND}


def open_json(holder: KeyHolder, table: str, column: str, envelope: dict[str, str]) -> Any:
    try:
        raw = base64.b64decode(envelope["sealed"], validate=True)
        data = open_sealed(holder.data_key(), envelope_aad(table, column, holder), raw)
    except (InvalidTag, binascii.Error, ValueError):
        raise SealedError(
            f"{table}.{column} failed its integrity check: altered, or moved from another row."
        ) from None
    return json.loads(data)


class EnvelopeDescriptor:
    """The attribute of a SealedEnvelopeField: the value as written, opened
    from its envelope (with the key of the holder the row names) on read;
    what is stored, envelope or clear JSON, stays in the instance for the
    audit chain (stored_value)."""

    def __init__(self, field: SealedEnvelopeField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, cls: Any = None) -> Any:
        if instance is None:
            return self
        name = self.field.attname
        if name not in instance.__dict__:
            instance.refresh_from_db(fields=[name])
        value = instance.__dict__[name]
        if not is_envelope(value):
            return value
        cache_name = f"_casebridge_opened_{name}"
        cached = instance.__dict__.get(cache_name)
        if cached is not None and cached[0] is value:
            return cached[1]
        holder = instance.envelope_holder(value["by"])  # type: ignore[attr-defined]  # the model provides it
        opened = (
            None
            if holder is None
            else open_json(holder, instance._meta.db_table, self.field.column, value)
        )
        instance.__dict__[cache_name] = (value, opened)
        return opened

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class SealedEnvelopeField(models.JSONField):
    """A JSON column whose value is either clear JSON (nothing to protect, or no
    key holder: a sign-in's account) or a seal_json envelope. Writing seals
    nothing by itself: the writer (audit.record) puts the envelope in, so the
    HMAC it computes covers exactly what is stored. The model defines
    envelope_holder(kind) -> KeyHolder | None (None: the key is gone)."""

    descriptor_class = EnvelopeDescriptor

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return stored_value(model_instance, self.attname)


def stored_value(instance: models.Model, name: str) -> Any:
    """What the column holds (or will hold): the envelope, not its contents."""
    if name not in instance.__dict__:
        instance.refresh_from_db(fields=[name])
    return instance.__dict__[name]

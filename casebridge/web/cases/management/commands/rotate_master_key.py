"""manage.py rotate_master_key [--check]

Re-wraps every data key (each case's, each enquiry's) and re-seals every
second-factor secret with the current master key (CASEBRIDGE_MASTER_KEY),
while the servers keep running. The data itself is never re-encrypted: only
the 80-byte wrapped keys change, so a rotation takes seconds, not hours.

Without downtime, in three steps (SECURITY.md):
  1. every process gets the new key as an accepted one
     (CASEBRIDGE_MASTER_KEYS_ACCEPTED=new), the old one still current;
  2. every process gets CASEBRIDGE_MASTER_KEY=new and
     CASEBRIDGE_MASTER_KEYS_ACCEPTED=old; then run this command;
  3. when it reports nothing left under another key, drop the old key.
At every moment of the restarts, every process opens every key.

Each key is changed in its own short statement, only if it is still the one
read (compare and set), so nothing is locked for long and a concurrent change
is never overwritten; the command walks the tables again until a pass finds
nothing left to re-wrap, and can be run again after an interruption.

Exit codes: 0 every key is under the current master key; 1 some key opens
with no accepted master key (named), or is left under another one (--check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allauth.mfa.models import Authenticator
from cryptography.exceptions import InvalidTag
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from casebridge.web.accounts.adapter import PREFIX, MFAAdapter, open_secret
from casebridge.web.cases import datakeys
from casebridge.web.cases.models import Case, Enquiry

MAX_PASSES = 5


@dataclass
class Tally:
    rewrapped: int = 0
    current: int = 0
    broken: list[str] = field(default_factory=list)


def _rewrap_table(
    model: type[models.Model],
    name_field: str,
    aad: Callable[[str], bytes],
    tally: Tally,
    check: bool,
) -> int:
    """Re-wrap the keys of one table; returns how many were not yet current."""
    left = 0
    rows = model._default_manager.values_list("pk", name_field, "wrapped_key").order_by("pk")
    for pk, name, wrapped in rows.iterator(chunk_size=500):
        wrapped = bytes(wrapped)
        try:
            new = datakeys.rewrap(wrapped, aad(name))
        except datakeys.DataKeyError as error:
            tally.broken.append(f"{model._meta.model_name} {name}: {error}")
            continue
        if new is None:
            tally.current += 1
            continue
        left += 1
        if check:
            continue
        # only if unchanged since read: a row changed meanwhile is seen next pass
        done = model._default_manager.filter(pk=pk, wrapped_key=wrapped).update(wrapped_key=new)
        tally.rewrapped += done
    return left


def _reseal(value: Any, adapter: MFAAdapter) -> tuple[Any, bool]:
    """`value` (an authenticator's data) with each sealed secret sealed again
    with the current key; and whether anything was not yet."""
    if isinstance(value, str) and value.startswith(PREFIX):
        text, current = open_secret(value)
        return (value, False) if current else (adapter.encrypt(text), True)
    if isinstance(value, dict):
        pairs = {k: _reseal(v, adapter) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
    if isinstance(value, list):
        items = [_reseal(v, adapter) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False


def _reseal_authenticators(tally: Tally, check: bool) -> int:
    adapter, left = MFAAdapter(), 0
    for authenticator in Authenticator.objects.order_by("pk").iterator(chunk_size=500):
        try:
            data, changed = _reseal(authenticator.data, adapter)
        except InvalidTag:
            tally.broken.append(
                f"second factor {authenticator.pk}: no accepted master key opens it"
            )
            continue
        if not changed:
            tally.current += 1
            continue
        left += 1
        if not check:
            tally.rewrapped += Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
    return left


class Command(BaseCommand):
    help = (
        "Re-wrap every data key and re-seal every second-factor secret with the current "
        "master key (CASEBRIDGE_MASTER_KEY), the servers running; see SECURITY.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing: report how many keys are not yet under the current master key",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check = bool(options["check"])
        left, rewrapped = 0, 0
        tally = Tally()
        for _ in range(1 if check else MAX_PASSES):
            rewrapped += tally.rewrapped
            tally = Tally()
            left = _rewrap_table(Case, "pseudonym", datakeys.case_key_aad, tally, check)
            left += _rewrap_table(Enquiry, "key_ref", datakeys.enquiry_key_aad, tally, check)
            left += _reseal_authenticators(tally, check)
            if tally.broken or left == 0 or check:
                break
            self.stdout.write(f"re-wrapped {tally.rewrapped}; walking the tables again")
        for problem in tally.broken:
            self.stderr.write(f"cannot open: {problem}")
        if tally.broken:
            raise CommandError(
                f"{len(tally.broken)} key(s) open with no accepted master key: is the key they "
                "were wrapped with in CASEBRIDGE_MASTER_KEY or CASEBRIDGE_MASTER_KEYS_ACCEPTED?",
                returncode=1,
            )
        if check:
            self.stdout.write(f"{left} key(s) not yet under the current master key")
            if left:
                raise CommandError("some keys are still under another master key", returncode=1)
            return
        if left:
            raise CommandError(
                f"keys kept changing during {MAX_PASSES} passes: run the command again",
                returncode=1,
            )
        self.stdout.write(
            f"re-wrapped {rewrapped + tally.rewrapped}; every key is under the current master "
            f"key ({tally.current} checked): the other accepted keys can now be dropped"
        )

"""The reviewer workspace under load: 20 reviewers abroad on a case of 300 documents.

    python -m benchmarks.bench_review [--documents 300] [--users 20] [--seconds 30]
                                      [--requests 200] [--rounds 2] [--think 0]
                                      [--keep]

It builds bench_web's case (seed: 300 generated records, uploaded and read by
the engine) with a patient and family members, then what a review needs, through
the platform's actions:
- the case ready for review, a department chosen (matching.do_choose_direction,
  the ranking's first) and the patient's consents (processing_art9, and
  transfer_abroad naming that department);
- a pack sent there: the engine's own pack of the case (pack.build.build_pack
  with the patient's name as the known identity; the originals go as their
  redacted text, no page images: bench_pack times those), its files stored
  encrypted as the worker stores them, the pack row marked sent; the case
  under review;
- --users reviewer accounts of that department (reviews.do_invite_reviewer:
  role reviewer, a ReviewerProfile), each with a password, a verified address
  and a TOTP authenticator; one assignment (reviews.do_assign_review) seating
  them all, one lead.

Then, on one `casebridge serve` server per round (fresh each time, with
--warmup seconds of unmeasured load first, as bench_web does), in alternating
rounds on the same data and sessions:
- "review": the --users reviewers, signed in through the login form and
  their second factor (a TOTP code), loading the reviewer workspace
  (/review/cases/<CB-...>/) in a loop;
- "patient": the same number of people on the patient's side (the patient and
  the family members they invited) loading the patient workspace
  (/cases/<CB-...>/), bench_web's page.
It prints p50 / p95 / max and requests/s of each and their ratios. Target: the
reviewer workspace's p95 <= 200 ms with 20 users.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_web import (
    PASSWORD,
    REPO,
    TARGET_P95_MS,
    Client,
    Person,
    Side,
    bench_environment,
    free_port,
    process_tree_cpu,
    report,
    run_load,
    seed,
    sign_in_all,
    start_server,
    stop,
)


@dataclass
class Review:
    reviewers: dict[str, str]  # e-mail: TOTP secret
    direction: str
    pack_files: int
    pack_bytes: int
    seconds: float


def seed_review(pseudonym: str, reviewers: int) -> Review:
    """A department, consents, a sent pack and an assignment of `reviewers` seats
    on the case (Django is set up in this process)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from casebridge.engine.directions import load_directions
    from casebridge.engine.pack.build import build_pack
    from casebridge.engine.pack.identity import KnownIdentity
    from casebridge.web.accounts.models import Role, User
    from casebridge.web.cases import workflow
    from casebridge.web.cases.actions import do_give_consent
    from casebridge.web.cases.lib import engine_case
    from casebridge.web.cases.matching import do_choose_direction, ranking
    from casebridge.web.cases.models import Case, CasePack
    from casebridge.web.cases.packs import store_files
    from casebridge.web.cases.reviews import Seat, do_assign_review, do_invite_reviewer

    started = time.perf_counter()
    case = Case.objects.get(pseudonym=pseudonym)
    owner = case.owner
    coordinator = User.objects.filter(role=Role.COORDINATOR).order_by("pk").first()
    assert owner is not None and coordinator is not None

    Case.objects.filter(pk=case.pk).update(status=workflow.READY_FOR_REVIEW)
    case.refresh_from_db()
    best = ranking(case)["matches"][0]["id"]
    mdt = list(load_directions().get(best).mdt)
    disciplines = [d for d in ("pathology", "medical_oncology") if d in mdt] or mdt[:2]
    do_choose_direction(case, acting_user=coordinator, direction_id=best, disciplines=disciplines)
    case.refresh_from_db()
    do_give_consent(
        case,
        acting_user=owner,
        kind="transfer_abroad",
        text_version="bench",
        country="CN",
        recipients=[best],
    )
    Case.objects.filter(pk=case.pk).update(status=workflow.UNDER_REVIEW)
    case.refresh_from_db()

    # the engine's pack of the case, stored as the worker stores it, then sent
    built = build_pack(
        engine_case(case),
        lambda document: None,  # the originals as redacted text: no page images here
        pseudonym=case.pseudonym,
        created=timezone.now().isoformat(timespec="seconds"),
        known=KnownIdentity(name=owner.full_name, email=owner.email),
    )
    pack = CasePack(case=case, number=1, case_version=case.version, created_by=coordinator)
    pack.recipient, pack.state = best, CasePack.State.SENT
    pack.manifest = built.manifest
    pack.sha256 = built.sha256
    pack.sent_at = timezone.now()
    pack.save()
    store_files(case, pack, built.files, [])

    hashed = make_password(PASSWORD)
    secrets: dict[str, str] = {}
    seats = []
    for index in range(reviewers):
        email = f"reviewer{index}@hospital.bench.casebridge.test"
        discipline = disciplines[index % len(disciplines)]
        profile = do_invite_reviewer(
            acting_user=coordinator,
            email=email,
            full_name=f"Reviewer {index}",
            direction_id=best,
            disciplines=[discipline],
            link="https://casebridge.test/accounts/password/reset/",
        )
        user = profile.user
        user.password = hashed
        user.save(update_fields=["password"])
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        secrets[email] = secret
        seats.append(Seat(user.pk, discipline, lead=index == 0))
    case.refresh_from_db()
    do_assign_review(
        case,
        acting_user=coordinator,
        expected_version=case.version,
        seats=seats,
        due_date=timezone.localdate() + dt.timedelta(days=14),
    )
    return Review(
        reviewers=secrets,
        direction=best,
        pack_files=len(built.files),
        pack_bytes=sum(len(f.data) for f in built.files),
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument(
        "--users", type=int, default=20, help="reviewers, and people on the patient's side"
    )
    parser.add_argument("--requests", type=int, default=200, help="per person per round, at most")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds per server")
    parser.add_argument("--seconds", type=float, default=30.0, help="each round's time limit")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each side, alternating")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds reading a page")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the data folder and log")
    args = parser.parse_args(argv)
    if args.users < 2:
        parser.error("--users: at least 2")

    tmp = Path(tempfile.mkdtemp(prefix="casebridge-bench-review-"))
    env = bench_environment(tmp / "data", "sqlite", "")
    env["CASEBRIDGE_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"  # quiet
    server = None
    try:
        os.environ.update(env)
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        # a patient and users-1 family members (bench_web gives as many coordinators)
        seeded = seed(args.documents, 2 * args.users - 1, tmp / "records")
        review = seed_review(seeded.pseudonym, args.users)
        print(
            f"case {seeded.pseudonym}: {seeded.documents} documents, {seeded.facts} facts "
            f"(set up in {seeded.seconds:.1f} s); pack sent to {review.direction}: "
            f"{review.pack_files} files, {review.pack_bytes / 1e6:.1f} MB; "
            f"{len(review.reviewers)} reviewers seated ({review.seconds:.1f} s)"
        )
        from django.db import connections

        connections.close_all()

        workspace = ("patient workspace", f"/cases/{seeded.pseudonym}/")
        reviewing = ("review workspace", f"/review/cases/{seeded.pseudonym}/")
        groups: dict[str, list[Person]] = {
            "review": [Person(email, [reviewing]) for email in review.reviewers],
            "patient": [
                Person(email, [workspace])
                for email in [seeded.patient, *seeded.family][: args.users]
            ],
        }
        for index, person in enumerate(groups["review"]):
            person.client = Client(0, f"127.0.0.{10 + index}", review.reviewers[person.email])
        for index, person in enumerate(groups["patient"]):
            person.client = Client(0, source=f"127.0.0.{10 + len(groups['review']) + index}")
        everyone = [p for people in groups.values() for p in people]
        side = Side("after", {})
        results: dict[str, tuple[float, list[tuple[str, float, int]]]] = {
            g: (0.0, []) for g in groups
        }
        cpu: dict[str, tuple[float, float]] = {}
        signed_in = False
        names = list(groups)
        for round_index in range(args.rounds):
            for name in names if round_index % 2 == 0 else names[::-1]:
                people = groups[name]
                port = free_port()
                server = start_server(
                    env, port, tmp / "server.log", side, args.workers, args.threads
                )
                for person in everyone:
                    assert person.client is not None
                    person.client.port, person.client.conn = port, None
                    person.timings = []
                if not signed_in:
                    sign_in_all(everyone)
                    signed_in = True
                    print(
                        f"{len(groups['review'])} reviewers signed in with their second factor, "
                        f"{len(groups['patient'])} people on the patient's side; DEBUG off"
                    )
                if args.warmup > 0:
                    run_load(people, args.requests, args.warmup, 0.0)
                for person in people:
                    person.timings = []
                server_cpu, client_cpu = process_tree_cpu(server.pid), time.process_time()
                wall, timings = run_load(people, args.requests, args.seconds, args.think)
                server_cpu = process_tree_cpu(server.pid) - server_cpu
                client_cpu = time.process_time() - client_cpu
                stop(server)
                server = None
                total, collected = results[name]
                results[name] = (total + wall, collected + timings)
                used = cpu.get(name, (0.0, 0.0))
                cpu[name] = (used[0] + server_cpu, used[1] + client_cpu)
                print(f"round {round_index + 1}, {name}: {len(timings)} requests")
        figures = {}
        for name in names:
            wall, timings = results[name]
            print(f"\n== {name}: {len(groups[name])} people at once, {args.rounds} round(s)")
            figures[name] = report(wall, timings, cpu.get(name, (0.0, 0.0)))
        a, b = figures["review"]["review workspace"], figures["patient"]["patient workspace"]
        print("\n== review workspace / patient workspace (above 1: the review workspace is slower)")
        for key in ("p50", "p95", "max"):
            print(f"{key:<12}x{a[key] / b[key]:.2f}  ({a[key]:.0f} ms / {b[key]:.0f} ms)")
        rps = figures["review"]["all"]["rps"] / figures["patient"]["all"]["rps"]
        print(f"{'requests/s':<12}x{rps:.2f}")
        verdict = "met" if a["p95"] <= TARGET_P95_MS else "NOT met"
        print(
            f"target: review workspace p95 <= {TARGET_P95_MS:.0f} ms with "
            f"{len(groups['review'])} reviewers: {verdict} ({a['p95']:.0f} ms)"
        )
        return 0
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

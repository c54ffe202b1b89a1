"""Queues, staff, the benchmark's API user with its token, and N tickets with one follow-up each,
loaded with COPY in batches of 10,000 (a progress line per batch).

    python manage.py peer_generate [--tickets 100000] [--reset]
"""

import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from helpdesk.models import FollowUp, Queue, Ticket
from rest_framework.authtoken.models import Token

BATCH = 10_000
API_USER = "peer-agent"
SUBJECTS = (
    "Engine warning light after service",
    "Invoice amount differs from the quote",
    "Infotainment screen freezes",
    "Appointment cancelled without notice",
    "Air conditioning smells after repair",
    "Paint damage noticed at delivery",
    "Spare part on back order for weeks",
    "Staff did not call back as promised",
)
TICKET_COLUMNS = (
    "id, title, created, modified, submitter_email, status, on_hold, description, resolution, "
    "priority, due_date, assigned_to_id, queue_id, secret_key"
)
FOLLOWUP_COLUMNS = "date, title, comment, public, ticket_id"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--queues", type=int, default=20)
        parser.add_argument("--staff", type=int, default=50)
        parser.add_argument("--seed", type=int, default=19)
        parser.add_argument("--reset", action="store_true", help="delete every ticket first")
        parser.add_argument(
            "--token-file",
            default=str(Path(settings.BASE_DIR) / "token"),
            help="API token goes here",
        )

    def handle(self, *args, **options):
        token = self._api_user()
        Path(options["token_file"]).write_text(token + "\n")
        self.stdout.write(f"API user '{API_USER}' (staff), token in {options['token_file']}")
        if options["reset"]:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE helpdesk_ticket RESTART IDENTITY CASCADE")
        existing = Ticket.objects.count()
        if existing >= options["tickets"]:
            self.stdout.write(f"{existing:,} tickets already there: nothing to do (--reset)")
            return
        if existing:
            raise SystemExit(f"{existing:,} tickets already there: run with --reset")
        rng = random.Random(options["seed"])
        queues = self._queues(options["queues"])
        staff = self._staff(options["staff"])
        self._tickets(options["tickets"], queues, staff, rng)

    def _api_user(self) -> str:
        users = get_user_model()
        user, _ = users.objects.get_or_create(
            username=API_USER, defaults={"is_staff": True, "email": "agent@peer.example"}
        )
        return str(Token.objects.get_or_create(user=user)[0].key)

    def _queues(self, count: int) -> list[int]:
        for n in range(1, count + 1):
            Queue.objects.get_or_create(
                slug=f"region-{n:02d}", defaults={"title": f"Region {n:02d} complaints"}
            )
        return list(Queue.objects.order_by("id").values_list("id", flat=True))

    def _staff(self, count: int) -> list[int]:
        users = get_user_model()
        have = set(users.objects.filter(username__startswith="staff-").values_list("username"))
        users.objects.bulk_create(
            users(username=name, is_staff=True, email=f"{name}@peer.example", password="!")
            for name in (f"staff-{n:03d}" for n in range(1, count + 1))
            if (name,) not in have
        )
        return list(
            users.objects.filter(username__startswith="staff-").values_list("id", flat=True)
        )

    def _tickets(self, total: int, queues: list[int], staff: list[int], rng: random.Random) -> None:
        started = time.perf_counter()
        now = datetime.now(UTC)
        first = now - timedelta(days=365)
        step = timedelta(days=365) / total  # ids grow with time, as in bench/generate.py
        for start in range(0, total, BATCH):
            ids = range(start + 1, min(start + BATCH, total) + 1)
            tickets, followups = [], []
            for ticket_id in ids:
                created = first + step * ticket_id
                subject = SUBJECTS[ticket_id % len(SUBJECTS)]
                status = rng.choice((1, 1, 1, 2, 3, 3, 4, 4, 4, 5))
                text = f"{subject}. Customer {ticket_id} reported it by phone; " + "details " * 20
                tickets.append(
                    (
                        ticket_id,
                        f"{subject} (#{ticket_id})",
                        created,
                        created + timedelta(hours=rng.randint(0, 240)),
                        f"customer{ticket_id}@mail.example",
                        status,
                        False,
                        text,
                        "Resolved with the customer." if status in (3, 4) else None,
                        rng.randint(1, 5),
                        created + timedelta(days=7) if rng.random() < 0.5 else None,
                        rng.choice(staff) if rng.random() < 0.7 else None,
                        rng.choice(queues),
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    )
                )
                followups.append((created, "Ticket Opened", text, True, ticket_id))
            with transaction.atomic(), connection.cursor() as cursor:
                _copy(cursor, "helpdesk_ticket", TICKET_COLUMNS, tickets)
                _copy(cursor, "helpdesk_followup", FOLLOWUP_COLUMNS, followups)
            done = ids[-1]
            elapsed = time.perf_counter() - started
            rate = done / elapsed
            self.stdout.write(
                f"  {done:>9,}/{total:,} tickets ({100 * done / total:5.1f}%)  "
                f"{rate:8,.0f} tickets/s  ETA {(total - done) / rate:5.0f}s"
            )
        with connection.cursor() as cursor:
            for table in ("helpdesk_ticket", "helpdesk_followup"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(
            f"{Ticket.objects.count():,} tickets, {FollowUp.objects.count():,} follow-ups in "
            f"{time.perf_counter() - started:.1f}s (VACUUM ANALYZE included)"
        )


def _copy(cursor, table: str, columns: str, rows: list[tuple]) -> None:
    # Django's cursor wraps psycopg 3's, whose copy() streams rows in the binary-free text format.
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

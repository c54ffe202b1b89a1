"""One request to the tickets API through Django's test client, as the API user: its status,
page, time and the statements it sent (counted, grouped by shape). Run before the load, as a smoke
test; with PEER_PATCH=0 it shows what the patch removes.

    python manage.py peer_check [--page-size 50] [--requests 2]
"""

import re
import time
from collections import Counter

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from peerbench.management.commands.peer_generate import API_USER


class Statements:
    """A connection.execute_wrapper that counts statements by shape (numbers replaced by N)."""

    def __init__(self) -> None:
        self.shapes: Counter[str] = Counter()

    def __call__(self, execute, sql, params, many, context):
        self.shapes[re.sub(r"\d+", "N", sql)[:90]] += 1
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--page-size", type=int, default=50)
        parser.add_argument("--requests", type=int, default=2, help="the first one is cold")
        parser.add_argument("--show", type=int, default=6, help="statement shapes to list")

    def handle(self, *args, **options):
        key = Token.objects.get(user__username=API_USER).key
        client = Client(HTTP_AUTHORIZATION=f"Token {key}", SERVER_NAME="127.0.0.1")
        url = f"/helpdesk/api/tickets/?page_size={options['page_size']}"
        for n in range(options["requests"]):
            statements = Statements()
            with connection.execute_wrapper(statements):
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"GET {url}: {response.status_code} {response.content[:300]!r}")
            body = response.json()
            self.stdout.write(
                f"{'cold' if n == 0 else 'warm'}: GET {url} -> 200, {len(body['results'])} of "
                f"{body['count']:,} tickets, {len(response.content):,} bytes, "
                f"{statements.shapes.total():,} statements, {elapsed * 1000:,.0f} ms"
            )
        for shape, count in statements.shapes.most_common(options["show"]):
            self.stdout.write(f"{count:>8,} x {shape}")

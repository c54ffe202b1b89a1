"""The outbox's dead letters in GraphQL: notifications whose every delivery attempt failed, listed
for the tenant admin, who can send one or all of them again (both need outbox.manage)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema import cursors
from schema.context import Context, Info
from schema.errors import NotFound, NotPermitted, ValidationError, answer
from schema.ids import key
from schema.parties import User, soon_user
from schema.queries import Cursor, PageSize
from schema.rows import computed, from_row, global_id
from schema.types import PageInfo
from server.db import models
from server.services import dead_letters


@strawberry.type(description="A notification the outbox gave up on: its last attempt failed.")
class OutboxMessage:
    row: strawberry.Private[models.OutboxMessage]
    ctx: strawberry.Private[Context]

    id: strawberry.ID = global_id("OutboxMessage")
    topic: str = from_row("What it is about, e.g. sla.breached.")
    subject: str = from_row("Its subject line.")
    recipient: User | None = computed(
        "Who it was for.", lambda m: soon_user(m.ctx, m.row.recipient_id)
    )
    created_at: datetime = from_row("When it was written, with the change it reports.")
    attempts: int = from_row("How many delivery attempts failed.")
    last_error: str | None = from_row("Why the last attempt failed.")
    dead_at: datetime = from_row("When the outbox gave up on it.")


@strawberry.type(description="A page of dead outbox messages.")
class OutboxMessageConnection:
    nodes: list[OutboxMessage] = strawberry.field(description="The messages, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


@strawberry.type(description="How many dead messages went back to delivery.")
class RetryOutboxMessagesPayload:
    retried: int = strawberry.field(description="How many; each is tried again within a minute.")


@strawberry.input(description="One dead message by id, or all of them; give exactly one.")
class RetryOutboxMessagesInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="The dead message.")
    all: bool = strawberry.field(default=False, description="Every dead message of the tenant.")


DeadOutboxMessagesResult = Annotated[
    OutboxMessageConnection | ValidationError | NotPermitted,
    strawberry.union("DeadOutboxMessagesResult", description="A page of them, or why not."),
]
RetryOutboxMessagesResult = Annotated[
    RetryOutboxMessagesPayload | ValidationError | NotPermitted | NotFound,
    strawberry.union("RetryOutboxMessagesResult", description="How many, or why none."),
]


@strawberry.type
class OutboxQuery:
    @strawberry.field(description="Notifications given up on, newest first: needs outbox.manage.")
    async def dead_outbox_messages(
        self, info: Info, first: PageSize = 20, after: Cursor = None
    ) -> DeadOutboxMessagesResult:
        async def run() -> OutboxMessageConnection:
            position = cursors.decode("outbox", after)
            after_id = position[0] if position else None
            page = await dead_letters.list_dead(info.context.caller, first, after_id)
            nodes = [OutboxMessage(row=m, ctx=info.context) for m in page.messages]
            end = cursors.encode("outbox", page.messages[-1].id) if page.messages else None
            page_info = PageInfo(has_next_page=page.has_next, end_cursor=end)
            return OutboxMessageConnection(nodes=nodes, page_info=page_info)

        return await answer(run, ValidationError, NotPermitted)


@strawberry.type
class OutboxMutation:
    @strawberry.mutation(description="Send one dead notification, or all, again: outbox.manage.")
    async def retry_outbox_messages(
        self,
        info: Info,
        input: Annotated[
            RetryOutboxMessagesInput, strawberry.argument(description="Which messages.")
        ],
    ) -> RetryOutboxMessagesResult:
        async def run() -> RetryOutboxMessagesPayload:
            sent = input.id
            message = key("OutboxMessage", sent) if sent is not None else None
            retried = await dead_letters.retry_dead(info.context.caller, message, input.all)
            return RetryOutboxMessagesPayload(retried=retried)

        return await answer(run, ValidationError, NotPermitted, NotFound, sent_id=input.id or "")

"""The one patch applied to django-helpdesk 2.6.1 for the peer comparison (issue 19).

Stock `helpdesk.views.api.TicketViewSet.get_queryset` ends with

    for ticket in tickets:
        ticket.set_custom_field_values()
    return tickets

which, on the list endpoint, evaluates the whole accessible queryset (every ticket: 100,000 here,
before pagination) and runs, per ticket, `CustomField.objects.all()` plus one
`ticketcustomfieldvalue_set.get(field=...)` per custom field: at least 100,000 queries for a page
of 50. Nobody would run that at this size; comparing against it would say nothing about the
framework. The patch:

- `get_queryset`: the stock filters (the caller's accessible tickets, the `status` parameter)
  without the loop, so the paginator counts and slices in SQL;
- `paginate_queryset`: sets the custom-field values on the page's tickets only, from one query
  for the custom fields and, when there are any, one for the page's values.

The JSON is the same as stock (`custom_<name>` attributes set on every serialized ticket).
Nothing else is changed: the serializer's nested `followup_set` (one query per ticket, and one
per follow-up for its attachments) is left as shipped. PEER_PREFETCH=1 (not part of the issue's
peer; bench/README.md reports it beside) also prefetches those, in two queries a page.
"""

from django.conf import settings
from helpdesk import settings as helpdesk_settings
from helpdesk.models import CustomField, TicketCustomFieldValue
from helpdesk.user import HelpdeskUser
from helpdesk.views.api import TicketViewSet


def get_queryset(self):
    """The stock method (helpdesk/views/api.py, 2.6.1) without its per-ticket loop."""
    tickets = HelpdeskUser(self.request.user).accessible_tickets()
    status = self.request.query_params.get("status", None)
    if status:
        wanted = status.split(",")
        numbers = [c[0] for c in helpdesk_settings.TICKET_STATUS_CHOICES if str(c[0]) in wanted]
        if numbers:
            tickets = tickets.filter(status__in=numbers)
    if settings.PEER_PREFETCH:
        tickets = tickets.prefetch_related("followup_set__followupattachment_set")
    return tickets


def paginate_queryset(self, queryset):
    """The page as stock, then the custom-field values for its tickets in one query."""
    page = super(TicketViewSet, self).paginate_queryset(queryset)
    tickets = page if page is not None else []  # TicketViewSet always paginates
    fields = list(CustomField.objects.all())
    values: dict[tuple[int, int], str | None] = {}
    if fields and tickets:
        rows = TicketCustomFieldValue.objects.filter(ticket__in=tickets, field__in=fields)
        values = {(v.ticket_id, v.field_id): v.value for v in rows}
    for ticket in tickets:
        for field in fields:
            setattr(ticket, f"custom_{field.name}", values.get((ticket.id, field.id)))
    return page


def apply() -> None:
    TicketViewSet.get_queryset = get_queryset
    TicketViewSet.paginate_queryset = paginate_queryset

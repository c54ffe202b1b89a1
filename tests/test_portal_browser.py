"""The reference portal in a real browser (Chromium through Playwright) against `complaintdesk run`
with the demo tenant on PostgreSQL: the issue's scenarios, axe-core on every screen at 1280 px and
390 px (screenshots in test-artifacts/portal/), the first load and bundle size, and that every
request the portal sent is a persisted operation of the contract."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import DB_SUFFIX
from portal_support import (
    AXE,
    DIST,
    MANIFEST,
    SHOTS,
    build_portal,
    bundle_gzip_bytes,
    chromium,
    persisted_ids,
    serve,
    server_env,
)
from support import VIN
from test_make_run import free_port, pg_database

pytestmark = pytest.mark.postgres

HOME_DEALER = "sh-pudong"
WIDTHS = (1280, 390)
FIRST_LOAD_GOAL_S = 1.5
BUNDLE_GOAL_BYTES = 250_000
LIVE_S = 15_000  # ms a live update may take on a busy machine

# Every GraphQL request the recorded pages sent: ("http", body) or ("ws", subscribe payload).
SENT: list[tuple[str, dict[str, Any]]] = []


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chromium()
    build_portal()
    tmp = tmp_path_factory.mktemp("portal")
    database = pg_database(f"complaintdesk_portal_test{DB_SUFFIX}")
    yield from serve(server_env(tmp, database), free_port(), tmp / "server.log")


@pytest.fixture(scope="module")
def browser(portal: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium())
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def tokens(portal: str) -> dict[str, str]:
    users = httpx.get(f"{portal}/demo-users.json").json()
    return {user["role"]: user["token"] for user in users}


def record(page: Any) -> None:
    def http(request: Any) -> None:
        if request.url.endswith("/graphql") and request.method == "POST":
            SENT.append(("http", request.post_data_json))

    def websocket(ws: Any) -> None:
        def frame(payload: str | bytes) -> None:
            message = json.loads(payload)
            if message.get("type") == "subscribe":
                SENT.append(("ws", message["payload"]))

        ws.on("framesent", frame)

    page.on("request", http)
    page.on("websocket", websocket)


def open_page(browser: Any, url: str, role: str | None = None, *, width: int = 1280) -> Any:
    """A new browser context (its own session), signed in through the demo picker as `role`."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    record(page)
    page.goto(f"{url}/sign-in")
    if role is not None:
        page.click(f"button[data-role='{role}']")
        page.wait_for_selector("main#main h1")
    return page


def check_screen(page: Any, name: str) -> None:
    """axe-core finds no serious or critical violation, at each width; a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(100)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                .map(v => ({id: v.id, impact: v.impact,
                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
        )
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not bad, f"{name} at {width} px: {bad}"
    page.set_viewport_size({"width": 1280, "height": 900})


def nav(page: Any, href: str) -> None:
    page.click(f"header nav a[href='{href}']")
    page.wait_for_selector("main#main h1")


def register(page: Any, summary: str, *, flags: tuple[str, ...] = ()) -> str:
    """Registers a complaint for the home dealer through the intake form; its number."""
    nav(page, "/register")
    fill_registration(page, summary, flags=flags)
    page.click("form.register > button[type='submit']")
    return page.locator("#done-h + p a").inner_text(timeout=LIVE_S)


def fill_registration(page: Any, summary: str, *, flags: tuple[str, ...] = ()) -> None:
    page.fill("#phone", "13900002222")
    page.fill("#name", "赵女士")
    dealer = page.locator("#dealer option", has_text=HOME_DEALER).first
    dealer.wait_for(state="attached")
    page.select_option("#dealer", value=dealer.get_attribute("value"))
    page.fill("#vin", VIN)
    for flag in flags:
        page.check(f"#flag-{flag}")
    page.fill("#summary", summary)
    page.fill("#details", "客户原话：销售顾问态度恶劣。")


def act(page: Any, action: str, fill: Callable[[Any], None] = lambda form: None) -> None:
    """Opens an action on the order page, fills its form and submits it; the form closes when the
    change is made (a refusal stays in the form and fails here with its message)."""
    page.click(f"summary[data-action='{action}']")
    details = page.locator(f"details:has(summary[data-action='{action}'])")
    fill(details.locator("form"))
    details.locator("button[type='submit']").click()
    page.wait_for_function(
        "(action) => { const d = document.querySelector("
        "`details:has(summary[data-action=${action}])`);"
        " return !d || !d.open || d.querySelector('[role=alert]'); }",
        arg=action,
        timeout=LIVE_S,
    )
    refused = details.locator("[role='alert']")
    assert refused.count() == 0, f"{action}: {refused.all_inner_texts()}"


def worklists_sent() -> int:
    return sum(1 for kind, body in SENT if kind == "http" and body["operationName"] == "Worklist")


def test_first_load_of_the_worklist_and_the_bundle_size(
    portal: str, browser: Any, tokens: dict[str, str]
) -> None:
    loads = []
    token = json.dumps(tokens["care_specialist"])
    for _ in range(3):  # each a first load: a new context has an empty cache
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(f"sessionStorage.setItem('complaintdesk.token', {token})")
        page = context.new_page()
        record(page)
        started = time.perf_counter()
        page.goto(f"{portal}/")
        page.wait_for_selector("table.orders tbody tr")
        loads.append(time.perf_counter() - started)
        context.close()
    size = bundle_gzip_bytes()
    print(
        f"\nportal first load of the worklist: {', '.join(f'{s * 1000:.0f} ms' for s in loads)}"
        f" (best {min(loads) * 1000:.0f} ms); bundle {size / 1000:.1f} kB gzipped;"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    # The best of three: the machine is shared, and a slow run says more about it than the portal.
    assert min(loads) < FIRST_LOAD_GOAL_S, loads
    assert size < BUNDLE_GOAL_BYTES, size


def test_a_registered_complaint_appears_live_and_the_care_specialist_handles_it(
    portal: str, browser: Any
) -> None:
    sign_in = open_page(browser, portal)
    sign_in.wait_for_selector("button[data-role='operator']")
    check_screen(sign_in, "sign-in")
    care = open_page(browser, portal, "care_specialist")
    care.wait_for_selector("table.orders tbody tr")
    check_screen(care, "worklist")
    # Keyboard: the first Tab reaches the skip link, which moves focus to the main content.
    care.keyboard.press("Tab")
    assert care.evaluate("document.activeElement.className") == "skip"
    care.keyboard.press("Enter")
    assert care.evaluate("document.activeElement.id") == "main"
    care.evaluate("window.notReloaded = true")
    operator = open_page(browser, portal, "operator")
    number = register(operator, "试驾时销售顾问态度恶劣（浏览器测试）")
    check_screen(operator, "registered")

    row = care.locator(f"tr[data-number='{number}']")
    row.wait_for(timeout=LIVE_S)
    assert care.evaluate("window.notReloaded") is True
    row.locator("a").click()
    care.wait_for_selector(f"h1:has-text('{number}')")
    check_screen(care, "order-detail")
    assert "受理" in care.locator("summary[data-action='review']").inner_text()
    # Only what the API permits: a care specialist neither escalates nor assigns.
    assert care.locator("summary[data-action='escalate']").count() == 0
    # The English switch: the portal's words and the profile's labels both change.
    care.click("header button[lang='en']")
    assert care.locator("summary[data-action='review']").inner_text() == "Take up"
    assert care.locator("header nav a[href='/']").inner_text() == "Worklist"
    care.click("header button[lang='zh-CN']")

    act(care, "review")
    care.wait_for_selector("h1 .state-in_progress")
    act(care, "contact", lambda form: form.locator("select").select_option("REACHED"))
    care.wait_for_selector("section[aria-labelledby='contacts-h'] li")
    act(care, "resolve", lambda form: form.locator("textarea").first.fill("已道歉并培训顾问。"))
    care.wait_for_selector("h1 .state-handled", timeout=LIVE_S)
    assert "处理完成" in care.locator("h1 .state").inner_text()
    history = care.locator("ol.timeline").inner_text()
    assert "review" in history and "resolve" in history


def test_a_repeat_call_raises_a_warning_slip_the_se_sees_on_the_board(
    portal: str, browser: Any
) -> None:
    se = open_page(browser, portal, "se")
    nav(se, "/escalations")
    se.wait_for_selector("dd[data-counter='open']")
    operator = open_page(browser, portal, "operator")
    number = register(operator, "客户再次来电：无人联系（浏览器测试）")
    operator.click("#done-h + p a")
    operator.wait_for_selector(f"h1:has-text('{number}')")

    def call(form: Any) -> None:
        form.locator("textarea").fill("客户第二次来电，称没有人联系过他。")
        form.locator("input[value='nobody_contacted']").check()

    act(operator, "call", call)
    se.locator(f"li.card[data-number='{number}'] .slip").wait_for(timeout=LIVE_S)
    check_screen(se, "escalations")
    operator.wait_for_selector(".slip")


def test_a_field_error_is_shown_next_to_its_field_and_nothing_is_registered(
    portal: str, browser: Any
) -> None:
    operator = open_page(browser, portal, "operator")
    nav(operator, "/register")
    fill_registration(operator, "   ")
    operator.click("form.register > button[type='submit']")
    error = operator.locator("#summary-error")
    error.wait_for(timeout=LIVE_S)
    assert operator.get_attribute("#summary", "aria-describedby") == "summary-error"
    assert operator.locator("#done-h").count() == 0
    check_screen(operator, "register-field-error")


def test_a_dealer_user_cannot_open_another_dealers_order_by_url(
    portal: str, browser: Any, tokens: dict[str, str]
) -> None:
    ids = {name: id_ for id_, name in persisted_ids().items()}
    page = httpx.post(
        f"{portal}/graphql",
        json={
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": ids["Worklist"]}},
            "variables": {"first": 50},
        },
        headers={"Authorization": f"Bearer {tokens['se']}"},
    ).json()["data"]["workOrders"]["edges"]
    foreign = next(e["node"] for e in page if HOME_DEALER not in e["node"]["dealer"]["name"])
    care = open_page(browser, portal, "care_specialist")
    care.goto(f"{portal}/orders/{foreign['id']}")
    care.wait_for_selector("h1#nf")
    assert foreign["number"] not in care.content()
    check_screen(care, "not-found")


def test_bad_input_expired_token_server_down_unknown_operation(portal: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(
        "if (!sessionStorage.getItem('seen')) {"
        " sessionStorage.setItem('seen', '1');"
        " sessionStorage.setItem('complaintdesk.token', 'expired.or.revoked'); }"
    )
    page = context.new_page()
    page.goto(f"{portal}/")
    page.wait_for_selector("p.error:has-text('登录已过期')")
    assert page.url.endswith("/sign-in")

    operator = open_page(browser, portal, "operator")
    nav(operator, "/register")
    fill_registration(operator, "服务器断开期间填写（浏览器测试）")
    operator.route("**/graphql", lambda route: route.abort("connectionrefused"))
    operator.click("form.register > button[type='submit']")
    operator.wait_for_selector(".banner")
    assert operator.input_value("#summary") == "服务器断开期间填写（浏览器测试）"
    operator.unroute("**/graphql")
    operator.wait_for_selector("#done-h", timeout=LIVE_S)
    assert operator.locator(".banner").count() == 0

    stale = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    stale.goto(f"{portal}/sign-in")
    stale.click("button[data-role='care_specialist']")

    def unknown_hash(route: Any) -> None:
        body = route.request.post_data_json
        if body.get("operationName") == "Worklist":
            body["extensions"]["persistedQuery"]["sha256Hash"] = "0" * 64
        route.continue_(post_data=json.dumps(body))

    stale.route("**/graphql", unknown_hash)
    stale.goto(f"{portal}/")
    alert = stale.locator("main [role='alert']")
    alert.wait_for(timeout=LIVE_S)
    assert "Worklist" in alert.inner_text() and "持久化" in alert.inner_text()


def test_a_dropped_subscription_reconnects_and_refetches(portal: str, browser: Any) -> None:
    care = open_page(browser, portal)
    sockets: list[Any] = []

    def relay(ws: Any) -> None:
        ws.connect_to_server()
        sockets.append(ws)

    care.route_web_socket(re.compile(r".*/graphql$"), relay)
    care.click("button[data-role='care_specialist']")
    care.wait_for_selector("table.orders tbody tr")
    deadline = time.monotonic() + 10
    while not sockets and time.monotonic() < deadline:
        care.wait_for_timeout(100)
    lists = worklists_sent()
    sockets[0].close(code=1012, reason="service restart")  # 1012: graphql-ws retries it
    deadline = time.monotonic() + 15
    while len(sockets) < 2 and time.monotonic() < deadline:
        care.wait_for_timeout(100)
    assert len(sockets) == 2, "graphql-ws did not reconnect"
    # The refetch follows the reconnect's acknowledgement: seconds on a busy machine.
    deadline = time.monotonic() + LIVE_S / 1000
    while worklists_sent() <= lists and time.monotonic() < deadline:
        care.wait_for_timeout(100)
    assert worklists_sent() > lists, "nothing was refetched after the reconnect"
    operator = open_page(browser, portal, "operator")
    number = register(operator, "重连后的新工单（浏览器测试）")
    care.locator(f"tr[data-number='{number}']").wait_for(timeout=LIVE_S)


def test_a_subscription_lost_before_its_first_acknowledgement_refetches(
    portal: str, browser: Any
) -> None:
    """Events between the first load and the first acknowledged socket are missed too."""
    care = open_page(browser, portal)
    sockets: list[Any] = []
    refusing = [True]  # until the first load is on screen, so its refetch cannot hide in it

    def refuse_until_released(ws: Any) -> None:
        sockets.append(ws)
        if refusing[0]:
            ws.close(code=1012, reason="service restart")
            return
        server = ws.connect_to_server()
        # Only the acknowledgement and pings pass: an order event would refetch the page as well.
        server.on_message(lambda m: None if '"next"' in str(m) else ws.send(m))

    care.route_web_socket(re.compile(r".*/graphql$"), refuse_until_released)
    care.click("button[data-role='care_specialist']")
    care.wait_for_selector("table.orders tbody tr")
    lists = worklists_sent()
    refusing[0] = False
    deadline = time.monotonic() + 2 * LIVE_S / 1000  # the retry wait doubles while refused
    while worklists_sent() <= lists and time.monotonic() < deadline:
        care.wait_for_timeout(100)
    assert len(sockets) >= 2, "graphql-ws did not retry the refused socket"
    assert worklists_sent() > lists, "nothing was refetched after the first acknowledgement"


def test_every_request_the_portal_sent_is_a_persisted_operation(portal: str) -> None:
    """Runs last: the network log of every recorded page above, and the built bundle."""
    known = persisted_ids()
    bodies = {op["id"]: op["body"] for op in json.loads(MANIFEST.read_text())["operations"]}
    assert {kind for kind, _ in SENT} == {"http", "ws"}, SENT[:3]
    for kind, body in SENT:
        sent_hash = body["extensions"]["persistedQuery"]["sha256Hash"]
        assert sent_hash in known, body
        if kind == "http":
            assert "query" not in body or body["query"] is None, body
        else:
            assert body["query"] == bodies[sent_hash], body
    bundle = "".join(p.read_text() for p in DIST.rglob("*.js"))
    shipped = set(re.findall(r"\b[0-9a-f]{64}\b", bundle))
    assert shipped and shipped <= set(known), shipped - set(known)

"""The playground (SPEC §7) in a real browser: Debian's Chromium driven by playwright, headless, against
`segql serve`'s app on 127.0.0.1. Each step is an analyst's: type a segment with a typo and see the
diagnostic and its hint; accept a completion; run and see the right count; switch dialect and see the
SQL change; save, reload, see it listed; a read-only key sees no save button. A screenshot of each state
goes to the folder printed at the start (SEGQL_ARTIFACTS, default test-artifacts/playground).
The page's own logic has unit tests in tests/js (run here with node's test runner)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import segql
from conftest import EXAMPLES, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("SEGQL_REQUIRE_BROWSER") == "1"


def test_page_logic_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        if REQUIRED:
            pytest.fail("node is required for the playground's JS unit tests (SEGQL_REQUIRE_BROWSER=1)")
        pytest.skip("node is not installed: the playground's JS unit tests need it")
    proc = subprocess.run([node, "--test", str(ROOT / "tests" / "js")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# fail 0" in proc.stdout


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("chromium is required (SEGQL_REQUIRE_BROWSER=1): apt-get install chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    p = playwright.sync_playwright().start()
    b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
    yield b
    b.close()
    p.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from segql.ops.service.app import create_app
    from segql.ops.store.keys import KeyStore

    url = f"sqlite:///{tmp_path_factory.mktemp('playground') / 'store.db'}"
    segments = segql.open_store(url, schema=str(EXAMPLES / "schema.yml"))
    keys = KeyStore.open(url)
    rw, _ = keys.create("org_play", ["read:segments", "write:segments"])
    ro, _ = keys.create("org_play", ["read:segments"])
    keys.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(segments), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the service did not start"
    yield {"url": f"http://127.0.0.1:{port}/", "rw": rw, "ro": ro}
    srv.should_exit = True
    thread.join(timeout=10)
    segments.close()


@pytest.fixture(scope="module")
def shots():
    folder = Path(os.environ.get("SEGQL_ARTIFACTS") or ROOT / "test-artifacts") / "playground"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nplayground screenshots: {folder}")
    return folder


def expected_count(text):
    schema = segql.load_schema(EXAMPLES / "schema.yml")
    engine = segql.connect(None, schema=schema)
    from segql.ops.run import attach_sources, count_members

    attach_sources(engine, schema)
    try:
        return count_members(segql.to_ir(text, schema, on="contacts"), schema, engine)
    finally:
        engine.close()


def non_member(text):
    """The smallest key of a contact that is not a member of `text`, and the conditions that fail for it
    (what `segql why` says, computed here without the service)."""
    from segql import api
    from segql.ops.run import attach_sources
    from segql.ops.why import why

    schema = segql.load_schema(EXAMPLES / "schema.yml")
    engine = segql.connect(None, schema=schema)
    attach_sources(engine, schema)
    try:
        loaded = api.load_segments([f"segment s on contacts where {text}"], schema)[0]
        for (key,) in engine.execute('SELECT "id" FROM "contacts" ORDER BY "id"'):
            result = why(loaded.segment, loaded.definition, schema, engine, key)
            if not result["member"]:
                leaves = [c for c in result["tree"]["children"] if c["kind"] == "condition" and not c["value"]]
                return key, [c["condition"] for c in leaves]
    finally:
        engine.close()
    raise AssertionError("every contact is a member")


def set_editor(page, text):
    """Clear the editor, then type `text` as a person does (completion pops up as it goes)."""
    page.eval_on_selector(".CodeMirror", "e => { e.CodeMirror.closeHint && e.CodeMirror.closeHint(); "
                          "e.CodeMirror.setValue(''); e.CodeMirror.focus(); }")
    page.keyboard.type(text, delay=5)
    # CodeMirror reads typed input on its own schedule: wait until all of it is in, then close a completion
    # list left open by the last word (pressing Escape before the last input is read let it open again)
    page.wait_for_function("t => document.querySelector('.CodeMirror').CodeMirror.getValue() === t", arg=text)
    page.keyboard.press("Escape")


def open_with_key(browser, server, key, *, width=1280, height=860):
    page = browser.new_page(viewport={"width": width, "height": height})
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(server["url"]) else None)
    page.goto(server["url"])
    page.fill("#api-key", key)
    page.click("#key-form button")
    page.wait_for_selector("#whoami:has-text('org_play')")
    page.external_requests = external
    return page


def test_an_analyst_goes_from_a_typo_to_a_saved_segment(browser, server, shots):
    page = open_with_key(browser, server, server["rw"])
    # a typo: the diagnostic under the span, with its code and hint
    set_editor(page, 'contry = "USA"')
    diag = page.wait_for_selector(".diag[data-code='E0301']:has-text(\"'contry'\")")
    assert 'did you mean "country"?' in diag.inner_text()
    page.wait_for_selector(".CodeMirror-lint-mark-error")
    page.screenshot(path=str(shots / "1-typo-diagnostic.png"), full_page=True)

    # completion: a relationship's names, accepted with Enter
    set_editor(page, 'country = "USA" and organization.in')
    page.keyboard.type("d")
    page.wait_for_selector(".CodeMirror-hints li:has-text('industry')")
    page.screenshot(path=str(shots / "2-completion.png"), full_page=True)
    page.keyboard.press("Enter")
    assert "organization.industry" in page.eval_on_selector(".CodeMirror", "e => e.CodeMirror.getValue()")

    # run: the right count (computed independently by segql on the same data)
    text = 'country = "USA" and lifetime_value >= 100'
    set_editor(page, text)
    page.wait_for_selector("#diagnostics .ok")
    page.keyboard.press("Control+Enter")
    want = expected_count(text)
    page.wait_for_selector(f"#count:has-text('{want} member')")
    assert page.locator("#members tbody tr").count() == min(want, 100)
    page.screenshot(path=str(shots / "3-run.png"), full_page=True)

    # why (not): click a member's key, see the tree with the root ✓; type a non-member's key, see the root ✗
    # and the condition that failed marked (the expected tree computed by segql on the same data)
    first = page.locator("#members tbody tr td:first-child button").first
    member_key = first.inner_text()
    first.click()
    page.wait_for_selector(f"#why-head:has-text('key {member_key}: a member ✓')")
    root = page.locator("#why-tree li").first
    assert root.get_attribute("data-value") == "true" and root.locator(".mark").inner_text() == "✓"
    assert page.locator("#why-tree li").count() == 3  # and, with its two conditions
    assert page.locator("#why-tree li.fail").count() == 0
    outsider, failing = non_member(text)
    page.fill("#why-key", str(outsider))
    page.press("#why-key", "Enter")
    page.wait_for_selector(f"#why-head:has-text('key {outsider}: not a member ✗')")
    root = page.locator("#why-tree li").first
    assert root.get_attribute("data-value") == "false" and root.locator(".mark").inner_text() == "✗"
    marked = [page.locator("#why-tree li.fail.leaf code").nth(i).inner_text()
              for i in range(page.locator("#why-tree li.fail.leaf").count())]
    assert marked == failing and marked
    page.screenshot(path=str(shots / "3b-why-not.png"), full_page=True)

    # explain: the funnel as bars
    page.click("#tab-explain")
    assert page.locator("#funnel li").count() >= 3
    page.screenshot(path=str(shots / "4-explain.png"), full_page=True)

    # SQL changes with the dialect
    page.click("#tab-sql")
    page.wait_for_function("document.getElementById('sql').textContent.length > 0")
    duck = page.inner_text("#sql")
    page.select_option("#dialect", "bigquery")
    page.wait_for_function("(before) => document.getElementById('sql').textContent !== before", arg=duck)
    assert "`" in page.inner_text("#sql") and "`" not in duck
    page.screenshot(path=str(shots / "5-sql-bigquery.png"), full_page=True)

    # save, reload, see it listed
    page.fill("#name", "US high value")
    page.click("#save")
    page.wait_for_selector("#save-status:has-text('saved us-high-value')")
    page.reload()
    page.wait_for_selector("#whoami:has-text('org_play')")  # the key survived in sessionStorage
    page.wait_for_selector("#saved option:has-text('US high value')", state="attached")
    assert page.locator("#saved option:has-text('US high value')").count() == 1
    assert server["rw"] not in page.url
    page.screenshot(path=str(shots / "6-saved-after-reload.png"), full_page=True)

    # size over time of a saved segment: a chart from its refresh history
    headers = {"Authorization": f"Bearer {server['rw']}"}
    import httpx

    for _ in range(2):
        httpx.post(server["url"] + "v1/segments/us-high-value/refresh", headers=headers).raise_for_status()
    other = httpx.post(server["url"] + "v1/segments", headers=headers,
                       json={"name": "VIP", "criteria": "is_vip", "object_type": "contacts"})
    other.raise_for_status()
    page.reload()
    page.wait_for_selector("#saved option:has-text('US high value')", state="attached")
    seg_id = page.eval_on_selector("#saved", "s => [...s.options].find(o => o.text.startsWith('US high')).value")
    page.select_option("#saved", seg_id)
    page.click("#tab-history")
    page.wait_for_selector("#history-chart svg polyline", state="attached")
    assert page.locator("#history-table tbody tr").count() == 3  # created (1) + two refreshes
    page.screenshot(path=str(shots / "7-size-over-time.png"), full_page=True)

    # overlap of saved segments as a heat map
    page.click("#tab-overlap")
    page.click("#overlap-run")
    page.wait_for_selector("#overlap tbody tr")
    cells = page.locator("#overlap tbody td")
    assert cells.count() == 4
    diagonal = int(cells.nth(0).inner_text())
    assert diagonal == want and cells.nth(0).evaluate("td => td.style.background") != ""
    page.screenshot(path=str(shots / "8-overlap.png"), full_page=True)
    assert page.external_requests == []  # nothing from the internet


def test_read_only_keys_see_no_save_button_and_the_page_fits_a_phone(browser, server, shots):
    page = open_with_key(browser, server, server["ro"], width=390, height=844)
    page.wait_for_selector("#diagnostics .ok")
    page.wait_for_function("document.getElementById('sql').textContent.length > 0")
    assert page.is_hidden("#save") and page.is_hidden("#delete")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(shots / "9-read-only-phone.png"), full_page=True)


def test_keyboard_and_labels(browser, server):
    page = open_with_key(browser, server, server["rw"])
    for control in ("api-key", "entity", "form", "saved", "name", "dialect", "columns", "why-key"):
        assert page.locator(f"label[for='{control}']").count() == 1, control
    page.focus("#tab-sql")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-run", "aria-selected") == "true"
    assert page.is_visible("#panel-run") and page.is_hidden("#panel-sql")

"""The built book as a reader sees it: a clean build, working links, and every page in Chromium.

Builds the book with warnings as errors, checks every internal link and anchor in the HTML, then
serves _build/html on 127.0.0.1 and opens each page of _toc.yml in headless Chromium. The book must
work offline: any request that leaves 127.0.0.1 fails the test. One full-page screenshot per page
goes to _build/screenshots/.
"""

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import browser_checks
import pytest
from conftest import ROOT, toc_documents

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
HTML_DIR = ROOT / "_build" / "html"
SHOTS_DIR = ROOT / "_build" / "screenshots"
PAGES = toc_documents()


# ---------------------------------------------------------------- build


def _jupyter_book() -> str:
    beside = Path(sys.executable).with_name("jupyter-book")
    found = str(beside) if beside.exists() else shutil.which("jupyter-book")
    if found is None:
        pytest.fail(
            "jupyter-book is not installed in this environment: run `make venv`"
        )
    return found


@pytest.fixture(scope="module")
def built_book() -> Path:
    # Start from no HTML (stale pages of removed chapters would be link-checked too), and use
    # --all: an incremental build would stay silent about warnings in pages it does not re-read.
    shutil.rmtree(HTML_DIR, ignore_errors=True)
    shutil.rmtree(SHOTS_DIR, ignore_errors=True)
    cmd = [
        _jupyter_book(),
        "build",
        "--all",
        "--warningiserror",
        "--nitpick",
        "--keep-going",
        "book",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or "WARNING" in log:
        pytest.fail(
            f"`{' '.join(cmd[1:])}` failed (exit {proc.returncode}):\n{log[-6000:]}"
        )
    return HTML_DIR


def test_build_writes_every_page(built_book):
    missing = [doc for doc in PAGES if not (built_book / f"{doc}.html").is_file()]
    assert (built_book / "index.html").is_file()
    assert not missing, f"pages of _toc.yml missing from {built_book}: {missing}"


# ---------------------------------------------------------------- links in the HTML

# Attributes whose URL the browser fetches by itself when the page loads.
_AUTOLOAD = {
    ("script", "src"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
}


class _Links(HTMLParser):
    """Collects the ids of one page, the URLs it links to, and those it loads by itself."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.autoload: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            url = attrs.get(key)
            if not url:
                continue
            self.links.append(url)
            rel = (attrs.get("rel") or "").split()
            if (tag, key) in _AUTOLOAD or (
                tag == "link" and not {"canonical", "alternate"} & set(rel)
            ):
                self.autoload.append(url)


@functools.cache
def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def _broken(page: Path, url: str) -> str | None:
    """Why a local link from `page` does not resolve, or None when it does."""
    path, fragment = urldefrag(url)
    path = unquote(urlsplit(path).path)
    target = page if not path else (page.parent / path).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return "no such file"
    if (
        fragment
        and target.suffix == ".html"
        and unquote(fragment) not in _parse(target).ids
    ):
        return f"no anchor #{fragment} in {target.relative_to(HTML_DIR)}"
    return None


def _html_pages(built: Path) -> list[Path]:
    # _static holds the theme's Jinja templates as .html files; they are not pages.
    return sorted(
        p for p in built.rglob("*.html") if "_static" not in p.relative_to(built).parts
    )


def test_internal_links_resolve(built_book):
    broken = []
    for page in _html_pages(built_book):
        for url in _parse(page).links:
            if url.startswith(("mailto:", "javascript:", "data:")) or not _is_local(
                url
            ):
                continue
            why = _broken(page, url)
            if why:
                broken.append(f"{page.relative_to(built_book)}: {url} ({why})")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_pages_load_nothing_from_the_internet(built_book):
    remote = []
    for page in _html_pages(built_book):
        remote += [
            f"{page.relative_to(built_book)}: {url}"
            for url in _parse(page).autoload
            if not _is_local(url) and not url.startswith("data:")
        ]
    assert not remote, (
        "the book must work offline, but these pages load:\n" + "\n".join(remote)
    )


# ---------------------------------------------------------------- in Chromium


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Chromium with `apt-get install chromium`"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright's Python package is missing: run `make venv`")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _Visit:
    """One page opened in a fresh context, with its console errors and off-machine requests."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                m.type == "error"
                and self.errors.append(
                    f"console: {m.text} ({m.location.get('url', '')})"
                )
            ),
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.route("**/*", self._only_local)
        self.page.goto(url, wait_until="load")

    def _only_local(self, route):
        if urlsplit(route.request.url).hostname in ("127.0.0.1", None):
            route.continue_()
        else:
            self.remote.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, site):
    opened = []

    def open_page(doc: str) -> _Visit:
        opened.append(_Visit(browser, f"{site}/{doc}.html"))
        return opened[-1]

    yield open_page
    for v in opened:
        v.close()


def _unloaded_images(page) -> list[str]:
    # Some themes lazy-load images; make them all load before judging them.
    return page.evaluate("""async () => {
        const imgs = Array.from(document.images);
        imgs.forEach(img => { img.loading = "eager"; });
        await Promise.all(imgs.map(img => img.decode().catch(() => null)));
        return imgs.filter(img => !(img.complete && img.naturalWidth > 0))
                   .map(img => (img.currentSrc || img.src || "(no src)").slice(0, 120));
    }""")


def _typeset_math(page) -> tuple[int, int, list[str]]:
    """(math elements in the page, MathJax containers, MathJax's error messages) once it is done."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    n_math = page.locator(".math").count()
    if n_math:
        try:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                timeout=20_000,
            )
            page.evaluate("() => MathJax.startup.promise")
        except PlaywrightTimeout:
            return n_math, 0, []  # MathJax never started: reported as nothing rendered
    errors = page.locator("mjx-merror").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-mjx-error') || n.textContent)"
    )
    return n_math, page.locator("mjx-container").count(), errors


@pytest.mark.parametrize("doc", PAGES)
def test_page_in_chromium(visit, doc):
    v = visit(doc)
    page = v.page
    n_math, n_rendered, tex_errors = _typeset_math(page)
    unloaded = _unloaded_images(page)
    n_images = page.locator("img").count()
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS_DIR / f"{Path(doc).name}.png"), full_page=True)

    problems = [f"requested off-machine: {url}" for url in v.remote]
    problems += [f"JavaScript error: {e}" for e in v.errors]
    problems += [f"image did not load: {src}" for src in unloaded]
    if doc.startswith("notebooks/") and n_images == 0:
        problems.append("a chapter without a single figure")
    if n_rendered < n_math:
        problems.append(f"MathJax rendered {n_rendered} of {n_math} equations")
    problems += [f"TeX error: {message}" for message in tex_errors]
    problems += _navigation_problems(page, doc)
    assert not problems, f"{doc}:\n" + "\n".join(problems)


def _navigation_problems(page, doc) -> list[str]:
    """The next/previous links follow _toc.yml's order and open pages that exist."""
    problems = []
    here = PAGES.index(doc)
    for css, step in (("a.left-prev", -1), ("a.right-next", +1)):
        link = page.locator(css)
        want = PAGES[here + step] if 0 <= here + step < len(PAGES) else None
        if want is None:
            if link.count():
                problems.append(f"unexpected {css} link")
            continue
        if link.count() != 1:
            problems.append(f"no {css} link to {want}")
            continue
        target = urljoin(page.url, urldefrag(link.get_attribute("href"))[0])
        if urlsplit(target).path != f"/{want}.html":
            problems.append(f"{css} points to {target}, expected {want}")
        elif not page.request.get(target).ok:
            problems.append(f"{css} link {target} does not answer")
    return problems


@pytest.mark.parametrize("doc", PAGES)
def test_nothing_scrolls_sideways_and_every_image_is_described(visit, doc):
    page = visit(doc).page
    _typeset_math(page)  # equations change width once typeset
    problems = [
        f"{width} px: {item}"
        for width in browser_checks.WIDTHS
        for item in browser_checks.overflowing(page, width)
    ]
    problems += [
        f"no alt text: {img}" for img in browser_checks.images_without_alt(page)
    ]
    assert not problems, f"{doc}:\n" + "\n".join(problems)


def test_one_search_box_per_page(visit):
    page = visit(PAGES[0]).page
    boxes = page.locator(".search-button-field:visible, .bd-search:visible")
    assert boxes.count() + page.locator("button.search-button:visible").count() == 1


def test_citations_link_to_the_bibliography(built_book):
    references = built_book / "references.html"
    assert references.is_file(), "no references page: add book/references.md to _toc"
    text = references.read_text(encoding="utf-8")
    cited = [
        url
        for page in _html_pages(built_book)
        for url in _parse(page).links
        if url.split("#")[0].endswith("references.html") and "#" in url
    ]
    assert cited, "no chapter cites the bibliography"
    for author in ("Hochreiter", "Goodfellow", "Heusel", "White", "CS324"):
        assert author in text, f"{author} is missing from the bibliography"


def test_math_appears_somewhere(built_book):
    n = sum(
        page.read_text(encoding="utf-8").count('class="math')
        for page in _html_pages(built_book)
    )
    assert n > 0, "no page of the book contains an equation; MathJax cannot be checked"


# ---------------------------------------------------------------- the live models, from file://


@pytest.fixture
def from_file(browser, built_book):
    """Open a built page from file://, as a reader opens _build/html; refuse any other request."""
    opened = []

    def open_page(doc: str):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.remote, page.errors = [], []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.route(
            "**/*",
            lambda r: (
                r.continue_()
                if r.request.url.startswith(("file:", "data:"))
                else (page.remote.append(r.request.url), r.abort())
            ),
        )
        page.goto((built_book / f"{doc}.html").as_uri(), wait_until="load")
        opened.append(context)
        return page

    yield open_page
    for context in opened:
        context.close()


def _pixels(canvas) -> str:
    return canvas.evaluate("c => c.toDataURL()")


def test_generator_in_the_page_follows_its_controls(from_file):
    page = from_file("notebooks/04_interpolation")
    root = page.locator('[data-dlbook-live="gan"]')
    assert root.locator("select[name=from]").count() == 1, (
        "no live generator on the page"
    )
    strip, big = root.locator("canvas.dlbook-strip"), root.locator("canvas.dlbook-big")
    position = root.locator("input[name=position]")
    assert position.get_attribute("max") == "8", "the default view is not 9 images"
    before = _pixels(strip)
    root.locator("select[name=from]").select_option("1")
    root.locator("select[name=to]").select_option("7")
    assert _pixels(strip) != before, "choosing 1 -> 7 did not redraw the strip"
    assert "from a 1 to a 7" in root.locator(".dlbook-status").inner_text()
    for control, value in (("path", "linear"), ("steps", "3")):
        before = _pixels(strip)
        field = root.locator(f"[name={control}]")
        if control == "path":
            field.select_option(value)
        else:
            field.fill(value)
            field.dispatch_event("change")
        assert _pixels(strip) != before, f"changing {control} did not redraw the strip"
    assert position.get_attribute("max") == "4"
    before = _pixels(big)
    position.focus()
    page.keyboard.press("End")
    assert _pixels(big) != before, "moving along the path did not change the digit"
    before = _pixels(big)
    root.locator("button[name=random]").click()
    assert _pixels(big) != before, "no random digit was drawn"
    assert not page.remote and not page.errors, (page.remote, page.errors)


def test_lstm_in_the_page_reads_typed_digits(from_file):
    page = from_file("notebooks/02_palindromes")
    root = page.locator('[data-dlbook-live="lstm"]')
    digits = root.locator("input[name=digits]")
    assert digits.count() == 1, "no live LSTM on the page"
    status, bars, heat = (
        root.locator(".dlbook-status"),
        root.locator("canvas.dlbook-bars"),
        root.locator("canvas.dlbook-heat"),
    )
    before = (status.inner_text(), _pixels(bars), _pixels(heat))
    palindrome = "3141592653356295141"  # the first 19 of 20 digits; the 20th is 3
    digits.fill(palindrome)
    assert "predicts that the next one is 3" in status.inner_text()
    assert before[1:] != (_pixels(bars), _pixels(heat)), "typing did not redraw"
    before = _pixels(heat)
    root.locator("select[name=show]").select_option("f")
    assert _pixels(heat) != before, "the gate picture is the cell's"
    root.locator("button[name=random]").click()
    assert digits.input_value() != palindrome and len(digits.input_value()) == 19
    assert not page.remote and not page.errors, (page.remote, page.errors)

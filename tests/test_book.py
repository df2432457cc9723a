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
SLIDER_PAGE = "notebooks/04_interpolation"


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
    ids = _parse(references).ids
    cited = [
        url
        for page in _html_pages(built_book)
        for url in _parse(page).links
        if url.startswith("../references.html#") or url.startswith("references.html#")
    ]
    assert cited, "no chapter cites the bibliography"
    for key in ("hochreiter1997long", "goodfellow2014generative", "cs324reports"):
        assert any(key in i for i in ids), f"{key} is missing from the bibliography"


def test_math_appears_somewhere(built_book):
    n = sum(
        page.read_text(encoding="utf-8").count('class="math')
        for page in _html_pages(built_book)
    )
    assert n > 0, "no page of the book contains an equation; MathJax cannot be checked"


def test_interpolation_sliders_change_the_frame(visit):
    if SLIDER_PAGE not in PAGES:
        pytest.fail(f"{SLIDER_PAGE} is not listed in _toc.yml")
    page = visit(SLIDER_PAGE).page
    sliders = page.locator("input[type=range]")
    assert sliders.count() >= 1, "chapter 04 has no static slider (input[type=range])"
    for k in range(sliders.count()):
        slider = sliders.nth(k)
        # matplotlib's to_jshtml pairs _anim_slider<id> with the image _anim_img<id>.
        slider_id = slider.get_attribute("id") or ""
        assert slider_id.startswith("_anim_slider"), (
            f"slider {k} is not a to_jshtml animation slider"
        )
        frame = page.locator(f"#{slider_id.replace('_anim_slider', '_anim_img')}")
        assert frame.count() == 1, f"slider {k} has no animation image next to it"
        before_value, before_src = slider.input_value(), frame.get_attribute("src")
        slider.scroll_into_view_if_needed()
        slider.focus()
        page.keyboard.press("End")  # what a reader's keyboard does to a focused slider
        assert slider.input_value() != before_value, f"slider {k} did not move"
        assert frame.get_attribute("src") != before_src, (
            f"moving slider {k} did not change the frame"
        )
    # The theme's bundled Font Awesome turns the buttons' <i class="fa ..."> into SVG icons.
    icon = page.locator(".anim-buttons button[title='Play'] svg").first
    assert icon.count() == 1 and icon.bounding_box()["width"] > 0, (
        "the Play button shows no icon"
    )
    sliders.first.scroll_into_view_if_needed()
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS_DIR / "04_interpolation_slider.png"))

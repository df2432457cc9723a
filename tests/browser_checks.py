"""What a reader sees on a built page, measured in Chromium: sideways scrolling and images' alt text.

Used by tests/test_book.py, and by hand while writing a chapter:

    python tests/browser_checks.py _build/html/notebooks/02_palindromes.html

prints every element that scrolls sideways at the book's widths and every image without alt text.
"""

from __future__ import annotations

import sys
from pathlib import Path

WIDTHS = (1400, 1024)  # the book's default window, and a small laptop's
CHROMIUM = "/usr/bin/chromium"

# Elements of the article that scroll sideways (their content is wider than their box) or that
# stick out of the article's column. A page's own sideways scroll is checked separately.
OVERFLOW_JS = """
() => {
  const article = document.querySelector("article") || document.body;
  const right = article.getBoundingClientRect().right + 1;
  const found = [];
  const name = (e) => {
    const text = (e.innerText || e.getAttribute("alt") || "").trim().split("\\n")[0];
    return `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} "${text.slice(0, 60)}"`;
  };
  for (const e of article.querySelectorAll("pre, table, img, svg, div.math, mjx-container[display=true], iframe, .cell_output > div")) {
    if (!e.offsetParent) continue;  // hidden, e.g. inside a closed toggle
    const box = e.getBoundingClientRect();
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
      found.push(`${name(e)} scrolls: ${e.scrollWidth} px of content in ${e.clientWidth} px`);
    } else if (box.width > 0 && box.right > right) {
      found.push(`${name(e)} sticks out of the column by ${Math.round(box.right - right)} px`);
    }
  }
  const page = document.scrollingElement;
  if (page.scrollWidth > page.clientWidth + 1) {
    found.push(`the page scrolls sideways: ${page.scrollWidth} px in ${page.clientWidth} px`);
  }
  return found;
}
"""

# Images a screen reader cannot describe: no alt, or an alt that is only a file name.
ALT_JS = """
() => [...document.querySelectorAll("article img")]
  .filter((img) => {
    const alt = (img.getAttribute("alt") || "").trim();
    return alt.length < 12 || /\\.(png|svg|jpe?g|gif)$/i.test(alt) || alt.startsWith("../");
  })
  .map((img) => `${img.getAttribute("src")} (alt=${JSON.stringify(img.getAttribute("alt"))})`)
"""


def overflowing(page, width: int) -> list[str]:
    """Elements of the loaded ``page`` that scroll sideways at a window ``width`` px wide."""
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(300)  # let the theme re-lay-out the page
    return page.evaluate(OVERFLOW_JS)


def images_without_alt(page) -> list[str]:
    """Images of the loaded ``page`` whose alt text does not describe them."""
    return page.evaluate(ALT_JS)


def report(files: list[str]) -> int:
    """Open each HTML file in headless Chromium; print what scrolls and what lacks alt text."""
    from playwright.sync_api import sync_playwright

    problems = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        for file in files:
            page.goto(Path(file).resolve().as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(1500)  # MathJax typesets after load
            found = [f"{w} px: {item}" for w in WIDTHS for item in overflowing(page, w)]
            found += [f"no alt text: {item}" for item in images_without_alt(page)]
            print(f"{file}: {len(found)} problem(s)")
            for item in found:
                print(f"  {item}")
            problems += len(found)
        browser.close()
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/browser_checks.py PAGE.html [PAGE.html ...]")
    sys.exit(report(sys.argv[1:]))

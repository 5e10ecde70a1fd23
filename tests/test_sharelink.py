"""The share link (issue 15, item 9): shown whole with a visible copy button, and a QR code of exactly that link.

segno cannot decode a QR code, so the QR tests check what it is made from: segno is called with the link and
nothing else, the PNG's black and white modules are the QR matrix of the link (read back with Pillow), and the
SVG is segno's drawing of that matrix. What a browser shows (not cut, button visible without hover, QR drawn)
is in tests/browser/test_e2e_share.py.
"""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
import segno
from PIL import Image

from ssnn_app import sharelink

from .apptools import HOME, TRAIN, app

LINK = ("http://192.168.100.200:8501/Train?digits=0-1&n1=300&lr=0.5&iters=5000&seed=561&dtype=float64"
        "&scaling=seed&lock=n1,lr,iters,seed&hide=advanced,share,upload&pages=home,lesson,data,train&present=1&lang=zh")


@pytest.fixture(autouse=True)
def _fresh_qr_cache():
    sharelink.qr_svg.cache_clear()
    sharelink.qr_png.cache_clear()
    yield
    sharelink.qr_svg.cache_clear()
    sharelink.qr_png.cache_clear()


class _Parts(HTMLParser):
    """The text of the element with class ssnn-share-link, the buttons' texts, and the root's data-link."""

    def __init__(self):
        super().__init__()
        self.link_text, self.buttons, self.data_link, self._in = "", [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-link" in attrs:
            self.data_link = attrs["data-link"]
        if attrs.get("class") == "ssnn-share-link":
            self._in = "link"
        elif tag == "button":
            self._in = "button"
            self.buttons.append("")

    def handle_endtag(self, tag):
        if tag in ("div", "button"):
            self._in = None

    def handle_data(self, data):
        if self._in == "link":
            self.link_text += data
        elif self._in == "button":
            self.buttons[-1] += data


def parts(body: str) -> _Parts:
    p = _Parts()
    p.feed(re.sub(r"<script>.*?</script>|<style>.*?</style>", "", body, flags=re.S))
    return p


# ------------------------------------------------------------------ the QR code is made from exactly the link


def test_the_qr_code_is_made_from_exactly_the_link(monkeypatch):
    seen = []
    real = segno.make

    def spy(content, *args, **kwargs):
        seen.append(content)
        return real(content, *args, **kwargs)

    monkeypatch.setattr(sharelink.segno, "make", spy)
    sharelink.qr_svg(LINK)
    sharelink.qr_png(LINK)
    assert seen == [LINK, LINK]           # the whole link, every character, nothing added or cut


def test_the_png_shows_the_qr_matrix_of_the_link():
    qr = segno.make(LINK, error=sharelink.QR_ERROR, micro=False)
    img = np.asarray(Image.open(io.BytesIO(sharelink.qr_png(LINK))).convert("L"))
    size = qr.symbol_size(scale=1, border=sharelink.QR_BORDER)[0]
    assert img.shape[0] == img.shape[1] and img.shape[0] % size == 0
    scale = img.shape[0] // size
    centres = img[scale // 2::scale, scale // 2::scale]                    # one pixel per module
    b = sharelink.QR_BORDER
    assert (centres[:b] == 255).all() and (centres[-b:] == 255).all()    # the white quiet zone
    drawn = centres[b:-b, b:-b] < 128
    assert np.array_equal(drawn, np.array(qr.matrix, dtype=bool))
    cut = segno.make(LINK.split("&dtype")[0] + "&dtype", error=sharelink.QR_ERROR, micro=False)   # as it was cut
    assert not np.array_equal(np.array(cut.matrix, dtype=bool), drawn)


def test_the_svg_is_segnos_drawing_of_the_link_black_on_white():
    svg = sharelink.qr_svg(LINK)
    qr = segno.make(LINK, error=sharelink.QR_ERROR, micro=False)
    assert svg == qr.svg_inline(scale=sharelink.QR_SCALE, border=sharelink.QR_BORDER, dark="#000", light="#fff")
    assert svg.startswith("<svg") and 'fill="#fff"' in svg        # a white background: readable in a dark theme
    assert svg != sharelink.qr_svg(LINK[:-1])
    assert sharelink.qr_code(LINK).version <= 15 and not sharelink.qr_code(LINK).is_micro


# ------------------------------------------------------------------ the link is shown whole, with a copy button


def test_the_link_is_shown_whole_and_wrapped_beside_a_copy_button():
    body = sharelink.link_html(LINK, "t")
    p = parts(body)
    assert p.link_text == LINK                     # every character, no ellipsis
    assert html.unescape(p.data_link) == LINK      # what the button copies
    assert p.buttons == ["Copy link"]
    assert "overflow-wrap: anywhere" in body and "word-break: break-all" in body   # long links wrap, never cut


def test_a_hostile_link_cannot_break_out_of_the_html_or_the_script():
    link = 'http://x/?a="><script>alert(1)</script>&b=</script><img src=x onerror=alert(2)>'
    body = sharelink.link_html(link, 'k"</script>')
    assert body.count("<script>") == 1 and body.count("</script>") == 1
    assert "<img" not in body
    p = parts(body)
    assert p.link_text == link and html.unescape(p.data_link) == link


def test_each_place_gets_its_own_element_id():
    ids = {re.search(r'id="([^"]+)"', sharelink.link_html(LINK, key)).group(1) for key in ("home_link", "train_share")}
    assert len(ids) == 2


# ------------------------------------------------------------------ the two pages that show a share link


def _shown_links(at) -> list[str]:
    return [html.unescape(parts(str(h.proto.body)).data_link) for h in at.get("html")
            if "ssnnShareLink" in str(h.proto.body)]


@pytest.mark.usefixtures("app_synthetic")
def test_train_shows_the_whole_share_link_with_a_button_and_no_code_block():
    at = app(TRAIN)
    links = _shown_links(at)
    assert len(links) == 1 and "n1=" in links[0] and "&dtype=" in links[0] and links[0].endswith("lang=en")
    assert not [c for c in at.code if "n1=" in c.value]            # not the one-line block that was cut
    assert any(e.label.startswith("QR code") for e in at.expander)
    assert [b for b in at.get("download_button") if "QR code" in str(b.proto.label)]


@pytest.mark.usefixtures("app_synthetic")
def test_the_teachers_link_builder_shows_the_whole_link_with_its_flags():
    at = app(HOME)
    at.multiselect(key="w_link_lock").set_value(["n1", "lr"]).run()
    at.toggle(key="w_link_present").set_value(True).run()
    links = _shown_links(at)
    assert len(links) == 1 and "lock=n1,lr" in links[0] and "present=1" in links[0]
    assert not [c for c in at.code if "n1=" in c.value]

"""A share link as a reader can use it: the whole link (wrapped, never cut), a copy button that is always
visible, and a QR code of exactly that link for a projector.

Why not `st.code`: it draws one unwrapped line that a narrow popover cuts ("...&dtype"), and its copy button
appears only on hover (never on a touch screen) and copies through `navigator.clipboard`, which a browser
offers only on https or localhost, not on a classroom server at http://192.168.x.y. The button here tries
`navigator.clipboard` and falls back to `document.execCommand("copy")`; the link stays selectable text (one
tap or click selects all of it) in case both fail.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import json

import segno
import streamlit as st

from .i18n import _

QR_ERROR = "m"          # medium error correction (15 %): survives a projector's glare; segno boosts it if room
QR_SCALE = 6            # CSS px per module: a 200-character link (version 9, 53 modules + border) is ~360 px
QR_BORDER = 4           # the quiet zone the QR standard asks for, in modules


def qr_code(link: str) -> segno.QRCode:
    """The QR code of exactly `link` (a regular QR code, never a Micro QR: phones' cameras read those badly)."""
    return segno.make(link, error=QR_ERROR, micro=False)


@functools.lru_cache(maxsize=64)       # ~25 ms each: a page that reruns while training draws them once
def qr_svg(link: str) -> str:
    """The QR code of `link` as inline SVG markup, black on white (readable in a dark theme too)."""
    return qr_code(link).svg_inline(scale=QR_SCALE, border=QR_BORDER, dark="#000", light="#fff")


@functools.lru_cache(maxsize=64)
def qr_png(link: str) -> bytes:
    """The QR code of `link` as a PNG file (for slides), black on white."""
    out = io.BytesIO()
    qr_code(link).save(out, kind="png", scale=10, border=QR_BORDER, dark="#000", light="#fff")
    return out.getvalue()


_CSS = """<style>
.ssnn-share { display: flex; align-items: flex-start; gap: 0.5rem; width: 100%; }
.ssnn-share-link { flex: 1 1 auto; min-width: 0; margin: 0; padding: 0.5rem 0.75rem; border-radius: 0.5rem;
  background: rgba(128, 128, 128, 0.12); font-family: "Source Code Pro", ui-monospace, monospace;
  font-size: 0.8rem; line-height: 1.4; white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-all;
  user-select: all; -webkit-user-select: all; }
.ssnn-share-copy { flex: 0 0 auto; padding: 0.4rem 0.75rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid rgba(128, 128, 128, 0.55); background: transparent; color: inherit; font: inherit;
  font-size: 0.9rem; white-space: nowrap; }
.ssnn-share-copy:hover { border-color: #ff4b4b; color: #ff4b4b; }
</style>"""

# Runs once per drawing of the element: the button copies the link shown beside it.
_JS = """<script>
(() => {
  const root = document.getElementById(%(id)s);
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const button = root.querySelector("button"), text = root.dataset.link;
  const say = (label) => { button.textContent = label; setTimeout(() => { button.textContent = %(copy)s; }, 2500); };
  button.addEventListener("click", async () => {
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); ok = true; }
    } catch (e) { ok = false; }
    if (!ok) {
      const area = document.createElement("textarea");
      area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
      document.body.appendChild(area); area.select();
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.remove();
    }
    say(ok ? %(copied)s : %(failed)s);
  });
})();
</script>"""


def _js_string(text: str) -> str:
    """A JavaScript string literal of `text` that cannot end the <script> it sits in."""
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def link_html(link: str, key: str) -> str:
    """The link (whole, wrapped) and its copy button, as HTML with the script that makes the button copy."""
    element_id = "ssnn-share-" + hashlib.sha1(key.encode()).hexdigest()[:12]
    copy, tip = _("Copy link"), _("Copy the link to the clipboard")
    body = (f'{_CSS}<div class="ssnn-share" id="{element_id}" data-testid="ssnnShareLink" '
            f'data-link="{html.escape(link, quote=True)}">'
            f'<div class="ssnn-share-link">{html.escape(link)}</div>'
            f'<button type="button" class="ssnn-share-copy" title="{html.escape(tip)}">'
            f'{html.escape(copy)}</button></div>')
    return body + _JS % {"id": _js_string(element_id), "copy": _js_string(copy), "copied": _js_string(_("Copied")),
                         "failed": _js_string(_("Select the link and copy it"))}


def share_ui(link: str, key: str) -> None:
    """Show `link` whole with a visible copy button, and its QR code in an expander below. key: unique per place."""
    with st.container(key=f"share_{key}"):
        st.html(link_html(link, key), unsafe_allow_javascript=True)
        with st.expander(_("QR code of this link (for a projector)"), icon=":material/qr_code_2:"):
            st.image(qr_svg(link), width="content")
            st.download_button(_("Download the QR code (PNG)"), qr_png(link), "ssnn-link-qr.png", "image/png",
                               key=f"{key}_qr_png", on_click="ignore", icon=":material/download:")

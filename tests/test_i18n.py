"""The dashboard in two languages: the catalogue is complete, a session's language is chosen and kept as
users expect, and every page in Chinese shows no English sentence (names, numbers and symbols aside)."""

from __future__ import annotations

import html
import json
import re

import pytest
from google.protobuf.json_format import MessageToDict

from ssnn_app import catalog, i18n, words
from ssnn_core import ConfigError, DataError, Hyper
from tests.apptools import LESSON, PAGES, TRAIN, app, goto, texts, trained

# ---------------------------------------------------------------- the catalogue


def test_every_marked_string_has_a_chinese_translation_with_the_same_placeholders():
    problems = catalog.problems("zh")
    assert not problems, f"{len(problems)} catalogue problems (python -m ssnn_app.catalog update, then " \
                         f"translate):\n" + "\n".join(problems[:40])


def test_the_catalogue_is_extracted_from_every_part_of_the_app():
    files = {loc[0].split("/")[0] for m in catalog.extract() for loc in m.locations}
    assert {"pages", "ssnn_app", "ssnn_core"} <= files
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog.extract()}
    assert {"Home", "Train", "Class board"} <= ids          # navigation titles
    assert any("{lo}" in i for i in ids)                      # ssnn_core's error templates


def test_placeholders_are_named_fields_of_str_format():
    assert catalog.placeholders("{n:,} of {total} and {{literal}}") == {"n", "total"}
    assert catalog.placeholders("%{x} at %{y:.3g}") == set()   # Plotly's own, filled in the browser


# ---------------------------------------------------------------- the lookup


def test_english_is_the_source_and_chinese_comes_from_the_catalogue():
    assert i18n._("Train") == "Train"
    with i18n.use("zh"):
        assert i18n._("Train") == "训练"
        assert i18n.lang() == "zh"
        assert i18n._("a string no one marked") == "a string no one marked"
    assert i18n.lang() == "en"


def test_counted_messages_have_one_form_in_chinese():
    with i18n.use("zh"):
        one, many = (i18n.ngettext("{n:,} number", "{n:,} numbers", n).format(n=n) for n in (1, 1234))
    assert (one, many) == ("1 个数", "1,234 个数")
    assert i18n.ngettext("{n:,} number", "{n:,} numbers", 1).format(n=1) == "1 number"
    assert i18n.ngettext("{n:,} number", "{n:,} numbers", 1234).format(n=1234) == "1,234 numbers"


def test_core_errors_keep_english_for_the_command_line_and_translate_on_the_dashboard():
    with pytest.raises(ConfigError) as caught:
        Hyper(hidden=0)
    english = str(caught.value)
    assert i18n.error_text(caught.value) == english
    with i18n.use("zh"):
        chinese = i18n.error_text(caught.value)
    assert chinese != english and re.search(r"[\u4e00-\u9fff]", chinese)
    assert "0" in chinese                                   # the value the user gave is still there
    assert i18n.error_text(ValueError("plain")) == "plain"  # not one of ours: as it is
    assert str(DataError("no {what} here", what="file")) == "no file here"


def test_a_translation_with_a_broken_placeholder_falls_back_to_english(monkeypatch):
    broken = type("T", (), {"gettext": lambda self, m: "坏的 {nope}"})()
    monkeypatch.setattr(i18n, "translations", lambda lang: broken)
    exc = DataError("no {what} here", what="file")
    with i18n.use("zh"):
        assert i18n.error_text(exc) == "no file here"


@pytest.mark.parametrize("raw, lang", [("zh", "zh"), ("zh-CN", "zh"), ("zh_Hans", "zh"), ("ZH-tw", "zh"),
                                       ("en-GB", "en"), ("en", "en"), ("fr", None), ("", None), (None, None),
                                       ("../../etc", None)])
def test_language_from_a_url_value_or_a_browser_locale(raw, lang):
    assert i18n.parse(raw) == lang


def test_digits_read_without_english_articles_in_chinese():
    assert (words.a(8), words.a(1)) == ("an 8", "a 1")
    with i18n.use("zh"):
        assert (words.a(8), words.a(1), words.article(8)) == ("8", "1", "")


# ---------------------------------------------------------------- a session's language

@pytest.mark.usefixtures("app_synthetic")
def test_lang_in_the_url_sets_the_language_and_it_stays_across_pages():
    at = app(lang="zh")
    assert at.session_state["lang"] == "zh"
    assert "首页" in at.title[0].value or re.search(r"[\u4e00-\u9fff]", at.title[0].value)
    goto(at, TRAIN)
    assert at.session_state["lang"] == "zh" and at.query_params["lang"] == "zh"
    assert re.search(r"[\u4e00-\u9fff]", at.title[0].value)


@pytest.mark.usefixtures("app_synthetic")
def test_the_sidebar_switch_changes_the_language_and_the_url():
    at = app()
    assert at.session_state["lang"] == "en" and not re.search(r"[\u4e00-\u9fff]", at.title[0].value)
    at.button_group(key=i18n.SWITCH_KEY).set_value("zh").run()
    assert at.session_state["lang"] == "zh" and at.query_params["lang"] == "zh"
    assert re.search(r"[\u4e00-\u9fff]", at.title[0].value)


@pytest.mark.usefixtures("app_synthetic")
def test_a_bad_lang_is_ignored_with_one_line():
    at = app(lang="klingon")
    assert at.session_state["lang"] == "en"
    assert [w.value for w in at.warning if "lang=" in w.value] == [
        "URL parameter lang='klingon' ignored: use lang=en or lang=zh"]


@pytest.mark.usefixtures("app_synthetic")
def test_shared_links_carry_the_language():
    at = app(TRAIN, lang="zh")
    links = [html.unescape(m) for h in at.get("html") for m in re.findall(r'data-link="([^"]*)"', str(h.proto.body))]
    assert links and all("lang=zh" in link for link in links)


# ---------------------------------------------------------------- no English left on a Chinese page

NAMES = {  # words that stay as they are in Chinese: names, symbols, units, formats
    "ssnn", "mnist", "relu", "numpy", "keras", "plotly", "pytorch", "tensorflow", "playground", "streamlit",
    "sigmoid", "logistic", "scikit", "learn", "float32", "float64", "idx", "npz", "png", "jpeg", "jpg", "csv", "zip",
    "lr", "std", "log", "ln", "exp", "max", "min", "argmax", "sum", "id", "url", "li", "et", "al", "pca", "qr",
    "seed", "safe", "e-9", "l2", "x", "y", "z", "b", "w", "a", "m", "t", "of",
}
TEXT_FIELDS = {"label", "help", "body", "text", "options", "placeholder", "caption", "title", "name", "delta",
               "default", "formattedValue", "rawValues"}
LATEX_CMD = re.compile(r"\\[A-Za-z]+")
NOISE = re.compile(r"`[^`]*`|https?://\S+|<[^>]+>|%\{[^}]*\}|\{[^}]*\}|\$[^$]*\$|\b[A-Za-z]\w*\d\w*\b|"
                   r"\b[A-Z][A-Z0-9]+\b")
SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?:[ \-][A-Za-z]{2,})+\b")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _figure_strings(spec: dict):
    layout = spec.get("layout", {})
    for trace in spec.get("data", []):
        for key in ("name", "hovertemplate", "text", "texttemplate"):
            if isinstance(trace.get(key), str):
                yield trace[key]
        title = (trace.get("colorbar") or {}).get("title") or (trace.get("marker", {}).get("colorbar") or {}
                                                               ).get("title")
        yield from _strings(title)
    for key, value in layout.items():
        if key == "title" or key.startswith(("xaxis", "yaxis")) or key in ("annotations", "updatemenus",
                                                                          "sliders", "legend"):
            yield from _strings(value)


def _page_strings(at):
    """Every text a user reads on the page: element labels, bodies, options, help, figure texts."""
    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            kind = getattr(node, "type", "")
            if kind == "plotly_chart":
                yield from _figure_strings(json.loads(proto.spec))
            elif kind not in ("code", "html", "json", "exception"):
                data = MessageToDict(proto)
                for key, value in data.items():
                    if key in TEXT_FIELDS:
                        yield from _strings(value)
                    elif isinstance(value, dict):          # a block's own proto (expander label, tab)
                        for k, v in value.items():
                            if k in TEXT_FIELDS:
                                yield from _strings(v)
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    for root in at._tree.children.values():
        yield from walk(root)


def english_sentences(strings) -> list[str]:
    found = []
    for text in strings:
        if not re.search(r"[A-Za-z]{2}", text):
            continue
        plain = NOISE.sub(" ", LATEX_CMD.sub(" ", text))
        for run in SENTENCE.findall(plain):
            words_ = [w for w in re.split(r"[ \-]", run) if w.lower() not in NAMES]
            if len(words_) >= 2:
                found.append(f"{run!r} in {text[:90]!r}")
    return found


def test_the_english_detector_finds_sentences_and_passes_names():
    assert english_sentences(["训练 500 次迭代后，测试错误率 0.09%"]) == []
    assert english_sentences(["使用 ReLU 与 sigmoid，数据来自 MNIST (mnist.npz)，`ssnn train`"]) == []
    assert english_sentences(["$z_1 = W_1 x + b_1$", "\\mathrm{relu}(z)", "%{x} · %{y:.3g}", "n1 = 10, lr 0.5"]) == []
    assert english_sentences(["训练 the network 吧"]) and english_sentences(["Test error"])


@pytest.mark.usefixtures("app_synthetic")
@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_chinese_shows_no_english_sentence(page):
    at = app(page, lang="zh")
    found = english_sentences(_page_strings(at))
    assert not found, f"{len(found)} English texts on {page} in Chinese:\n" + "\n".join(found[:30])


@pytest.mark.slow
@pytest.mark.usefixtures("app_synthetic")
@pytest.mark.parametrize("page", [p for p in PAGES if p != LESSON] + [LESSON])
def test_every_page_in_chinese_with_a_trained_model_shows_no_english_sentence(page):
    at = trained(iterations=30)
    at.button_group(key=i18n.SWITCH_KEY).set_value("zh").run()
    goto(at, page)
    assert at.session_state["lang"] == "zh"
    found = english_sentences(_page_strings(at))
    assert not found, f"{len(found)} English texts on {page} in Chinese:\n" + "\n".join(found[:30])
    assert re.search(r"[\u4e00-\u9fff]", texts(at))


@pytest.mark.slow
@pytest.mark.usefixtures("app_synthetic")
def test_a_diverged_run_is_explained_in_chinese():
    at = trained(learning_rate=10, iterations=100)
    english = [e.value for e in [*at.error, *at.warning] if "diverged" in e.value]
    assert english, texts(at)
    at.button_group(key=i18n.SWITCH_KEY).set_value("zh").run()
    chinese = [e.value for e in [*at.error, *at.warning] if "学习率" in e.value]
    assert chinese and not english_sentences(chinese), [e.value for e in [*at.error, *at.warning]]

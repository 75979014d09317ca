"""What a real browser shows: headless Chromium opens the pages animate(), draw() and explain() make, steps with the
keyboard and through the address (#step=N), and reads the gradients shown, checked against Python's. Also: the
inline view of an executed notebook exported to HTML is interactive. Without Chromium these skip (see chromium.py)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor, animate, draw, explain
from autograd.tools.graph import fmt

from chromium import Browser, find_chromium
from lessons import lesson, long_chain

REPO = Path(__file__).resolve().parents[2]
SHOWN = ("JSON.stringify(Object.fromEntries([...document.querySelectorAll('g.node[data-name]')]"
         ".filter(g => g.querySelector('text.cr-g'))"
         ".map(g => [g.dataset.name, g.querySelector('text.cr-g').textContent])))")


@pytest.fixture(scope="module")
def browser():
    chrome = Browser(find_chromium())
    yield chrome
    chrome.close()


def shown(browser) -> dict:
    return json.loads(browser.js(SHOWN))


def expected_after(view, k: int) -> dict:
    """The gradient texts after step k, from the steps' numbers as Python computed them."""
    grads = {}
    for step in view.steps[:k + 1]:
        if step.phase == "backward" and step.target is not None:
            grads[step.target] = f"grad {fmt(step.grad)}"
    return grads


def test_the_saved_page_opens_at_the_step_in_its_address(browser, tmp_path):
    L, v = lesson()
    view = animate(L)
    url = Path(view.save_html(tmp_path / "lesson.html")).as_uri()
    last = len(view) - 1
    for k in range(len(view)):
        browser.open(f"{url}#step={k}")
        assert browser.js("document.querySelector('.cr-counter').textContent") == f"step {k} of {last}"
        assert browser.js("document.querySelector('.cr-text').textContent") == view.steps[k].text
        got = shown(browser)
        want = expected_after(view, k)
        assert {n: t for n, t in got.items() if t != "grad ?"} == want, k
    browser.open(f"{url}#step=last")
    L.backward()  # the real thing: what the page shows at the end is what backward() leaves in .grad
    assert shown(browser) == {n: f"grad {fmt(x.grad)}" for n, x in {**v, "L": L}.items()}
    assert browser.js("location.hash") == f"#step={last}"


def test_the_keyboard_steps_and_the_address_follows(browser, tmp_path):
    L, _ = lesson()
    view = animate(L)
    browser.open(Path(view.save_html(tmp_path / "keys.html")).as_uri())
    counter = "document.querySelector('.cr-counter').textContent"
    assert browser.js(counter) == "step 0 of 11"
    assert set(shown(browser).values()) == {"grad ?"}
    data = browser.js("JSON.stringify([...document.querySelectorAll('g.node[data-name] text.cr-d')]"
                      ".map(t => t.textContent))")
    assert sorted(json.loads(data)) == sorted(["data 2.0", "data -3.0", "data 10.0", "data -2.0"] + ["data ?"] * 3)
    for _ in range(10):
        browser.key("ArrowRight")
    assert browser.js(counter) == "step 10 of 11" and browser.js("location.hash") == "#step=10"
    assert shown(browser)["b"] == "grad -4.0"
    browser.key("ArrowLeft")
    assert shown(browser)["b"] == "grad ?" and shown(browser)["a"] == "grad 6.0"
    browser.key("End")
    assert browser.js(counter) == "step 11 of 11"
    browser.key("Home")
    assert browser.js(counter) == "step 0 of 11"
    browser.js("location.hash = '#step=9'")  # a link within the page
    browser.settle()
    assert browser.js(counter) == "step 9 of 11" and shown(browser)["a"] == "grad 6.0"
    # the rule of Mul for its input a, typeset, with the number of this use put in
    assert browser.js("document.querySelector('.cr-math math').textContent") == "\u2202(a\u22c5b)\u2202a=b=(\u22123.0)"
    assert browser.js("document.querySelector('.cr-math mfrac').getBoundingClientRect().height") > 15


def test_a_tensor_box_shows_summary_numbers_and_a_heatmap_on_hover(browser, tmp_path):
    w = Tensor(np.arange(-3.0, 3.0).reshape(2, 3), requires_grad=True)
    w.name = "w"
    loss = (w * w).sum()
    view = animate(loss)
    browser.open(Path(view.save_html(tmp_path / "tensor.html")).as_uri() + "#step=last")
    browser.js("document.querySelector('g.node[data-name=\"w\"]').dispatchEvent(new MouseEvent('mouseenter'))")
    info = browser.js("document.querySelector('.cr-info').innerText")
    assert "min -3.0, mean -0.5, max 2.0, norm 4.359" in info  # the data: sqrt(19) = 4.359
    assert "min -6.0, mean -1.0, max 4.0, norm 8.718" in info  # its gradient 2w
    assert browser.js("document.querySelectorAll('.cr-info canvas').length") == 2
    loss.backward()
    assert shown(browser)["w"] == f"|grad| {fmt(np.linalg.norm(w.grad.numpy()))}"


def test_a_wide_drawing_fits_the_column_and_zooms(browser, tmp_path):
    page = tmp_path / "wide.html"
    page.write_text(f'<!DOCTYPE html><html><body><div style="width:600px">{draw(long_chain())._repr_html_()}</div>'
                    "</body></html>")
    browser.open(page.as_uri())
    width = "document.querySelector('.cr-zoom svg').getBoundingClientRect().width"
    assert 0 < browser.js(width) <= 600  # scaled down to the column, not cut off
    assert browser.js("document.querySelector('.cr-zoom svg').getBoundingClientRect().height") > 20
    assert browser.js("document.querySelector('.cr-zoom svg').getAttribute('aria-label')").startswith(
        "Computation graph of out: ")
    browser.js("document.querySelector('[data-zoom=in]').click()")
    assert browser.js(width) > 700
    browser.js("document.querySelector('[data-zoom=fit]').click()")
    assert browser.js(width) <= 600


def test_explain_formulas_are_typeset_offline_as_mathml(browser, tmp_path):
    L, _ = lesson()
    page = tmp_path / "explain.html"
    page.write_text(f"<!DOCTYPE html><html><body>{explain(L)._repr_html_()}</body></html>", encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.js("document.querySelectorAll('math').length") == 6
    assert browser.js("Math.min(...[...document.querySelectorAll('math mfrac')].map(m => "
                      "m.getBoundingClientRect().height))") > 15  # a fraction, stacked: the browser typeset it
    assert "\\frac" not in browser.js("document.body.innerText")


def test_the_inline_view_of_an_executed_notebook_exported_to_html_is_interactive(browser, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code) for code in (
        "import autograd as ag\nfrom autograd import Value",
        "a, b = Value(2.0, label='a'), Value(-3.0, label='b')\nL = a * b + a\nL.label = 'L'\nag.animate(L)",
        "ag.draw(L)")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    body, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    page = tmp_path / "exported.html"
    page.write_text(body, encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.js("document.querySelector('.cr-anim').dataset.ready") == "1"  # its inline script ran
    assert browser.js("document.querySelector('.cr-zoom[data-zoom-ready]') !== null")
    counter = "document.querySelector('.cr-anim .cr-counter').textContent"
    assert browser.js(counter) == "step 0 of 8"
    browser.js("document.querySelector('.cr-anim').focus()")
    browser.key("End")
    assert browser.js(counter) == "step 8 of 8"
    assert shown(browser) == {"a": "grad -2.0", "b": "grad 2.0", "mul1": "grad 1.0", "L": "grad 1.0"}  # b + 1, a
    for _ in range(3):
        browser.key("ArrowLeft")
    assert browser.js(counter) == "step 5 of 8"
    assert shown(browser)["a"] == "grad 1.0" and shown(browser)["b"] == "grad ?"  # a: one of its two contributions
    assert browser.js("document.querySelectorAll('.cr-zoom').length") == 2  # the view's drawing and draw()'s

// Zoom and pan for a drawing in a notebook or a page (chainrule). A drawing first fits the column; the buttons (or
// Ctrl + wheel) zoom, dragging pans, "fit" goes back. Without JavaScript the drawing still fits the column.
"use strict";

// The view with this id next to the running script (a notebook output may not be in the document yet), else anywhere.
window.chainruleFind = function (id, script) {
  var near = script && script.parentNode ? script.parentNode.querySelector("#" + id) : null;
  return near || document.getElementById(id);
};

window.chainruleZoom = function (box) {
  if (!box || box.dataset.zoomReady) return;
  box.dataset.zoomReady = "1";
  var scroll = box.querySelector(".cr-scroll");
  var svg = scroll.querySelector("svg");
  var label = box.querySelector(".cr-scale");
  var natural = svg.viewBox.baseVal.width * 4 / 3;  // the drawing's own width in CSS pixels (1 pt = 4/3 px)
  var scale = 0;  // 0: fit the column

  function show() {
    svg.style.width = scale ? natural * scale + "px" : "100%";
    svg.style.maxWidth = scale ? "none" : natural + "px";
    label.textContent = scale ? Math.round(scale * 100) + "%" : "fit";
  }
  function zoom(factor, x, y) {  // keep the point (x, y) of the scroll area under the pointer
    var before = svg.getBoundingClientRect().width || natural;
    var left = scroll.scrollLeft + (x || 0), top = scroll.scrollTop + (y || 0);
    scale = Math.min(8, Math.max(0.05, (before / natural) * factor));
    show();
    var ratio = (svg.getBoundingClientRect().width || natural) / before;
    scroll.scrollLeft = left * ratio - (x || 0);
    scroll.scrollTop = top * ratio - (y || 0);
  }
  box.querySelector(".cr-tools").hidden = false;
  box.querySelector("[data-zoom=in]").onclick = function () { zoom(1.25); };
  box.querySelector("[data-zoom=out]").onclick = function () { zoom(0.8); };
  box.querySelector("[data-zoom=fit]").onclick = function () { scale = 0; show(); };
  scroll.addEventListener("wheel", function (e) {
    if (!e.ctrlKey && !e.metaKey) return;  // a plain wheel scrolls the page as usual
    e.preventDefault();
    var r = scroll.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.1 : 1 / 1.1, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  var drag = null;
  scroll.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, left: scroll.scrollLeft, top: scroll.scrollTop, moved: false };
  });
  scroll.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;  // a click on a node is not a drag
    drag.moved = true;
    scroll.classList.add("cr-dragging");
    scroll.scrollLeft = drag.left - dx;
    scroll.scrollTop = drag.top - dy;
  });
  function stop() { drag = null; scroll.classList.remove("cr-dragging"); }
  scroll.addEventListener("pointerup", stop);
  scroll.addEventListener("pointerleave", stop);
  show();
};

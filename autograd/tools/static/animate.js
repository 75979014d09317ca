// The interactive backprop view (chainrule's animate()). The steps come as JSON in the page; each one reveals boxes
// (forward), sets the texts of values and gradients, marks the boxes and edge it is about, labels the edge with the
// gradient sent along it, and says in words (and a formula) what happens. Step k is replayed from step 0, so any
// step can be shown directly: the slider, the keys, and the page address (#step=12, #step=last) all use that.

window.chainruleAnimate = function (root) {
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var data = JSON.parse(root.querySelector("script.cr-data").textContent);
  var steps = data.steps, last = steps.length - 1, current = 0, timer = null, pinned = null, hovered = null;
  var onPage = root.dataset.page === "1";  // a saved page: keys work anywhere, and the address follows the step
  var svg = root.querySelector("svg");
  var MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow>';
  var boxes = {}, texts = {}, edges = {}, labels = {};

  svg.querySelectorAll("g.node").forEach(function (g) {
    var id = g.getAttribute("data-id");
    if (!(id in data.nodes)) return;  // legend samples stay as they are
    boxes[id] = g;
    texts[id] = { d: g.querySelector("text.cr-d"), g: g.querySelector("text.cr-g") };
    g.addEventListener("mouseenter", function () { hovered = id; describe(); });
    g.addEventListener("mouseleave", function () { hovered = null; describe(); });
    g.addEventListener("click", function () { pinned = pinned === id ? null : id; describe(); });
  });
  Object.keys(data.edges).forEach(function (id) {
    var g = svg.querySelector('g.edge[id="' + id + '"]');
    if (g) edges[id] = g;
  });

  // --- the state after step k: replayed from the start ---------------------------------------------------------
  function stateAt(k) {
    var s = { shown: {}, d: {}, g: {}, l: {}, info: {}, done: {} };
    Object.keys(data.init).forEach(function (id) { s.d[id] = data.init[id][0]; s.g[id] = data.init[id][1]; });
    for (var j = 0; j <= k; j++) {
      var st = steps[j];
      (st.r || []).forEach(function (id) { s.shown[id] = true; });
      (st.e || []).forEach(function (id) { s.done[id] = true; });
      Object.assign(s.d, st.d || {});
      Object.assign(s.g, st.g || {});
      Object.assign(s.l, st.l || {});
      Object.assign(s.info, st.i || {});
    }
    return s;
  }

  function setText(el, text, fresh) {
    if (!el || text === null || text === undefined) return;
    el.textContent = text;
    el.classList.toggle("cr-fresh", !!fresh);
  }

  function edgeLabel(id, text, now) {
    var g = edges[id], label = labels[id];
    if (!text) { if (label) label.style.display = "none"; return; }
    if (!label) {
      var path = g.querySelector("path");
      if (!path) return;
      var mid = path.getPointAtLength(path.getTotalLength() / 2);
      label = labels[id] = document.createElementNS("http://www.w3.org/2000/svg", "text");
      label.setAttribute("class", "cr-edge-label");
      label.setAttribute("x", mid.x);
      label.setAttribute("y", mid.y - 3);
      label.setAttribute("text-anchor", "middle");
      g.appendChild(label);
    }
    label.style.display = "";
    label.textContent = text;
    label.classList.toggle("cr-now", now);
  }

  function show(k) {
    current = Math.max(0, Math.min(last, k));
    var s = stateAt(current), st = steps[current], focus = st.f || [], now = st.e || [];
    Object.keys(boxes).forEach(function (id) {
      boxes[id].classList.toggle("cr-future", !s.shown[id]);
      boxes[id].classList.toggle("cr-focus", focus.indexOf(id) >= 0);
      setText(texts[id].d, s.d[id], st.d && id in st.d);
      setText(texts[id].g, s.g[id], st.g && id in st.g);
    });
    Object.keys(edges).forEach(function (id) {
      var ends = data.edges[id];
      edges[id].classList.toggle("cr-future", !(s.shown[ends[0]] && s.shown[ends[1]]));
      edges[id].classList.toggle("cr-done", !!s.done[id]);
      edges[id].classList.toggle("cr-current", now.indexOf(id) >= 0);
      edgeLabel(id, s.l[id], now.indexOf(id) >= 0);
    });
    var phase = root.querySelector(".cr-phase");
    phase.textContent = st.p;
    phase.className = "cr-phase " + st.p;
    root.querySelector(".cr-text").textContent = st.t;
    var formula = st.m ? MATH + data.rules[st.m[0]] + (st.m[1] || "") + "</mrow></math>" : "";
    root.querySelector(".cr-math").innerHTML = formula;  // the rule, then "= the numbers put in" when there are
    root.querySelector(".cr-counter").textContent = "step " + current + " of " + last;
    slider.value = current;
    if (onPage && window.history.replaceState) window.history.replaceState(null, "", "#step=" + current);
    state = s;
    describe();
  }
  var state = null;

  // --- what hovering or clicking a box shows -------------------------------------------------------------------
  function row(name, value) {
    return "<tr><td><b>" + name + "</b></td><td>" + value + "</td></tr>";
  }
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function stats(x) {
    return typeof x === "string" ? esc(x) : "min " + x.min + ", mean " + x.mean + ", max " + x.max + ", norm " + x.norm;
  }
  function heat(h) {  // one hex digit per cell: 7 is zero, below it blue, above it red
    var canvas = document.createElement("canvas");
    canvas.width = h.w;
    canvas.height = h.h;
    var ctx = canvas.getContext("2d"), image = ctx.createImageData(h.w, h.h);
    for (var i = 0; i < h.c.length; i++) {
      var t = (parseInt(h.c[i], 16) - 7) / 7, a = Math.abs(t);
      var rgb = t < 0 ? [33, 102, 172] : [178, 24, 43];
      for (var c = 0; c < 3; c++) image.data[4 * i + c] = Math.round(255 + (rgb[c] - 255) * a);
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    var zoom = Math.max(1, Math.floor(96 / Math.max(h.w, h.h)));
    canvas.style.width = h.w * zoom + "px";
    canvas.style.height = h.h * zoom + "px";
    canvas.title = "scale: |x| up to " + h.s + " (blue negative, red positive)";
    return canvas;
  }
  function describe() {
    var id = hovered || pinned, info = root.querySelector(".cr-info");
    Object.keys(boxes).forEach(function (b) { boxes[b].classList.toggle("cr-pinned", b === pinned); });
    if (!id) {
      info.innerHTML = '<span class="cr-hint">Hover over or click a box for its data, gradient, shape and rule. ' +
        "Keys: Left/Right step, Home/End, space plays.</span>";
      return;
    }
    var n = data.nodes[id], html = "<table>", pictures = [];
    if (n.k === "op") {
      html += row("op", esc(n.n)) + row("computes", esc(n.def));
      n.rules.forEach(function (r) { html += row("rule", MATH + data.rules[r] + "</mrow></math>"); });
    } else if (n.k === "module") {
      html += row("module", esc(n.n)) + row("ops", n.ops + " (drawn as one box; max_nodes= shows them)");
    } else {
      html += row(esc(n.n), esc(n.k) + (n.op ? ", the result of " + esc(n.op) : ""));
      html += row("shape", esc(n.shape) + " " + esc(n.dtype));
      var known = !state || state.shown[id];
      html += row("data", known ? stats(n.data) : "not computed yet");
      if (known && n.data.heat) pictures.push(["data", n.data.heat]);
      var g = state && state.g[id], gi = state && state.info[id];
      if (g) html += row("grad", gi ? stats(gi) : esc(g.replace(/^\|?grad\|? /, "")));
      if (gi && gi.heat) pictures.push(["grad", gi.heat]);
    }
    info.innerHTML = html + "</table>";
    pictures.forEach(function (p) {
      var figure = document.createElement("span");
      figure.textContent = p[0] + " ";
      figure.appendChild(heat(p[1]));
      info.appendChild(figure);
    });
  }

  // --- controls -------------------------------------------------------------------------------------------------
  var slider = root.querySelector("input[type=range]"), speed = root.querySelector("select");
  var play = root.querySelector("[data-act=play]");
  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    play.innerHTML = "&#x25B6; play";
  }
  function toggle() {
    if (timer) return stop();
    if (current === last) show(0);
    play.innerHTML = "&#x23F8; pause";
    timer = setInterval(function () {
      if (current >= last) return stop();
      show(current + 1);
    }, 1200 / parseFloat(speed.value));
  }
  var actions = {
    first: function () { stop(); show(0); }, back: function () { stop(); show(current - 1); },
    next: function () { stop(); show(current + 1); }, last: function () { stop(); show(last); }, play: toggle
  };
  root.querySelectorAll("[data-act]").forEach(function (b) { b.onclick = actions[b.dataset.act]; });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  speed.addEventListener("change", function () { if (timer) { stop(); toggle(); } });
  var keys = { ArrowRight: "next", ArrowLeft: "back", Home: "first", End: "last", " ": "play" };
  (onPage ? document : root).addEventListener("keydown", function (e) {
    if (!(e.key in keys) || e.target === slider || e.target === speed || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    actions[keys[e.key]]();
  });

  function fromAddress() {  // #step=N or #step=last
    var m = /step=(\d+|last)/.exec(window.location.hash);
    return m ? (m[1] === "last" ? last : parseInt(m[1], 10)) : null;
  }
  if (onPage) window.addEventListener("hashchange", function () {
    var k = fromAddress();
    if (k !== null && k !== current) { stop(); show(k); }
  });
  root.querySelector(".cr-controls").hidden = false;
  window.chainruleZoom(root.querySelector(".cr-zoom"));
  var start = onPage ? fromAddress() : null;
  show(start === null ? 0 : start);
};

/* The book's trained models, live in the page (chapters 02 and 04). Plain JavaScript: no library,
   no network. The weights come from gan_model.js and lstm_model.js, written by
   `python -m lib.web export`, which set window.DLBOOK_MODELS.gan and .lstm.

   An element <div data-dlbook-live="gan"> becomes chapter 04's interpolation control and
   <div data-dlbook-live="lstm"> chapter 02's palindrome reader. window.DLBOOK_LIVE exposes the
   computations themselves, so that the tests can compare them with PyTorch. */
(function () {
  "use strict";

  // ---------------------------------------------------------------- decoding the weights

  function bytes(b64) {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let k = 0; k < s.length; k++) out[k] = s.charCodeAt(k);
    return out;
  }
  const f32 = (b64) => new Float32Array(bytes(b64).buffer); // little-endian, as written
  const i8 = (b64) => new Int8Array(bytes(b64).buffer);

  // ---------------------------------------------------------------- the generator (chapter 04)

  function loadGenerator(p) {
    return {
      latent: p.latent,
      codes: f32(p.codes), // (10, 10, 2, latent)
      defaults: p.default,
      error: p.int8_error,
      layers: p.layers.map((l) => ({
        rows: l.shape[0], cols: l.shape[1], q: i8(l.q), scale: f32(l.scale),
        bias: f32(l.bias), act: l.act,
      })),
    };
  }

  // One image (784 values in [-1, 1]) from a latent vector: Linear layers with 8-bit rows.
  function generate(g, z) {
    let x = Float64Array.from(z);
    for (const l of g.layers) {
      const y = new Float64Array(l.rows);
      const slope = l.act.startsWith("leaky_relu:") ? parseFloat(l.act.slice(11)) : null;
      for (let r = 0; r < l.rows; r++) {
        let s = 0;
        const off = r * l.cols;
        for (let c = 0; c < l.cols; c++) s += l.q[off + c] * x[c];
        let v = s * l.scale[r] + l.bias[r];
        if (l.act === "tanh") v = Math.tanh(v);
        else if (slope !== null && v < 0) v *= slope;
        y[r] = v;
      }
      x = y;
    }
    return x;
  }

  // The endpoints lib.gan.interpolate.pick_endpoints gives for the pair from -> to.
  function endpoints(g, from, to) {
    const start = ((from * 10 + to) * 2) * g.latent;
    return [g.codes.subarray(start, start + g.latent),
      g.codes.subarray(start + g.latent, start + 2 * g.latent)];
  }

  // steps + 2 latent vectors from begin to end, as lib.gan.interpolate.latent_path: x counts
  // down from n = steps + 1 to 0, linear f(x) = x/n begin + (n - x)/n end, or slerp.
  function path(begin, end, steps, method) {
    const n = steps + 1;
    let dot = 0, na = 0, nb = 0;
    for (let k = 0; k < begin.length; k++) {
      dot += begin[k] * end[k]; na += begin[k] * begin[k]; nb += end[k] * end[k];
    }
    const cos = Math.min(1, Math.max(-1, dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-8)));
    const omega = Math.acos(cos);
    const out = [];
    for (let x = n; x >= 0; x--) {
      let wa = x / n, wb = (n - x) / n;
      if (method === "spherical" && Math.abs(omega) >= 1e-6) {
        const t = (n - x) / n;
        wa = Math.sin((1 - t) * omega) / Math.sin(omega);
        wb = Math.sin(t * omega) / Math.sin(omega);
      }
      out.push(Float64Array.from(begin, (v, k) => wa * v + wb * end[k]));
    }
    return out;
  }

  function gaussian(n) { // Box-Muller: a fresh latent vector for "random digit"
    const z = new Float64Array(n);
    for (let k = 0; k < n; k += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - Math.random()));
      const a = 2 * Math.PI * Math.random();
      z[k] = r * Math.cos(a);
      if (k + 1 < n) z[k + 1] = r * Math.sin(a);
    }
    return z;
  }

  // ---------------------------------------------------------------- the LSTM (chapter 02)

  function loadLSTM(p) {
    const w = {};
    for (const [name, b64] of Object.entries(p.weights)) w[name] = f32(b64);
    return { H: p.hidden, w, order: p.order, eta2: f32(p.eta2), trained: p.trained };
  }

  const sigmoid = (v) => 1 / (1 + Math.exp(-v));

  // Chapter 01's equations on one-hot digits from h = c = 0: the states of every step and the
  // softmax of the last step's logits.
  function readDigits(m, digits) {
    const H = m.H, w = m.w, acts = { g: Math.tanh, i: sigmoid, f: sigmoid, o: sigmoid };
    let h = new Float64Array(H), c = new Float64Array(H);
    const states = [];
    for (const d of digits) {
      const s = {};
      for (const gate of ["g", "i", "f", "o"]) {
        const Wx = w[`W_${gate}x`], Wh = w[`W_${gate}h`], b = w[`b_${gate}`];
        const v = new Float64Array(H);
        for (let r = 0; r < H; r++) {
          let sum = Wx[r * 10 + d] + b[r];
          for (let k = 0; k < H; k++) sum += Wh[r * H + k] * h[k];
          v[r] = acts[gate](sum);
        }
        s[gate] = v;
      }
      c = Float64Array.from(c, (cp, r) => s.g[r] * s.i[r] + cp * s.f[r]);
      h = Float64Array.from(c, (cr, r) => Math.tanh(cr) * s.o[r]);
      s.c = c; s.h = h;
      states.push(s);
    }
    const logits = Array.from({ length: 10 }, (_, j) => {
      let sum = w.b_p[j];
      for (let k = 0; k < H; k++) sum += w.W_ph[j * H + k] * h[k];
      return sum;
    });
    const top = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - top));
    const total = e.reduce((a, b) => a + b, 0);
    return { probs: e.map((v) => v / total), states };
  }

  // ---------------------------------------------------------------- drawing

  function drawDigit(ctx, pixels, x, y, size) {
    const img = ctx.createImageData(28, 28);
    for (let k = 0; k < 784; k++) {
      const v = Math.round(Math.min(1, Math.max(0, (pixels[k] + 1) / 2)) * 255);
      img.data.set([v, v, v, 255], 4 * k);
    }
    const tile = document.createElement("canvas");
    tile.width = tile.height = 28;
    tile.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tile, x, y, size, size);
  }

  function el(tag, attrs = {}, text = "") {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text) e.textContent = text;
    return e;
  }

  function labelled(label, input) {
    const l = el("label", {}, label + " ");
    l.appendChild(input);
    return l;
  }

  function digitSelect(name, value) {
    const s = el("select", { name });
    for (let d = 0; d < 10; d++) s.appendChild(el("option", { value: d }, String(d)));
    s.value = String(value);
    return s;
  }

  // ---------------------------------------------------------------- chapter 04's control

  function ganControl(root, g) {
    const d = g.defaults;
    const from = digitSelect("from", d.from), to = digitSelect("to", d.to);
    const method = el("select", { name: "path" });
    for (const m of ["linear", "spherical"]) method.appendChild(el("option", { value: m }, m));
    method.value = d.path;
    const steps = el("input", { name: "steps", type: "number", min: 1, max: 15, value: d.steps });
    const random = el("button", { name: "random", type: "button" }, "Draw a random digit");
    const controls = el("div", { class: "dlbook-controls" });
    [labelled("From digit", from), labelled("to digit", to), labelled("path", method),
      labelled("steps between", steps), random].forEach((c) => controls.appendChild(c));
    const strip = el("canvas", { class: "dlbook-strip", height: 60 });
    const position = el("input", { name: "position", type: "range", min: 0, value: 0 });
    const big = el("canvas", { class: "dlbook-big", width: 168, height: 168 });
    const status = el("p", { class: "dlbook-status" });
    const row = el("div", { class: "dlbook-row" });
    row.appendChild(big);
    row.appendChild(status);
    [controls, strip, labelled("Position along the path", position), row].forEach((c) =>
      root.appendChild(c));
    let images = [];

    function show(k) {
      const n = images.length, size = Math.min(56, Math.floor(strip.width / n));
      const ctx = strip.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, strip.width, strip.height);
      images.forEach((im, j) => drawDigit(ctx, im, j * size, 2, size - 2));
      ctx.strokeStyle = "#d55e00";
      ctx.lineWidth = 3;
      ctx.strokeRect(k * size + 1, 1, size - 2, size);
      drawDigit(big.getContext("2d"), images[k], 0, 0, 168);
      status.textContent = `Image ${k + 1} of ${n} on the ${method.value} path from a ` +
        `${from.value} to a ${to.value}: ${k === 0 ? "the first endpoint" :
          k === n - 1 ? "the last endpoint" : `${k} of ${n - 1} steps along`}.`;
    }

    function redraw() {
      const s = Math.min(15, Math.max(1, parseInt(steps.value, 10) || d.steps));
      steps.value = s;
      const [a, b] = endpoints(g, +from.value, +to.value);
      images = path(a, b, s, method.value).map((z) => generate(g, z));
      strip.width = Math.min(root.clientWidth || 600, 56 * images.length);
      position.max = images.length - 1;
      position.value = Math.min(+position.value, images.length - 1);
      show(+position.value);
    }

    [from, to, method, steps].forEach((c) => c.addEventListener("change", redraw));
    position.addEventListener("input", () => show(+position.value));
    random.addEventListener("click", () => {
      drawDigit(big.getContext("2d"), generate(g, gaussian(g.latent)), 0, 0, 168);
      status.textContent = "A random digit: fresh noise z ~ N(0, I) through the generator. " +
        "Move the slider to return to the path.";
    });
    redraw();
  }

  // ---------------------------------------------------------------- chapter 02's reader

  const ROWS = 24; // units shown, most first-digit-bound first
  const ROW = 14; // their height in pixels

  function heatColour(v, kind) { // Okabe-Ito blue (negative) - white - vermillion (positive)
    const t = kind === "gate" ? v : Math.max(-1, Math.min(1, v / 2));
    const [r, g, b] = t < 0 ? [0, 114, 178] : [213, 94, 0];
    const a = Math.abs(kind === "gate" ? 2 * t - 1 : t);
    const mix = (x) => Math.round(255 + (x - 255) * a);
    return kind === "gate" && t < 0.5 ? `rgb(${mix(0)},${mix(114)},${mix(178)})`
      : `rgb(${mix(r)},${mix(g)},${mix(b)})`;
  }

  function lstmControl(root, m) {
    const T = m.trained.length;
    const input = el("input", { name: "digits", type: "text", size: 40, value: "" });
    const random = el("button", { name: "random", type: "button" }, "Random palindrome");
    const show = el("select", { name: "show" });
    for (const [v, text] of [["c", "cell state c"], ["h", "hidden state h"],
      ["f", "forget gate f"], ["i", "input gate i"], ["o", "output gate o"],
      ["g", "candidate g"]]) show.appendChild(el("option", { value: v }, text));
    const controls = el("div", { class: "dlbook-controls" });
    [labelled("Digits", input), random, labelled("picture", show)].forEach((c) =>
      controls.appendChild(c));
    const status = el("p", { class: "dlbook-status" });
    const bars = el("canvas", { class: "dlbook-bars", width: 420, height: 150 });
    const heat = el("canvas", { class: "dlbook-heat", height: ROWS * ROW + 40 });
    [controls, status, bars, heat].forEach((c) => root.appendChild(c));

    // The first T - 1 digits of a palindrome of T digits whose first half is ``half``.
    function palindrome(half) {
      const full = half.concat(half.slice(0, Math.floor(T / 2)).reverse());
      return full.slice(0, T - 1).join("");
    }
    const randomHalf = () =>
      Array.from({ length: Math.ceil(T / 2) }, () => Math.floor(Math.random() * 10));
    const fixedHalf = () => Array.from({ length: Math.ceil(T / 2) }, (_, k) => (7 + 3 * k * k) % 10);

    function drawBars(probs, first) {
      const ctx = bars.getContext("2d"), w = bars.width / 10;
      ctx.clearRect(0, 0, bars.width, bars.height);
      ctx.font = "13px sans-serif";
      ctx.textAlign = "center";
      probs.forEach((p, d) => {
        const hgt = p * 110;
        ctx.fillStyle = d === first ? "#009e73" : "#0072b2";
        ctx.fillRect(d * w + 6, 120 - hgt, w - 12, hgt);
        ctx.fillStyle = "#222";
        ctx.fillText(String(d), d * w + w / 2, 137);
        ctx.fillText(p >= 0.995 ? "1.00" : p.toFixed(2), d * w + w / 2, 115 - hgt);
      });
    }

    function drawHeat(states, kind) {
      const n = states.length, left = 150;
      heat.width = Math.max(560, Math.min(root.clientWidth || 700, left + 24 * n));
      const cw = Math.max(2, Math.floor((heat.width - left) / n));
      const ctx = heat.getContext("2d");
      ctx.clearRect(0, 0, heat.width, heat.height);
      const signed = kind === "c" || kind === "h" || kind === "g";
      ctx.font = "12px sans-serif";
      m.order.slice(0, ROWS).forEach((unit, row) => {
        ctx.fillStyle = "#222";
        ctx.textAlign = "right";
        ctx.fillText(`unit ${unit}, η² = ${m.eta2[unit].toFixed(2)}`, left - 6, row * ROW + 11);
        states.forEach((s, t) => {
          ctx.fillStyle = heatColour(s[kind][unit], signed ? "signed" : "gate");
          ctx.fillRect(left + t * cw, row * ROW, cw - 1, ROW - 1);
        });
      });
      ctx.fillStyle = "#222";
      ctx.textAlign = "left";
      ctx.fillText(`time step 1 → ${n}.  ` + (signed
        ? "Blue: negative, white: 0, orange: positive (full colour at ±2)."
        : "Blue: 0 (closed), white: 0.5, orange: 1 (open)."), left, ROWS * ROW + 20);
    }

    function update() {
      const text = input.value.replace(/[^0-9]/g, "");
      if (!text.length) {
        status.textContent = "Type some digits (0 to 9): the network reads them one by one.";
        return;
      }
      const digits = Array.from(text, Number);
      const { probs, states } = readDigits(m, digits);
      const best = probs.indexOf(Math.max(...probs));
      status.textContent = `The network read ${digits.length} digits and predicts that the ` +
        `next one is ${best} (probability ${probs[best].toFixed(3)}). A palindrome would end ` +
        `with the first digit, ${digits[0]} (green bar). It was trained on palindromes of ` +
        `${T} digits, so it reads ${T - 1}.`;
      drawBars(probs, digits[0]);
      drawHeat(states, show.value);
    }

    input.addEventListener("input", update);
    show.addEventListener("change", update);
    random.addEventListener("click", () => { input.value = palindrome(randomHalf()); update(); });
    input.value = palindrome(fixedHalf());
    update();
  }

  // ---------------------------------------------------------------- start

  window.DLBOOK_LIVE = { loadGenerator, generate, endpoints, path, loadLSTM, readDigits };

  function start() {
    const models = window.DLBOOK_MODELS || {};
    for (const root of document.querySelectorAll("[data-dlbook-live]")) {
      const kind = root.getAttribute("data-dlbook-live");
      if (!models[kind]) {
        root.textContent = `The ${kind} model's weights did not load: run ` +
          "`python -m lib.web export` and rebuild the book.";
        continue;
      }
      root.textContent = "";
      if (kind === "gan") ganControl(root, loadGenerator(models.gan));
      else if (kind === "lstm") lstmControl(root, loadLSTM(models.lstm));
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

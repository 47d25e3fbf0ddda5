// The canvas: elements drawn as positioned HTML (a fast approximation of the renderer),
// the selection box with its resize and rotate handles, and pointer gestures.
// Every style is set through the CSSOM (allowed by the CSP); no style attributes.

import { HANDLES, handleCursor, resizeBox, rotationTowards } from "./geometry.js";

const ZOOMS = [0.05, 0.1, 0.125, 0.25, 0.33, 0.5, 0.67, 0.75, 1, 1.25, 1.5, 2, 3, 4];
const SVG = "http://www.w3.org/2000/svg";
const TYPE_LABELS = { text: "Text", rect: "Rectangle", ellipse: "Ellipse", image: "Image", qr_code: "QR code" };

export class Stage {
  constructor({ store, fonts, root }) {
    this.store = store;
    this.fonts = fonts;
    this.viewport = root.querySelector("[data-stage]");
    this.frame = root.querySelector("[data-canvas-frame]");
    this.canvas = root.querySelector("[data-canvas]");
    this.overlay = root.querySelector("[data-overlay]");
    this.previewOverlay = root.querySelector("[data-preview-overlay]");
    this.zoomLabel = root.querySelector("[data-zoom-label]");
    this.nodes = new Map();
    this.zoom = 1;
    this.fitted = true;
    this.gesture = null;
    this.buildSelection();
    this.canvas.addEventListener("pointerdown", (event) => this.onPointerDown(event));
    this.viewport.addEventListener("pointerdown", (event) => {
      if (event.target === this.viewport || event.target === this.frame.parentElement) this.store.select(null);
    });
    this.canvas.addEventListener("focusin", (event) => {
      const node = event.target.closest("[data-uid]");
      if (node && !this.gesture) this.store.select(node.dataset.uid);
    });
    new ResizeObserver(() => this.fitted && this.fit()).observe(this.viewport);
    this.onPointerMove = this.onPointerMove.bind(this);
    this.onPointerUp = this.onPointerUp.bind(this);
  }

  // --- zoom ---------------------------------------------------------------

  fit() {
    const { width, height } = this.store.doc;
    const room = this.viewport.getBoundingClientRect();
    const pad = 48;
    const zoom = Math.min((room.width - pad * 2) / width, (room.height - pad * 2) / height, 2);
    this.fitted = true;
    this.setZoom(Math.max(0.02, zoom), { fitted: true });
  }

  zoomBy(direction) {
    const current = this.zoom;
    const next =
      direction > 0
        ? ZOOMS.find((step) => step > current + 0.001) || ZOOMS.at(-1)
        : [...ZOOMS].reverse().find((step) => step < current - 0.001) || ZOOMS[0];
    this.setZoom(next);
  }

  setZoom(zoom, { fitted = false } = {}) {
    this.zoom = zoom;
    this.fitted = fitted;
    const { width, height } = this.store.doc;
    this.frame.style.width = `${width * zoom}px`;
    this.frame.style.height = `${height * zoom}px`;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.style.transform = `scale(${zoom})`;
    this.canvas.style.setProperty("--zoom", String(zoom));
    this.zoomLabel.textContent = `${Math.round(zoom * 100)}%`;
    this.drawSelection();
  }

  /** Canvas pixels under a pointer event. */
  point(event) {
    const rect = this.frame.getBoundingClientRect();
    return { x: (event.clientX - rect.left) / this.zoom, y: (event.clientY - rect.top) / this.zoom };
  }

  // --- drawing --------------------------------------------------------------

  render() {
    const { doc } = this.store;
    if (doc.background) {
      this.canvas.style.backgroundColor = doc.background;
      this.canvas.classList.remove("is-transparent");
    } else {
      this.canvas.style.backgroundColor = "";
      this.canvas.classList.add("is-transparent");
    }
    const seen = new Set();
    for (const element of doc.elements) {
      seen.add(element.uid);
      let node = this.nodes.get(element.uid);
      if (!node || node.dataset.type !== element.type) {
        node?.remove();
        node = document.createElement("div");
        node.dataset.uid = element.uid;
        node.dataset.type = element.type;
        node.tabIndex = 0;
        node.className = `el el-${element.type}`;
        this.nodes.set(element.uid, node);
      }
      this.canvas.appendChild(node); // keeps the DOM in drawing order
      this.draw(node, element);
    }
    for (const [uid, node] of this.nodes) {
      if (!seen.has(uid)) {
        node.remove();
        this.nodes.delete(uid);
      }
    }
    this.drawSelection();
  }

  draw(node, element) {
    const style = node.style;
    style.left = `${element.x}px`;
    style.top = `${element.y}px`;
    style.width = `${element.width}px`;
    style.height = `${element.height}px`;
    style.transform = element.rotation ? `rotate(${element.rotation}deg)` : "";
    style.opacity = String(element.opacity ?? 1);
    node.hidden = Boolean(element.hidden);
    node.classList.toggle("is-selected", element.uid === this.store.selected);
    node.classList.toggle("is-locked", this.store.isLocked(element.uid));
    node.setAttribute("aria-label", `${TYPE_LABELS[element.type]} “${element.name}”`);
    const draw = {
      text: drawText,
      rect: drawShape,
      ellipse: drawShape,
      image: drawImage,
      qr_code: drawQr,
    }[element.type];
    draw.call(this, node, element);
  }

  // --- selection box ------------------------------------------------------

  buildSelection() {
    this.box = document.createElement("div");
    this.box.className = "selection";
    this.box.hidden = true;
    this.handles = {};
    for (const handle of HANDLES) {
      const dot = document.createElement("span");
      dot.className = `handle handle-${handle}`;
      dot.dataset.handle = handle;
      dot.title = "Drag to resize (Shift keeps the proportions)";
      this.handles[handle] = dot;
      this.box.appendChild(dot);
    }
    const rotate = document.createElement("span");
    rotate.className = "handle handle-rotate";
    rotate.dataset.handle = "rotate";
    rotate.title = "Drag to rotate (Shift snaps to 15°)";
    this.box.appendChild(rotate);
    this.sizeLabel = document.createElement("span");
    this.sizeLabel.className = "selection-size";
    this.box.appendChild(this.sizeLabel);
    this.box.addEventListener("pointerdown", (event) => {
      const handle = event.target.dataset.handle;
      if (handle) this.startGesture(event, handle === "rotate" ? "rotate" : "resize", handle);
    });
    this.overlay.appendChild(this.box);
  }

  drawSelection() {
    const element = this.store.selection;
    for (const [uid, node] of this.nodes) node.classList.toggle("is-selected", uid === this.store.selected);
    if (!element || element.hidden) {
      this.box.hidden = true;
      return;
    }
    const zoom = this.zoom;
    const locked = this.store.isLocked(element.uid);
    this.box.hidden = false;
    this.box.classList.toggle("is-locked", locked);
    const style = this.box.style;
    style.left = `${element.x * zoom}px`;
    style.top = `${element.y * zoom}px`;
    style.width = `${element.width * zoom}px`;
    style.height = `${element.height * zoom}px`;
    style.transform = element.rotation ? `rotate(${element.rotation}deg)` : "";
    for (const [handle, dot] of Object.entries(this.handles)) {
      dot.style.cursor = handleCursor(handle, element.rotation);
    }
    this.sizeLabel.textContent = `${Math.round(element.width)} × ${Math.round(element.height)}${
      element.rotation ? ` · ${Math.round(element.rotation)}°` : ""
    }`;
  }

  // --- gestures -------------------------------------------------------------

  onPointerDown(event) {
    if (event.button !== 0) return;
    const node = event.target.closest("[data-uid]");
    if (!node) {
      this.store.select(null);
      return;
    }
    event.preventDefault(); // no text selection or native image drag
    node.focus({ preventScroll: true });
    this.store.select(node.dataset.uid);
    if (!this.store.isLocked(node.dataset.uid)) this.startGesture(event, "move");
  }

  startGesture(event, kind, handle = null) {
    const element = this.store.selection;
    if (!element || this.store.isLocked(element.uid)) return;
    event.preventDefault();
    event.stopPropagation();
    this.gesture = {
      kind,
      handle,
      uid: element.uid,
      start: this.point(event),
      box: { x: element.x, y: element.y, width: element.width, height: element.height, rotation: element.rotation },
    };
    document.body.classList.add(`is-${kind === "move" ? "moving" : "resizing"}`);
    window.addEventListener("pointermove", this.onPointerMove);
    window.addEventListener("pointerup", this.onPointerUp);
    window.addEventListener("pointercancel", this.onPointerUp);
  }

  onPointerMove(event) {
    const gesture = this.gesture;
    if (!gesture) return;
    const point = this.point(event);
    const dx = point.x - gesture.start.x;
    const dy = point.y - gesture.start.y;
    let values;
    if (gesture.kind === "move") {
      values = this.snap({ ...gesture.box, x: Math.round(gesture.box.x + dx), y: Math.round(gesture.box.y + dy) });
    } else if (gesture.kind === "resize") {
      values = resizeBox(gesture.box, gesture.handle, dx, dy, { keepRatio: event.shiftKey });
    } else {
      values = { rotation: rotationTowards(gesture.box, point.x, point.y, { snap: event.shiftKey }) };
    }
    this.store.updateElement(gesture.uid, values, { commit: false, reason: "geometry" });
  }

  onPointerUp() {
    window.removeEventListener("pointermove", this.onPointerMove);
    window.removeEventListener("pointerup", this.onPointerUp);
    window.removeEventListener("pointercancel", this.onPointerUp);
    document.body.classList.remove("is-moving", "is-resizing");
    if (!this.gesture) return;
    this.gesture = null;
    this.store.checkpoint();
    this.store.emit("geometry-end");
  }

  /** Snap a moved box's edges and centre to the canvas's edges and centre (within 6 screen px). */
  snap(box) {
    if (box.rotation) return { x: box.x, y: box.y };
    const { width, height } = this.store.doc;
    const reach = 6 / this.zoom;
    const pick = (position, size, total) => {
      for (const target of [0, total / 2 - size / 2, total - size]) {
        if (Math.abs(position - target) <= reach) return Math.round(target);
      }
      return position;
    };
    return { x: pick(box.x, box.width, width), y: pick(box.y, box.height, height) };
  }

  focusSelected() {
    const node = this.nodes.get(this.store.selected);
    if (node && document.activeElement !== node) node.focus({ preventScroll: true });
  }
}

// --- how each type is drawn ----------------------------------------------------

function drawText(node, element) {
  let inner = node.firstElementChild;
  if (!inner) {
    inner = document.createElement("div");
    inner.className = "el-text-inner";
    node.appendChild(inner);
  }
  this.fonts.use(element.font_family);
  node.style.backgroundColor = element.background_color || "";
  node.style.justifyContent = { top: "flex-start", middle: "center", bottom: "flex-end" }[element.vertical_align];
  const style = inner.style;
  inner.textContent = element.text;
  style.fontFamily = this.fonts.css(element.font_family);
  style.fontWeight = String(element.font_weight);
  style.fontStyle = element.italic ? "italic" : "normal";
  style.color = element.color;
  style.textAlign = element.align;
  style.lineHeight = String(element.line_height);
  style.letterSpacing = `${element.letter_spacing}px`;
  style.textTransform = element.text_transform === "none" ? "" : element.text_transform;
  style.webkitLineClamp = element.max_lines ? String(element.max_lines) : "";
  inner.classList.toggle("is-clamped", Boolean(element.max_lines));
  // "shrink": the largest size (down to min_font_size) at which the text fits its box, as the renderer does.
  let size = element.font_size;
  style.fontSize = `${size}px`;
  if (element.fit === "shrink" && element.text) {
    const fits = () => inner.scrollHeight <= node.clientHeight + 1 && inner.scrollWidth <= node.clientWidth + 1;
    if (!fits()) {
      let low = Math.min(element.min_font_size, size);
      let high = size;
      for (let i = 0; i < 12 && high - low > 0.5; i += 1) {
        const middle = (low + high) / 2;
        style.fontSize = `${middle}px`;
        if (fits()) low = middle;
        else high = middle;
      }
      size = low;
      style.fontSize = `${size}px`;
    }
  }
  node.classList.toggle("is-empty", !element.text);
}

function drawShape(node, element) {
  const style = node.style;
  style.backgroundColor = element.fill || "";
  style.borderRadius = element.type === "ellipse" ? "50%" : `${element.border_radius}px`;
  if (element.stroke && element.stroke_width > 0) {
    // SVG strokes straddle the edge: half inside, half outside.
    style.outline = `${element.stroke_width}px solid ${element.stroke}`;
    style.outlineOffset = `${-element.stroke_width / 2}px`;
  } else {
    style.outline = "";
    style.outlineOffset = "";
  }
}

function isLocalSource(src) {
  return /^data:image\//i.test(src) || (src.startsWith("/") && !src.startsWith("//"));
}

function drawImage(node, element) {
  const src = element.src || "";
  const local = isLocalSource(src);
  let img = node.querySelector("img");
  let note = node.querySelector(".el-image-note");
  node.style.borderRadius = `${element.border_radius}px`;
  if (local) {
    note?.remove();
    if (!img) {
      img = document.createElement("img");
      img.alt = "";
      img.draggable = false;
      node.appendChild(img);
    }
    if (img.getAttribute("src") !== src) img.src = src;
    img.style.objectFit = element.fit;
  } else {
    img?.remove();
    if (!note) {
      note = document.createElement("div");
      note.className = "el-image-note";
      node.appendChild(note);
    }
    // Remote pictures are fetched by the server only (the page's CSP keeps other origins out).
    let label = "Image: set a URL or upload";
    if (src) {
      try {
        label = `${new URL(src).hostname}\nshown in the preview`;
      } catch {
        label = "Not a valid URL";
      }
    }
    note.textContent = label;
  }
}

function drawQr(node, element) {
  const key = `${element.value}|${element.color}|${element.background_color}`;
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  node.replaceChildren(qrPicture(element.value, element.color, element.background_color));
}

/** A QR-looking picture (finder patterns + modules from a hash of the value); the preview has the real code. */
function qrPicture(value, color, background) {
  const size = 25;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `-2 -2 ${size + 4} ${size + 4}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  const rect = (x, y, w, h, fill) => {
    const r = document.createElementNS(SVG, "rect");
    r.setAttribute("x", x);
    r.setAttribute("y", y);
    r.setAttribute("width", w);
    r.setAttribute("height", h);
    r.setAttribute("fill", fill);
    svg.appendChild(r);
  };
  if (background) rect(-2, -2, size + 4, size + 4, background);
  let seed = 2166136261;
  for (const char of String(value || "")) seed = Math.imul(seed ^ char.charCodeAt(0), 16777619) >>> 0;
  const finder = (x, y) => x < 8 && y < 8;
  const inFinder = (x, y) => finder(x, y) || finder(size - 1 - x, y) || finder(x, size - 1 - y);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      seed = Math.imul(seed ^ (seed >>> 15), 2246822507) >>> 0;
      if (!inFinder(x, y) && seed % 2) rect(x, y, 1.02, 1.02, color);
    }
  }
  for (const [x, y] of [
    [0, 0],
    [size - 7, 0],
    [0, size - 7],
  ]) {
    rect(x, y, 7, 7, color);
    rect(x + 1, y + 1, 5, 5, background || "#ffffff");
    rect(x + 2, y + 2, 3, 3, color);
  }
  return svg;
}

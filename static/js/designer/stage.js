// The canvas: elements drawn as positioned HTML (a fast approximation of the renderer),
// the selection box with its resize and rotate handles, and pointer gestures.
// Every style is set through the CSSOM (allowed by the CSP); no style attributes.

import qrcode from "../../vendor/qrcode-generator/qrcode.mjs";
import { bounds, HANDLES, handleCursor, resizeBox, rotationTowards, snapOffset, unionBounds } from "./geometry.js";

const ZOOMS = [0.05, 0.1, 0.125, 0.25, 0.33, 0.5, 0.67, 0.75, 1, 1.25, 1.5, 2, 3, 4];
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 8;
const SNAP_PX = 6; // how near, in screen pixels, an edge must come to snap
const SVG = "http://www.w3.org/2000/svg";
const QR_ERROR_CORRECTION = "M"; // the renderer's level (templates_app/rendering/qr.py)
const QR_QUIET_ZONE = 4;
const PICTURE_DELAY = 400; // ms a remote picture's URL must stay unchanged before it is fetched
// The library turns characters into bytes with charCode & 0xff by default; QR readers expect UTF-8.
qrcode.stringToBytes = (text) => Array.from(new TextEncoder().encode(text));
const TYPE_LABELS = { text: "Text", rect: "Rectangle", ellipse: "Ellipse", image: "Image", qr_code: "QR code" };

export class Stage {
  constructor({ store, fonts, root, pictureUrl }) {
    this.store = store;
    this.pictureUrl = pictureUrl; // the server's fetcher of remote pictures (dashboard/designer.py)
    this.fonts = fonts;
    this.viewport = root.querySelector("[data-stage]");
    this.inner = this.viewport.querySelector(".d-stage-inner");
    this.frame = root.querySelector("[data-canvas-frame]");
    this.canvas = root.querySelector("[data-canvas]");
    this.overlay = root.querySelector("[data-overlay]");
    this.previewOverlay = root.querySelector("[data-preview-overlay]");
    this.zoomLabel = root.querySelector("[data-zoom-label]");
    this.nodes = new Map();
    this.zoom = 1;
    this.fitted = true;
    this.gesture = null;
    this.editor = null; // the on-canvas text editor while one is open
    this.spaceDown = false;
    this.focusing = false;
    this.guides = [];
    this.buildSelection();
    this.marquee = document.createElement("div");
    this.marquee.className = "marquee";
    this.marquee.hidden = true;
    this.overlay.appendChild(this.marquee);
    this.viewport.addEventListener("pointerdown", (event) => this.onPointerDown(event));
    this.canvas.addEventListener("dblclick", (event) => {
      const node = event.target.closest("[data-uid]");
      if (node) this.editText(node.dataset.uid);
    });
    this.canvas.addEventListener("focusin", (event) => {
      const node = event.target.closest("[data-uid]");
      if (node && !this.gesture && !this.focusing && !this.store.isSelected(node.dataset.uid)) {
        this.store.select(node.dataset.uid);
      }
    });
    this.viewport.addEventListener("wheel", (event) => this.onWheel(event), { passive: false });
    window.addEventListener("keydown", (event) => this.onSpace(event, true));
    window.addEventListener("keyup", (event) => this.onSpace(event, false));
    window.addEventListener("blur", () => this.setSpace(false));
    new ResizeObserver(() => this.fitted && this.fit()).observe(this.viewport);
    this.onPointerMove = this.onPointerMove.bind(this);
    this.onPointerUp = this.onPointerUp.bind(this);
  }

  // --- zoom and pan -------------------------------------------------------------

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
    this.zoomAround(next);
  }

  /** Zoom keeping the canvas point under (clientX, clientY) — the viewport's centre by default — in place. */
  zoomAround(zoom, clientX = null, clientY = null) {
    const room = this.viewport.getBoundingClientRect();
    const x = clientX ?? room.left + room.width / 2;
    const y = clientY ?? room.top + room.height / 2;
    const before = this.frame.getBoundingClientRect();
    const px = (x - before.left) / this.zoom;
    const py = (y - before.top) / this.zoom;
    this.setZoom(Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom)));
    const after = this.frame.getBoundingClientRect();
    this.viewport.scrollLeft += after.left + px * this.zoom - x;
    this.viewport.scrollTop += after.top + py * this.zoom - y;
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
    // Once zoomed or panned by hand, the canvas gets room on every side so any part of it can be
    // brought under the pointer; "Fit" goes back to the centred layout.
    if (fitted) {
      this.inner.style.padding = "";
    } else {
      const room = this.viewport.getBoundingClientRect();
      this.inner.style.padding = `${Math.max(48, room.height - 48)}px ${Math.max(48, room.width - 48)}px`;
    }
    this.zoomLabel.textContent = `${Math.round(zoom * 100)}%`;
    this.drawSelection();
  }

  onWheel(event) {
    if (!(event.ctrlKey || event.metaKey)) return;
    event.preventDefault(); // not the browser's page zoom
    const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
    this.zoomAround(this.zoom * Math.exp(-delta * 0.002), event.clientX, event.clientY);
  }

  onSpace(event, down) {
    if (event.key !== " ") return;
    if (!down) {
      // Only a space that started panning is ours: a button activates on its keyup.
      if (this.spaceDown) {
        event.preventDefault();
        this.setSpace(false);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest?.('input, textarea, select, button, a, [contenteditable], [role="tab"]')) return;
    event.preventDefault(); // no page scroll
    this.setSpace(true);
  }

  setSpace(down) {
    this.spaceDown = down;
    this.viewport.classList.toggle("is-pan-ready", down);
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
    const ordered = [];
    for (const element of doc.elements) {
      seen.add(element.uid);
      let node = this.nodes.get(element.uid);
      if (!node || node.dataset.type !== element.type) {
        node?.remove();
        node = document.createElement("div");
        node.dataset.uid = element.uid;
        node.dataset.type = element.type;
        node.tabIndex = 0;
        node.setAttribute("role", "button"); // a focusable, selectable layer: a name needs a role
        node.className = `el el-${element.type}`;
        this.nodes.set(element.uid, node);
      }
      ordered.push([node, element]);
    }
    for (const [uid, node] of this.nodes) {
      if (!seen.has(uid)) {
        node.remove();
        this.nodes.delete(uid);
      }
    }
    // Keeps the DOM in drawing order, moving nodes only when it is not: moving a node
    // drops its focus, and Tab onto a layer selects it (a render) — Tab must go on.
    const tail = [...this.canvas.children].slice(-ordered.length);
    if (ordered.some(([node], index) => tail[index] !== node)) {
      for (const [node] of ordered) this.canvas.appendChild(node);
    }
    for (const [node, element] of ordered) this.draw(node, element);
    if (this.editor && !this.store.element(this.editor.dataset.for)) this.closeEditor(false);
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
    node.classList.toggle("is-selected", this.store.isSelected(element.uid));
    node.setAttribute("aria-pressed", String(this.store.isSelected(element.uid)));
    node.classList.toggle("is-locked", this.store.isLocked(element.uid));
    // A text layer's name holds its words too: what is seen is what a voice user says.
    const words = element.type === "text" && element.text ? `: ${element.text}` : "";
    node.setAttribute("aria-label", `${TYPE_LABELS[element.type]} “${element.name}”${words}`);
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
      if (!handle || event.button !== 0 || this.spaceDown) return;
      if (this.box.classList.contains("is-group")) {
        if (handle !== "rotate") this.startGroupResize(event, handle);
      } else {
        this.startGesture(event, handle === "rotate" ? "rotate" : "resize", handle);
      }
    });
    this.overlay.appendChild(this.box);
  }

  drawSelection() {
    for (const [uid, node] of this.nodes) node.classList.toggle("is-selected", this.store.isSelected(uid));
    const chosen = this.store.selectedElements.filter((element) => !element.hidden);
    const zoom = this.zoom;
    const style = this.box.style;
    if (!chosen.length) {
      this.box.hidden = true;
      return;
    }
    this.box.hidden = false;
    if (chosen.length > 1 || this.store.selectedUids.length > 1) {
      // Several: one box around them all, without handles.
      const area = unionBounds(chosen);
      this.box.classList.add("is-group");
      // Resized together only when none of them is locked.
      this.box.classList.toggle("is-locked", chosen.some((element) => element.locked));
      for (const [handle, dot] of Object.entries(this.handles)) dot.style.cursor = handleCursor(handle, 0);
      style.left = `${area.left * zoom}px`;
      style.top = `${area.top * zoom}px`;
      style.width = `${(area.right - area.left) * zoom}px`;
      style.height = `${(area.bottom - area.top) * zoom}px`;
      style.transform = "";
      this.sizeLabel.textContent = `${this.store.selectedUids.length} elements`;
      return;
    }
    const element = chosen[0];
    const locked = this.store.isLocked(element.uid);
    this.box.classList.remove("is-group");
    this.box.classList.toggle("is-locked", locked);
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
    if (this.editor && event.target === this.editor) return;
    if (event.button === 1 || (event.button === 0 && this.spaceDown)) {
      this.startPan(event);
      return;
    }
    if (event.button !== 0 || event.target.closest(".handle")) return;
    const { viewport } = this;
    if (event.target === viewport && (event.offsetX >= viewport.clientWidth || event.offsetY >= viewport.clientHeight)) {
      return; // a scrollbar
    }
    const node = event.target.closest("[data-uid]");
    if (!node || !this.canvas.contains(node)) {
      this.startMarquee(event);
      return;
    }
    event.preventDefault(); // no text selection or native image drag
    const uid = node.dataset.uid;
    this.focusing = true;
    node.focus({ preventScroll: true });
    this.focusing = false;
    if (event.shiftKey) {
      this.store.toggleSelected(uid);
      if (!this.store.isSelected(uid)) return;
    } else if (!this.store.isSelected(uid)) {
      this.store.select(uid);
    }
    // Pressing one of several selected elements drags them all; a click without moving selects it alone.
    const collapseTo = !event.shiftKey && this.store.selectedUids.length > 1 ? uid : null;
    this.startMove(event, collapseTo);
  }

  listen(kind) {
    document.body.classList.add(kind);
    window.addEventListener("pointermove", this.onPointerMove);
    window.addEventListener("pointerup", this.onPointerUp);
    window.addEventListener("pointercancel", this.onPointerUp);
  }

  startMove(event, collapseTo) {
    const movers = this.store.selectedElements.filter((element) => !element.locked);
    if (!movers.length) return;
    const moving = new Set(movers.map((element) => element.uid));
    this.gesture = {
      kind: "move",
      uids: [...moving],
      starts: new Map(movers.map((element) => [element.uid, { x: element.x, y: element.y }])),
      area: unionBounds(movers),
      targets: this.snapTargets(moving),
      start: this.point(event),
      collapseTo,
      moved: false,
    };
    this.listen("is-moving");
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
    this.listen("is-resizing");
  }

  /** Resize several elements together: their positions and sizes scale with the box around them. */
  startGroupResize(event, handle) {
    const elements = this.store.selectedElements;
    if (elements.length < 2 || elements.some((element) => element.locked)) return;
    event.preventDefault();
    event.stopPropagation();
    const area = unionBounds(elements);
    this.gesture = {
      kind: "group-resize",
      handle,
      start: this.point(event),
      area: { x: area.left, y: area.top, width: area.right - area.left, height: area.bottom - area.top, rotation: 0 },
      starts: new Map(elements.map((element) => [element.uid, { ...element }])),
    };
    this.listen("is-resizing");
  }

  startMarquee(event) {
    event.preventDefault();
    this.viewport.focus({ preventScroll: true }); // so the keyboard shortcuts apply to the canvas
    this.gesture = {
      kind: "marquee",
      start: this.point(event),
      base: event.shiftKey ? [...this.store.selectedUids] : [],
      additive: event.shiftKey,
      moved: false,
    };
    this.listen("is-selecting");
  }

  startPan(event) {
    event.preventDefault();
    if (this.fitted) this.zoomAround(this.zoom); // gives the canvas room to move
    this.gesture = {
      kind: "pan",
      x: event.clientX,
      y: event.clientY,
      left: this.viewport.scrollLeft,
      top: this.viewport.scrollTop,
    };
    this.listen("is-panning");
  }

  onPointerMove(event) {
    const gesture = this.gesture;
    if (!gesture) return;
    if (gesture.kind === "pan") {
      this.viewport.scrollLeft = gesture.left - (event.clientX - gesture.x);
      this.viewport.scrollTop = gesture.top - (event.clientY - gesture.y);
      return;
    }
    const point = this.point(event);
    const dx = point.x - gesture.start.x;
    const dy = point.y - gesture.start.y;
    if (gesture.kind === "marquee") {
      this.moveMarquee(gesture, point);
      return;
    }
    if (gesture.kind === "move") {
      if (!gesture.moved && Math.hypot(dx, dy) * this.zoom < 3) return;
      gesture.moved = true;
      let offset = { dx: Math.round(dx), dy: Math.round(dy), guides: [] };
      if (!event.altKey) offset = snapOffset(gesture.area, dx, dy, gesture.targets, SNAP_PX / this.zoom);
      this.showGuides(offset.guides);
      this.store.updateMany(
        gesture.uids,
        (element) => ({ x: gesture.starts.get(element.uid).x + offset.dx, y: gesture.starts.get(element.uid).y + offset.dy }),
        { commit: false, reason: "geometry" },
      );
      return;
    }
    if (gesture.kind === "group-resize") {
      const from = gesture.area;
      const to = resizeBox(from, gesture.handle, dx, dy, { keepRatio: event.shiftKey });
      const sx = to.width / Math.max(1, from.width);
      const sy = to.height / Math.max(1, from.height);
      this.store.updateMany(
        [...gesture.starts.keys()],
        (element) => {
          const start = gesture.starts.get(element.uid);
          return {
            x: Math.round(to.x + (start.x - from.x) * sx),
            y: Math.round(to.y + (start.y - from.y) * sy),
            width: Math.max(1, Math.round(start.width * sx)),
            height: Math.max(1, Math.round(start.height * sy)),
          };
        },
        { commit: false, reason: "geometry" },
      );
      return;
    }
    let values;
    if (gesture.kind === "resize") {
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
    document.body.classList.remove("is-moving", "is-resizing", "is-selecting", "is-panning");
    const gesture = this.gesture;
    this.gesture = null;
    this.showGuides([]);
    if (!gesture || gesture.kind === "pan") return;
    if (gesture.kind === "marquee") {
      this.marquee.hidden = true;
      if (!gesture.moved && !gesture.additive) this.store.select(null);
      return;
    }
    if (gesture.kind === "move" && !gesture.moved) {
      if (gesture.collapseTo) this.store.select(gesture.collapseTo);
      return;
    }
    this.store.checkpoint();
    this.store.emit("geometry-end");
  }

  moveMarquee(gesture, point) {
    const left = Math.min(point.x, gesture.start.x);
    const top = Math.min(point.y, gesture.start.y);
    const right = Math.max(point.x, gesture.start.x);
    const bottom = Math.max(point.y, gesture.start.y);
    if (!gesture.moved && (right - left) * this.zoom < 3 && (bottom - top) * this.zoom < 3) return;
    gesture.moved = true;
    const style = this.marquee.style;
    this.marquee.hidden = false;
    style.left = `${left * this.zoom}px`;
    style.top = `${top * this.zoom}px`;
    style.width = `${(right - left) * this.zoom}px`;
    style.height = `${(bottom - top) * this.zoom}px`;
    const hits = this.store.doc.elements
      .filter((element) => {
        if (element.hidden) return false;
        const box = bounds(element);
        return box.left < right && box.right > left && box.top < bottom && box.bottom > top;
      })
      .map((element) => element.uid);
    this.store.setSelection([...gesture.base, ...hits]);
  }

  // --- snapping --------------------------------------------------------------

  /** The lines a moved box snaps to: the canvas's edges and centre, and every other visible element's. */
  snapTargets(moving) {
    const { width, height } = this.store.doc;
    const targets = { x: [0, width / 2, width], y: [0, height / 2, height] };
    for (const element of this.store.doc.elements) {
      if (moving.has(element.uid) || element.hidden) continue;
      const box = bounds(element);
      targets.x.push(box.left, (box.left + box.right) / 2, box.right);
      targets.y.push(box.top, (box.top + box.bottom) / 2, box.bottom);
    }
    return targets;
  }

  showGuides(guides) {
    for (const line of this.guides) line.remove();
    this.guides = guides.map(({ axis, at }) => {
      const line = document.createElement("div");
      line.className = `guide guide-${axis}`;
      line.dataset.at = String(Math.round(at * 100) / 100);
      if (axis === "x") line.style.left = `${at * this.zoom}px`;
      else line.style.top = `${at * this.zoom}px`;
      this.overlay.appendChild(line);
      return line;
    });
  }

  // --- text on the canvas -----------------------------------------------------

  /** Edit a text element in place: Enter keeps the text, Escape drops it, Shift+Enter is a new line. */
  editText(uid) {
    const element = this.store.element(uid);
    const node = this.nodes.get(uid);
    if (!element || !node || element.type !== "text" || element.locked) return;
    this.closeEditor(true);
    this.store.select(uid);
    const inner = node.querySelector(".el-text-inner");
    const editor = document.createElement("textarea");
    editor.className = "el-text-editor";
    editor.dataset.for = uid;
    editor.value = element.text;
    editor.spellcheck = false;
    editor.setAttribute("aria-label", `Text of “${element.name}” (Enter keeps it, Escape cancels, Shift+Enter adds a line)`);
    const style = editor.style;
    style.left = `${element.x}px`;
    style.top = `${element.y}px`;
    style.width = `${element.width}px`;
    style.height = `${element.height}px`;
    style.transform = element.rotation ? `rotate(${element.rotation}deg)` : "";
    for (const property of ["fontFamily", "fontWeight", "fontStyle", "fontSize", "color", "textAlign", "lineHeight", "letterSpacing", "textTransform"]) {
      style[property] = inner.style[property];
    }
    style.fontVariationSettings = getComputedStyle(inner).fontVariationSettings;
    editor.addEventListener("keydown", (event) => {
      // The page's shortcuts leave text fields alone (all but Ctrl/⌘+S, which keeps the text first).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.closeEditor(true);
      } else if (event.key === "Escape") {
        event.preventDefault();
        this.closeEditor(false);
      }
    });
    editor.addEventListener("blur", () => this.closeEditor(true));
    this.editor = editor;
    node.classList.add("is-editing");
    this.canvas.appendChild(editor);
    editor.focus({ preventScroll: true });
    editor.select();
  }

  closeEditor(keep) {
    const editor = this.editor;
    if (!editor) return;
    this.editor = null;
    const uid = editor.dataset.for;
    this.nodes.get(uid)?.classList.remove("is-editing");
    const text = editor.value;
    editor.remove();
    const element = this.store.element(uid);
    if (keep && element && element.text !== text) this.store.updateElement(uid, { text });
    this.focusSelected();
  }

  focusSelected() {
    const node = this.nodes.get(this.store.selected);
    if (node && document.activeElement !== node) {
      this.focusing = true;
      node.focus({ preventScroll: true });
      this.focusing = false;
    }
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

function hostOf(src) {
  try {
    return new URL(src).hostname;
  } catch {
    return "";
  }
}

const pictureTimers = new WeakMap();

function drawImage(node, element) {
  const src = element.src || "";
  node.style.borderRadius = `${element.border_radius}px`;
  if (isLocalSource(src)) {
    delete node.dataset.remote;
    clearTimeout(pictureTimers.get(node));
    let img = node.querySelector("img");
    if (!img) {
      img = pictureNode();
      node.replaceChildren(img);
    }
    if (img.getAttribute("src") !== src) img.src = src;
    img.style.objectFit = element.fit;
    return;
  }
  const host = /^https?:\/\//i.test(src) ? hostOf(src) : "";
  if (host && this.pictureUrl) {
    const img = node.querySelector("img");
    if (img) img.style.objectFit = element.fit;
    if (node.dataset.remote === src) return;
    node.dataset.remote = src;
    node.replaceChildren(note(`${host}\nloading…`));
    // The page may not load other origins (CSP): the server fetches the picture for it, once
    // the URL has stopped changing (a URL being typed is not fetched letter by letter).
    clearTimeout(pictureTimers.get(node));
    pictureTimers.set(
      node,
      setTimeout(() => {
        const picture = pictureNode();
        picture.style.objectFit = element.fit;
        picture.addEventListener("load", () => {
          if (node.dataset.remote !== src) return;
          picture.style.objectFit = this.store.element(node.dataset.uid)?.fit ?? element.fit;
          node.replaceChildren(picture);
        });
        picture.addEventListener("error", () => {
          if (node.dataset.remote === src) node.replaceChildren(note(`${host}\ncould not be fetched`));
        });
        picture.src = `${this.pictureUrl}?src=${encodeURIComponent(src)}`;
      }, PICTURE_DELAY),
    );
    return;
  }
  delete node.dataset.remote;
  clearTimeout(pictureTimers.get(node));
  let label = "Image: set a URL or upload";
  if (src) label = host ? `${host}\nshown in the preview` : "Not a valid URL";
  const shown = node.querySelector(".el-image-note");
  if (shown && !node.querySelector("img")) shown.textContent = label;
  else node.replaceChildren(note(label));
}

function pictureNode() {
  const img = document.createElement("img");
  img.alt = "";
  img.draggable = false;
  return img;
}

function drawQr(node, element) {
  const key = `${element.value}|${element.color}|${element.background_color}`;
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  // The renderer fills the whole box with the background and centres the square code in it.
  node.style.backgroundColor = element.background_color || "";
  let picture;
  try {
    picture = element.value ? qrPicture(element.value, element.color || "#000000") : null;
  } catch {
    picture = note("Too long for a QR code");
  }
  node.replaceChildren(picture ?? note("QR code: set a value"));
}

function note(text) {
  const div = document.createElement("div");
  div.className = "el-image-note";
  div.textContent = text;
  return div;
}

// The renderer's segno picks the most compact mode; choosing the same keeps the two codes alike.
function qrMode(value) {
  if (/^[0-9]+$/.test(value)) return "Numeric";
  if (/^[0-9A-Z $%*+\-./:]+$/.test(value)) return "Alphanumeric";
  return "Byte";
}

/** The real QR code of `value` (error correction M and a 4-module quiet zone, as the renderer draws it). */
function qrPicture(value, color) {
  const code = qrcode(0, QR_ERROR_CORRECTION);
  code.addData(value, qrMode(value));
  code.make();
  const count = code.getModuleCount();
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `${-QR_QUIET_ZONE} ${-QR_QUIET_ZONE} ${count + 2 * QR_QUIET_ZONE} ${count + 2 * QR_QUIET_ZONE}`);
  svg.setAttribute("aria-hidden", "true");
  // One path of horizontal runs, like the renderer: no seams between neighbouring modules.
  const parts = [];
  for (let row = 0; row < count; row += 1) {
    let col = 0;
    while (col < count) {
      if (!code.isDark(row, col)) {
        col += 1;
        continue;
      }
      const start = col;
      while (col < count && code.isDark(row, col)) col += 1;
      parts.push(`M${start} ${row}h${col - start}v1h${start - col}z`);
    }
  }
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", parts.join(""));
  path.setAttribute("fill", color);
  svg.appendChild(path);
  return svg;
}

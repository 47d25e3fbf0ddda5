// The designer: wires the state, the canvas, the panels, the server preview, saving,
// keyboard shortcuts and the "Use via API" panel. Loaded as an ES module (no build step).

import { Fonts } from "./fonts.js";
import { Panels } from "./panels.js";
import { describe, Preview } from "./preview.js";
import { alignTo, distribute, unionBounds } from "./geometry.js";
import { snippets } from "./snippets.js";
import { Stage } from "./stage.js";
import { defaultElement, Store } from "./store.js";
import { TestRender } from "./test-render.js";

const MAX_EMBED_BYTES = 700 * 1024;
const MAX_EMBED_SIDE = 1600;

const root = document.querySelector("[data-designer]");
const config = JSON.parse(document.getElementById("designer-config").textContent);
const store = new Store(config.template, config.fields);
let stage = null;
const fonts = new Fonts(config.fonts, () => stage?.render());
stage = new Stage({ store, fonts, root, pictureUrl: config.urls.picture });
const panels = new Panels({
  store,
  fonts,
  root,
  onUpload: embedPicture,
  onUploadFont: uploadFont,
  onFocusElement: () => stage.focusSelected(),
  onDuplicate: () => duplicateSelection(),
});
const preview = new Preview({ store, url: config.urls.preview, csrfToken: config.csrf_token, root });

const $ = (selector) => root.querySelector(selector);
const buttons = {
  undo: $('[data-action="undo"]'),
  redo: $('[data-action="redo"]'),
  save: $('[data-action="save"]'),
};
const arrangeButtons = [...root.querySelectorAll("[data-arrange]")];
const saveStatus = $("[data-save-status]");
const versionBadge = $("[data-version]");
const titleNode = $("[data-title]");
const toast = $("[data-toast]");
let saving = false;

// --- state → screen ----------------------------------------------------------------

const DOC_CHANGES = new Set(["change", "element", "geometry", "geometry-end", "structure", "history", "size", "template", "commit"]);

store.subscribe((reason) => {
  if (reason !== "errors" && reason !== "saved") stage.render();
  if (reason === "size" || reason === "history") {
    if (stage.fitted) stage.fit();
    else stage.setZoom(stage.zoom);
  }
  if (["selection", "structure", "history", "errors", "saved", "commit"].includes(reason)) {
    panels.renderLayers();
    panels.renderProperties(reason === "history");
  } else {
    panels.sync();
  }
  if (DOC_CHANGES.has(reason)) {
    preview.schedule();
    scheduleSnippets();
  }
  updateChrome();
});

function updateChrome() {
  const movable = store.selectedElements.filter((element) => !element.locked).length;
  for (const button of arrangeButtons) button.disabled = movable === 0;
  buttons.undo.disabled = !store.canUndo;
  buttons.redo.disabled = !store.canRedo;
  const dirty = store.dirty;
  root.classList.toggle("is-dirty", dirty);
  if (!saving) saveStatus.textContent = dirty ? "Unsaved changes" : "All changes saved";
  versionBadge.textContent = `v${store.version}`;
  titleNode.textContent = store.doc.name || "Untitled";
  document.title = `${dirty ? "• " : ""}${store.doc.name} · Designer · Imagior`;
}

// --- adding elements -----------------------------------------------------------------

const BASE_NAMES = { text: "text", rect: "rectangle", ellipse: "ellipse", image: "image", qr_code: "qr" };

for (const button of root.querySelectorAll("[data-add]")) {
  button.addEventListener("click", () => {
    const type = button.dataset.add;
    const element = defaultElement(type, config.fields, store.doc, store.uniqueName(BASE_NAMES[type]));
    store.add(element);
    stage.focusSelected();
  });
}

// --- toolbar -------------------------------------------------------------------------

const actions = {
  undo: () => store.undo(),
  redo: () => store.redo(),
  save: () => save(),
  "zoom-in": () => stage.zoomBy(1),
  "zoom-out": () => stage.zoomBy(-1),
  "zoom-fit": () => stage.fit(),
  "zoom-100": () => stage.setZoom(1),
  preview: () => preview.run({ force: true }),
  template: () => store.select(null),
};
for (const button of root.querySelectorAll("[data-action]")) {
  button.addEventListener("click", () => actions[button.dataset.action]?.());
}

const overlayToggle = $("[data-overlay-toggle]");
overlayToggle.addEventListener("change", () => {
  root.classList.toggle("shows-preview", overlayToggle.checked);
  if (overlayToggle.checked) preview.run();
});
const autoToggle = $("[data-auto-preview]");
autoToggle.addEventListener("change", () => {
  preview.auto = autoToggle.checked;
  if (preview.auto) preview.schedule();
});

// Tabs of the right-hand panel.
const tabs = [...root.querySelectorAll('[role="tab"]')];
function showTab(tab) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", selected ? "true" : "false");
    other.tabIndex = selected ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (tab.dataset.tab === "api") renderSnippets();
}
for (const tab of tabs) {
  tab.addEventListener("click", () => showTab(tab));
  tab.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    showTab(next);
  });
}

// --- "Use via API" -------------------------------------------------------------------

let snippetTimer = null;
function scheduleSnippets() {
  clearTimeout(snippetTimer);
  snippetTimer = setTimeout(renderSnippets, 300);
}

function renderSnippets() {
  const code = snippets({
    templateId: store.id,
    elements: store.body().elements,
    endpoint: config.urls.api_images,
  });
  for (const [language, text] of Object.entries(code)) {
    const node = root.querySelector(`[data-snippet="${language}"]`);
    if (node) node.textContent = text;
  }
  const names = $("[data-element-names]");
  names.replaceChildren(
    ...store.doc.elements.map((element) => {
      const item = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = element.name;
      item.append(code, ` — ${element.type}`);
      return item;
    }),
  );
}

for (const button of root.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const text = root.querySelector(`[data-snippet="${button.dataset.copy}"]`).textContent;
    try {
      await navigator.clipboard.writeText(text);
      flash("Copied to the clipboard.");
    } catch {
      flash("Copying was refused by the browser: select the text and copy it.");
    }
  });
}

// --- saving --------------------------------------------------------------------------

/** Saves the document; resolves to true when it is saved. */
async function save({ overwrite = false } = {}) {
  if (saving) return false;
  stage.closeEditor(true); // text being typed on the canvas is part of what is saved
  let saved = false;
  store.checkpoint();
  saving = true;
  buttons.save.disabled = true;
  saveStatus.textContent = "Saving…";
  const headers = { "Content-Type": "application/json", "X-CSRFToken": config.csrf_token };
  if (overwrite) headers["X-Overwrite"] = "1";
  try {
    const response = await fetch(config.urls.save, {
      method: "PUT",
      credentials: "same-origin",
      headers,
      body: JSON.stringify({ ...store.body(), version: store.version }),
    });
    const data = await response.json().catch(() => ({}));
    saving = false;
    if (response.ok) {
      store.setErrors([]);
      store.markSaved(data.template);
      flash(`Saved — version ${data.template.version}.`);
      saved = true;
    } else if (response.status === 409) {
      saveStatus.textContent = "Changed elsewhere";
      if (window.confirm(`${data.errors[0].message}\n\nOverwrite it with your version?`)) {
        saved = await save({ overwrite: true });
      }
    } else if (response.status === 401) {
      saveStatus.textContent = "Not saved: log in again (in another tab) and save.";
    } else {
      store.setErrors(data.errors || []);
      const first = (data.errors || [])[0];
      saveStatus.textContent = "Not saved: fix the marked fields";
      flash(first ? `Not saved. ${describe(store, first.field)}: ${first.message}` : "Not saved.", true);
      selectFirstError();
    }
  } catch {
    saving = false;
    saveStatus.textContent = "Not saved: the server could not be reached";
  } finally {
    saving = false;
    buttons.save.disabled = false;
    updateChrome();
  }
  return saved;
}

function selectFirstError() {
  const match = store.errors.map((e) => /^elements\[(\d+)\]/.exec(e.field || "")).find(Boolean);
  if (match) {
    const element = store.doc.elements[Number(match[1])];
    if (element) store.select(element.uid);
  } else if (store.errors.length) {
    store.select(null);
  }
}

let toastTimer = null;
function flash(message, isError = false) {
  toast.textContent = message;
  toast.classList.toggle("is-error", isError);
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toast.hidden = true;
  }, 4000);
}

window.addEventListener("beforeunload", (event) => {
  if (store.dirty) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// --- keyboard ------------------------------------------------------------------------

document.addEventListener("keydown", (event) => {
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (mod && key === "s") {
    event.preventDefault();
    save();
    return;
  }
  // Form fields keep their own undo and arrow keys; tabs use the arrows to switch.
  if (event.target.closest('input, textarea, select, [contenteditable], [role="tab"]')) return;
  if (mod && ((key === "z" && event.shiftKey) || key === "y")) {
    event.preventDefault();
    store.redo();
    return;
  }
  if (mod && key === "z") {
    event.preventDefault();
    store.undo();
    return;
  }
  if (event.key === "Escape") {
    store.select(null);
    return;
  }
  const chosen = store.selectedElements;
  const unlocked = chosen.filter((element) => !element.locked);
  if (mod && !event.altKey && !event.shiftKey && ["c", "v", "d"].includes(key)) {
    // Text selected on the page (a snippet, a hint) is copied as text.
    if (key === "c" && !window.getSelection().isCollapsed) return;
    event.preventDefault();
    if (key === "c") copySelection();
    else if (key === "v") pasteClipboard();
    else duplicateSelection();
    return;
  }
  if (!chosen.length || mod || event.altKey) return;
  // Enter on the canvas (not on a focused button, which Enter presses) edits the text in place.
  const onCanvas = event.target === document.body || event.target === stage.viewport || event.target.closest("[data-uid]");
  if (event.key === "Enter" && onCanvas && chosen.length === 1 && chosen[0].type === "text") {
    event.preventDefault();
    stage.editText(chosen[0].uid);
    return;
  }
  if ((event.key === "Delete" || event.key === "Backspace") && unlocked.length) {
    event.preventDefault();
    store.removeMany(unlocked.map((element) => element.uid));
    stage.viewport.focus({ preventScroll: true });
    return;
  }
  const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
  if (steps && unlocked.length) {
    event.preventDefault();
    const by = event.shiftKey ? 10 : 1;
    store.updateMany(
      unlocked.map((element) => element.uid),
      (element) => ({ x: element.x + steps[0] * by, y: element.y + steps[1] * by }),
    );
  }
});

// --- copy, paste, duplicate ------------------------------------------------------------

// The designer's own clipboard (elements as JSON); each paste of the same copy lands 20 px further.
const PASTE_OFFSET = 20;
let clipboard = [];
let pastes = 0;

function copySelection() {
  if (!store.selectedElements.length) return;
  clipboard = store.selectedElements.map(({ uid: _uid, ...element }) => structuredClone(element));
  pastes = 0;
  flash(`Copied ${clipboard.length === 1 ? clipboard[0].name : `${clipboard.length} elements`}.`);
}

function pasteClipboard() {
  if (!clipboard.length) return;
  pastes += 1;
  store.paste(clipboard, PASTE_OFFSET * pastes);
  stage.focusSelected();
}

function duplicateSelection() {
  const chosen = store.selectedElements;
  if (!chosen.length) return;
  store.paste(chosen, PASTE_OFFSET);
  stage.focusSelected();
}

// --- align and distribute ---------------------------------------------------------------

/** Align or distribute the selection: within its own bounds when 2+ are selected, on the canvas when one. */
function arrange(mode) {
  const chosen = store.selectedElements;
  const movable = chosen.filter((element) => !element.locked);
  if (!movable.length) return;
  const canvas = { left: 0, top: 0, right: store.doc.width, bottom: store.doc.height };
  let moves;
  if (mode === "distribute-x" || mode === "distribute-y") {
    const inside = chosen.length >= 3;
    moves = distribute(movable, mode.slice(-1), inside ? unionBounds(chosen) : canvas, { inside });
  } else {
    moves = alignTo(movable, mode, chosen.length >= 2 ? unionBounds(chosen) : canvas);
  }
  store.updateMany([...moves.keys()], (element) => moves.get(element.uid));
}

for (const button of arrangeButtons) button.addEventListener("click", () => arrange(button.dataset.arrange));

// --- uploads -------------------------------------------------------------------------

/** A picture file as a `data:` URI, downscaled to at most 1600 px a side; refused over 700 KB. */
/** POST a font file to the account (dashboard/designer.py upload_font) → {family, weight, italic}. */
async function uploadFont(file) {
  const body = new FormData();
  body.append("file", file);
  let response;
  try {
    response = await fetch(config.urls.font_upload, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": config.csrf_token },
      credentials: "same-origin",
    });
  } catch {
    throw new Error("The upload failed: check the connection and try again.");
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.errors?.[0]?.message || answer.detail || "The font could not be uploaded.");
  return answer.font;
}

async function embedPicture(file) {
  if (!/^image\/(png|jpeg|webp|gif)$/.test(file.type)) {
    throw new Error("Choose a PNG, JPEG, WebP or GIF picture.");
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error("This file could not be read as a picture.");
  }
  const scale = Math.min(1, MAX_EMBED_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  // JPEG for photos; PNG keeps the transparency PNG, GIF and WebP files may have.
  const uri = file.type === "image/jpeg" ? canvas.toDataURL("image/jpeg", 0.85) : canvas.toDataURL("image/png");
  if (uri.length > MAX_EMBED_BYTES) {
    const kb = Math.round(uri.length / 1024);
    throw new Error(
      `Still ${kb} KB after downscaling to ${canvas.width}×${canvas.height}; the limit is 700 KB. ` +
        "Use a smaller picture, a JPEG, or host it and paste its https URL.",
    );
  }
  return uri;
}

new TestRender({
  root,
  url: config.urls.test_render,
  csrfToken: config.csrf_token,
  save: () => save(),
  isDirty: () => store.dirty,
  version: () => store.version,
});

// --- start ---------------------------------------------------------------------------

stage.render();
stage.fit();
panels.renderLayers();
panels.renderProperties(true);
updateChrome();
renderSnippets();
preview.run({ force: true });
root.classList.add("is-ready");

// A read-only handle for debugging and the browser tests: the document as it would be saved.
window.imagiorDesigner = Object.freeze({
  state: () => ({
    ...store.body(),
    version: store.version,
    selected: store.selection?.name ?? null,
    selection: store.selectedElements.map((element) => element.name),
    zoom: stage.zoom,
  }),
  dirty: () => store.dirty,
});

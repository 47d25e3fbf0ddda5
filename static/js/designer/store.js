// The designer's state: the template being edited, the selection and the undo history.
// Elements carry a client-only `uid` (stripped before anything is sent to the server).

const HISTORY_LIMIT = 200;
let nextUid = 1;

export const NAME_RE = /^[a-z0-9_-]{1,64}$/;
export const COLOR_RE = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

export function newUid() {
  nextUid += 1;
  return `el${nextUid}`;
}

function snapshot(doc) {
  return JSON.stringify(doc);
}

export class Store {
  constructor(template, fields) {
    this.fields = fields;
    this.id = template.id;
    this.version = template.version;
    this.doc = {
      name: template.name,
      width: template.width,
      height: template.height,
      background: template.background,
      elements: template.elements.map((element) => ({ ...element, uid: newUid() })),
    };
    this.selected = null; // uid
    this.past = [];
    this.future = [];
    this.committed = snapshot(this.doc);
    this.saved = this.committed;
    this.listeners = new Set();
    this.errors = []; // [{field, code, message}] from the last save or preview
    this.locks = loadLocks(this.id);
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(reason) {
    for (const listener of this.listeners) listener(reason);
  }

  // --- reading ------------------------------------------------------------

  element(uid) {
    return this.doc.elements.find((element) => element.uid === uid) || null;
  }

  get selection() {
    return this.element(this.selected);
  }

  indexOf(uid) {
    return this.doc.elements.findIndex((element) => element.uid === uid);
  }

  isLocked(uid) {
    const element = this.element(uid);
    return Boolean(element && this.locks.has(element.name));
  }

  get dirty() {
    return snapshot(this.doc) !== this.saved;
  }

  /** The template body as the API and the designer's endpoints take it. */
  body() {
    return {
      name: this.doc.name,
      width: this.doc.width,
      height: this.doc.height,
      background: this.doc.background,
      elements: this.doc.elements.map(({ uid, ...element }) => element),
    };
  }

  // --- changing -------------------------------------------------------------

  /** Change the document. `commit: false` for live changes (drag, typing) finished by checkpoint(). */
  change(mutate, { commit = true, reason = "change" } = {}) {
    mutate(this.doc);
    if (commit) this.checkpoint();
    this.emit(reason);
  }

  updateElement(uid, values, options = {}) {
    const element = this.element(uid);
    if (!element) return;
    this.change(() => Object.assign(element, values), { reason: "element", ...options });
  }

  /** Record the current document as one undo step (if it changed since the last one). */
  checkpoint() {
    const now = snapshot(this.doc);
    if (now === this.committed) return;
    this.past.push(this.committed);
    if (this.past.length > HISTORY_LIMIT) this.past.shift();
    this.future = [];
    this.committed = now;
  }

  get canUndo() {
    return this.past.length > 0 || snapshot(this.doc) !== this.committed;
  }

  get canRedo() {
    return this.future.length > 0;
  }

  undo() {
    this.checkpoint();
    if (!this.past.length) return;
    this.future.push(this.committed);
    this.restore(this.past.pop());
  }

  redo() {
    if (!this.future.length) return;
    this.past.push(this.committed);
    this.restore(this.future.pop());
  }

  restore(state) {
    this.committed = state;
    this.doc = JSON.parse(state);
    if (this.selected && !this.element(this.selected)) this.selected = null;
    this.emit("history");
  }

  select(uid) {
    if (this.selected === uid) return;
    this.selected = uid;
    this.emit("selection");
  }

  add(element) {
    const added = { ...element, uid: newUid() };
    this.change((doc) => doc.elements.push(added), { reason: "structure" });
    this.select(added.uid);
    return added;
  }

  remove(uid) {
    const index = this.indexOf(uid);
    if (index < 0) return;
    if (this.selected === uid) this.selected = null;
    this.change((doc) => doc.elements.splice(index, 1), { reason: "structure" });
  }

  /** Move an element one step up (towards the top of the drawing order) or down. */
  move(uid, step) {
    const index = this.indexOf(uid);
    const target = index + step;
    if (index < 0 || target < 0 || target >= this.doc.elements.length) return;
    this.change(
      (doc) => {
        const [element] = doc.elements.splice(index, 1);
        doc.elements.splice(target, 0, element);
      },
      { reason: "structure" },
    );
  }

  rename(uid, name) {
    const element = this.element(uid);
    if (!element || element.name === name) return;
    if (this.locks.has(element.name)) {
      this.locks.delete(element.name);
      this.locks.add(name);
      saveLocks(this.id, this.locks);
    }
    this.updateElement(uid, { name }, { reason: "structure" });
  }

  /** Locking is the editor's own (the API has no such field): kept per browser. */
  toggleLock(uid) {
    const element = this.element(uid);
    if (!element) return;
    if (this.locks.has(element.name)) this.locks.delete(element.name);
    else this.locks.add(element.name);
    saveLocks(this.id, this.locks);
    this.emit("structure");
  }

  nameProblem(uid, name) {
    if (!NAME_RE.test(name)) return "Use 1–64 characters: a–z, 0–9, _ and -.";
    if (this.doc.elements.some((element) => element.uid !== uid && element.name === name)) {
      return `Another element is already named “${name}”.`;
    }
    return null;
  }

  uniqueName(base) {
    const names = new Set(this.doc.elements.map((element) => element.name));
    for (let n = 1; ; n += 1) {
      const name = n === 1 ? base : `${base}_${n}`;
      if (!names.has(name)) return name;
    }
  }

  markSaved(template) {
    this.version = template.version;
    this.saved = snapshot(this.doc);
    this.emit("saved");
  }

  setErrors(errors) {
    this.errors = errors || [];
    this.emit("errors");
  }

  /** Errors for one element, keyed by field (paths look like `elements[3].font_size`). */
  errorsFor(uid) {
    const index = this.indexOf(uid);
    const result = {};
    for (const error of this.errors) {
      const match = /^elements\[(\d+)\](?:\.(\w+))?/.exec(error.field || "");
      if (match && Number(match[1]) === index) result[match[2] || ""] = error.message;
    }
    return result;
  }

  templateErrors() {
    const result = {};
    for (const error of this.errors) {
      if (!(error.field || "").startsWith("elements[")) result[error.field || ""] = error.message;
    }
    return result;
  }
}

function loadLocks(id) {
  try {
    return new Set(JSON.parse(window.localStorage.getItem(`imagior.locks.${id}`) || "[]"));
  } catch {
    return new Set();
  }
}

function saveLocks(id, locks) {
  try {
    window.localStorage.setItem(`imagior.locks.${id}`, JSON.stringify([...locks]));
  } catch {
    // Storage may be full or disabled: locks then last for this visit only.
  }
}

/** A new element of `type` with every field at its default (docs/designer.md), centred in the canvas. */
export function defaultElement(type, fields, doc, name) {
  const element = { name, type };
  for (const [field, spec] of Object.entries(fields.common)) element[field] = spec.default;
  for (const [field, spec] of Object.entries(fields.types[type])) element[field] = spec.default;
  const size = {
    text: [Math.round(doc.width * 0.6), Math.round(doc.height * 0.2)],
    rect: [Math.round(doc.width * 0.3), Math.round(doc.height * 0.3)],
    ellipse: [Math.round(Math.min(doc.width, doc.height) * 0.3), Math.round(Math.min(doc.width, doc.height) * 0.3)],
    image: [Math.round(doc.width * 0.4), Math.round(doc.height * 0.4)],
    qr_code: [Math.round(Math.min(doc.width, doc.height) * 0.3), Math.round(Math.min(doc.width, doc.height) * 0.3)],
  }[type];
  element.width = Math.max(1, size[0]);
  element.height = Math.max(1, size[1]);
  element.x = Math.round((doc.width - element.width) / 2);
  element.y = Math.round((doc.height - element.height) / 2);
  if (type === "text") {
    element.text = "Your text here";
    element.font_size = Math.max(12, Math.round(Math.min(doc.width, doc.height) / 12));
  }
  if (type === "rect") element.fill = "#4f46e5";
  if (type === "ellipse") element.fill = "#f59e0b";
  if (type === "qr_code") element.value = "https://example.com";
  return element;
}

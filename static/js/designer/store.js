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
    this.selectedUids = []; // the selection, in the order it was made
    this.past = [];
    this.future = [];
    this.committed = snapshot(this.doc);
    this.saved = this.committed;
    this.listeners = new Set();
    this.errors = []; // [{field, code, message}] from the last save or preview
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

  /** The one selected element's uid, or null when none or several are selected. */
  get selected() {
    return this.selectedUids.length === 1 ? this.selectedUids[0] : null;
  }

  get selection() {
    return this.element(this.selected);
  }

  /** Every selected element, in drawing order. */
  get selectedElements() {
    const chosen = new Set(this.selectedUids);
    return this.doc.elements.filter((element) => chosen.has(element.uid));
  }

  isSelected(uid) {
    return this.selectedUids.includes(uid);
  }

  indexOf(uid) {
    return this.doc.elements.findIndex((element) => element.uid === uid);
  }

  isLocked(uid) {
    return Boolean(this.element(uid)?.locked);
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
    this.selectedUids = this.selectedUids.filter((uid) => this.element(uid));
    this.emit("history");
  }

  select(uid) {
    this.setSelection(uid ? [uid] : []);
  }

  setSelection(uids) {
    const next = [...new Set(uids)].filter((uid) => this.element(uid));
    if (next.length === this.selectedUids.length && next.every((uid, i) => uid === this.selectedUids[i])) return;
    this.selectedUids = next;
    this.emit("selection");
  }

  /** Shift-click: add the element to the selection, or take it out. */
  toggleSelected(uid) {
    if (this.isSelected(uid)) this.setSelection(this.selectedUids.filter((other) => other !== uid));
    else this.setSelection([...this.selectedUids, uid]);
  }

  /** Change several elements at once: `values(element)` gives each one's new values. */
  updateMany(uids, values, options = {}) {
    const elements = uids.map((uid) => this.element(uid)).filter(Boolean);
    if (!elements.length) return;
    this.change(
      () => {
        for (const element of elements) Object.assign(element, typeof values === "function" ? values(element) : values);
      },
      { reason: "element", ...options },
    );
  }

  add(element) {
    const added = { ...element, uid: newUid() };
    this.change((doc) => doc.elements.push(added), { reason: "structure" });
    this.select(added.uid);
    return added;
  }

  remove(uid) {
    this.removeMany([uid]);
  }

  /** Delete several elements as one undo step. */
  removeMany(uids) {
    const gone = new Set(uids.filter((uid) => this.element(uid)));
    if (!gone.size) return;
    this.selectedUids = this.selectedUids.filter((uid) => !gone.has(uid));
    this.change((doc) => {
      doc.elements = doc.elements.filter((element) => !gone.has(element.uid));
    }, { reason: "structure" });
  }

  /**
   * Add copies of `elements` (plain element objects) shifted by `offset` canvas pixels, with
   * unique names, on top of the drawing order, as one undo step; the copies become the selection.
   */
  paste(elements, offset) {
    const added = [];
    this.change(
      (doc) => {
        for (const source of elements) {
          const { uid: _uid, ...copy } = source;
          const base = copy.name.replace(/_\d+$/, "").slice(0, 58) || "element";
          const element = { ...copy, name: this.uniqueName(base), x: copy.x + offset, y: copy.y + offset, uid: newUid() };
          doc.elements.push(element);
          added.push(element);
        }
      },
      { reason: "structure" },
    );
    this.setSelection(added.map((element) => element.uid));
    return added;
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
    this.updateElement(uid, { name }, { reason: "structure" });
  }

  /** Lock is the element's `locked` field: saved with the template, ignored by the renderer. */
  toggleLock(uid) {
    const element = this.element(uid);
    if (!element) return;
    this.updateElement(uid, { locked: !element.locked }, { reason: "structure" });
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

// The layers panel and the properties panel (every field of docs/designer.md, generated from the
// server's field table so nothing is left out), plus the template's own settings.

import { COLOR_RE, defaultElement } from "./store.js";

const TYPE_LABELS = { text: "Text", rect: "Rectangle", ellipse: "Ellipse", image: "Image", qr_code: "QR code" };
const ICONS = { text: "T", rect: "■", ellipse: "●", image: "▨", qr_code: "▦" };
const LABELS = {
  x: "X",
  y: "Y",
  width: "Width",
  height: "Height",
  rotation: "Rotation (°)",
  opacity: "Opacity",
  hidden: "Hidden",
  locked: "Locked",
  text: "Text",
  font_family: "Font",
  font_size: "Size",
  font_weight: "Weight",
  italic: "Italic",
  color: "Colour",
  align: "Align",
  vertical_align: "Vertical align",
  line_height: "Line height (×)",
  letter_spacing: "Letter spacing",
  text_transform: "Transform",
  fit: "Fit",
  min_font_size: "Smallest size",
  max_lines: "Max lines",
  background_color: "Background",
  fill: "Fill",
  stroke: "Stroke",
  stroke_width: "Stroke width",
  border_radius: "Corner radius",
  src: "Source",
  value: "Encoded text",
};
const HELP = {
  fit: "Shrink reduces the size until the text fits its box.",
  max_lines: "Empty: no limit. Extra text ends in “…”.",
  src: "An https URL, or upload a picture (up to 700 KB after downscaling).",
  value: "A URL or any text.",
  name: "The handle used in API modifications.",
};
const WEIGHT_NAMES = {
  100: "Thin",
  200: "Extra light",
  300: "Light",
  400: "Regular",
  500: "Medium",
  600: "Semibold",
  700: "Bold",
  800: "Extra bold",
  900: "Black",
};
// Fields laid out two to a row.
const PAIRS = [
  ["x", "y"],
  ["width", "height"],
  ["rotation", "opacity"],
  ["font_size", "font_weight"],
  ["line_height", "letter_spacing"],
  ["min_font_size", "max_lines"],
  ["stroke_width", "border_radius"],
];
const GROUPS = {
  text: [
    ["Text", ["text", "font_family", "font_size", "font_weight", "italic", "color", "align", "vertical_align"]],
    ["Spacing and fit", ["line_height", "letter_spacing", "text_transform", "fit", "min_font_size", "max_lines"]],
    ["Box", ["background_color"]],
  ],
  rect: [["Shape", ["fill", "stroke", "stroke_width", "border_radius"]]],
  ellipse: [["Shape", ["fill", "stroke", "stroke_width"]]],
  image: [["Picture", ["src", "fit", "border_radius"]]],
  qr_code: [["QR code", ["value", "color", "background_color"]]],
};
const SEGMENTED = new Set(["align", "vertical_align", "fit", "text_transform"]);

let fieldCounter = 0;

function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

export class Panels {
  constructor({ store, fonts, root, onUpload, onUploadFont, onFocusElement, onDuplicate }) {
    this.onDuplicate = onDuplicate;
    this.onUploadFont = onUploadFont;
    this.store = store;
    this.fonts = fonts;
    this.onUpload = onUpload;
    this.onFocusElement = onFocusElement;
    this.layers = root.querySelector("[data-layers]");
    this.properties = root.querySelector("[data-properties]");
    this.propertiesTitle = root.querySelector("[data-properties-title]");
    this.built = null; // what the properties panel was built for: uid:type, or "template"
    this.inputs = new Map(); // field → {sync(value), error node}
  }

  // --- layers -----------------------------------------------------------------

  renderLayers() {
    const { store } = this;
    const items = [...store.doc.elements].reverse(); // the top of the drawing order first
    const list = h("ol", { className: "layer-list", "aria-label": "Layers, top first" });
    for (const element of items) {
      const index = store.indexOf(element.uid);
      const locked = store.isLocked(element.uid);
      const selected = store.isSelected(element.uid);
      const hasErrors = Object.keys(store.errorsFor(element.uid)).length > 0;
      const row = h(
        "li",
        {
          className: `layer${selected ? " is-selected" : ""}${element.hidden ? " is-hidden" : ""}${
            hasErrors ? " has-errors" : ""
          }`,
          "data-layer": element.name,
        },
        h(
          "button",
          {
            type: "button",
            className: "layer-select",
            "aria-pressed": selected ? "true" : "false",
            title: `${TYPE_LABELS[element.type]} — select`,
            onclick: (event) => {
              if (event.shiftKey) store.toggleSelected(element.uid);
              else store.select(element.uid);
              this.onFocusElement?.();
            },
          },
          h("span", { className: `layer-icon layer-icon-${element.type}`, "aria-hidden": "true", text: ICONS[element.type] }),
          h("span", { className: "layer-name", text: element.name }),
          hasErrors ? h("span", { className: "layer-error", text: "!", title: "This element has problems" }) : null,
        ),
        h(
          "span",
          { className: "layer-tools" },
          iconButton(
            element.hidden ? `Show ${element.name}` : `Hide ${element.name}`,
            element.hidden ? "eyeOff" : "eye",
            () => store.updateElement(element.uid, { hidden: !element.hidden }, { reason: "structure" }),
            element.hidden,
          ),
          iconButton(
            locked ? `Unlock ${element.name}` : `Lock ${element.name}`,
            locked ? "lock" : "unlock",
            () => store.toggleLock(element.uid),
            locked,
          ),
          iconButton(
            `Move ${element.name} up`,
            "up",
            () => store.move(element.uid, 1),
            false,
            index === store.doc.elements.length - 1,
          ),
          iconButton(`Move ${element.name} down`, "down", () => store.move(element.uid, -1), false, index === 0),
        ),
      );
      list.append(row);
    }
    if (!items.length) {
      list.append(h("li", { className: "layer-empty", text: "No elements yet. Add one above." }));
    }
    this.layers.replaceChildren(list);
  }

  // --- properties ---------------------------------------------------------------

  renderProperties(force = false) {
    const element = this.store.selection;
    const several = this.store.selectedUids.length > 1;
    const key = several ? `multi:${this.store.selectedUids.join(",")}` : element ? `${element.uid}:${element.type}` : "template";
    if (!force && key === this.built) {
      this.sync();
      return;
    }
    this.built = key;
    this.inputs = new Map();
    if (several) this.buildSeveral();
    else if (element) this.buildElement(element);
    else this.buildTemplate();
    this.sync();
  }

  /** The values the selected elements share (null where they differ), for the "N elements" panel. */
  commonValues() {
    const elements = this.store.selectedElements;
    const values = {};
    for (const [field] of this.inputs) {
      const first = elements[0]?.[field];
      values[field] = elements.every((element) => element[field] === first) ? first : undefined; // undefined: mixed
    }
    return values;
  }

  /** Several elements: what they have in common, edited for all at once. */
  buildSeveral() {
    const { store } = this;
    const elements = store.selectedElements;
    const uids = elements.map((element) => element.uid);
    const types = new Set(elements.map((element) => element.type));
    const specs = { ...store.fields.common };
    if (types.size === 1) Object.assign(specs, store.fields.types[elements[0].type]);
    const set = (field) => (value) => store.updateMany(uids, { [field]: value }, { commit: false });
    const body = h("div", { className: "props props-several" });
    body.append(
      h(
        "p",
        { className: "hint" },
        types.size === 1
          ? `${elements.length} ${TYPE_LABELS[elements[0].type].toLowerCase()} elements: an empty field differs between them; a change applies to all.`
          : `${elements.length} elements of ${types.size} kinds: an empty field differs between them; a change applies to all.`,
      ),
    );
    const layout = h("fieldset", { className: "group" }, h("legend", { text: "Position and size" }));
    layout.append(this.row(["x", "y"], specs, set), this.row(["width", "height"], specs, set));
    layout.append(this.row(["rotation", "opacity"], specs, set));
    layout.append(this.field("hidden", specs.hidden, set("hidden")), this.field("locked", specs.locked, set("locked")));
    body.append(layout);
    if (types.size === 1) {
      // Same type: its style fields too (not the per-element text, source or font weight list).
      const type = elements[0].type;
      const skip = new Set(["text", "src", "value", "font_family", "font_weight"]);
      const group = h("fieldset", { className: "group" }, h("legend", { text: "Style" }));
      for (const [, fields] of GROUPS[type]) {
        for (const field of fields) if (!skip.has(field)) group.append(this.field(field, specs[field], set(field)));
      }
      body.append(group);
    }
    body.append(
      h(
        "div",
        { className: "props-actions" },
        h("button", { type: "button", className: "btn btn-small", text: "Duplicate", onclick: () => this.onDuplicate?.() }),
        h("button", {
          type: "button",
          className: "btn btn-small btn-danger",
          text: `Delete ${elements.length}`,
          onclick: () => store.removeMany(store.selectedElements.filter((element) => !element.locked).map((element) => element.uid)),
        }),
      ),
    );
    this.properties.replaceChildren(body);
  }

  /** Put current values into the inputs (except the one being typed in) and show errors. */
  sync() {
    const element = this.store.selection;
    const several = this.store.selectedUids.length > 1;
    const source = several ? this.commonValues() : element || this.store.doc;
    const errors = several ? {} : element ? this.store.errorsFor(element.uid) : this.store.templateErrors();
    for (const [field, control] of this.inputs) {
      control.sync(source[field]);
      control.showError(errors[field] || control.localError || "");
    }
    if (several) this.propertiesTitle.textContent = `${this.store.selectedUids.length} elements`;
    else if (element) this.propertiesTitle.textContent = `${TYPE_LABELS[element.type]} · ${element.name}`;
    else this.propertiesTitle.textContent = "Template";
  }

  buildTemplate() {
    const { store } = this;
    const doc = store.doc;
    const body = h("div", { className: "props" });
    const settings = h("fieldset", { className: "group" }, h("legend", { text: "Template" }));
    settings.append(
      this.textField("name", "Name", { maxLength: 200 }, (value) => {
        if (!value.trim()) return "May not be blank.";
        store.change((d) => {
          d.name = value;
        }, { commit: false, reason: "template" });
        return null;
      }),
    );
    const size = h("div", { className: "row" });
    for (const field of ["width", "height"]) {
      size.append(
        this.numberField(field, LABELS[field], store.fields.template[field], (value) => {
          store.change((d) => {
            d[field] = value;
          }, { commit: false, reason: "size" });
        }),
      );
    }
    settings.append(size);
    settings.append(
      h(
        "div",
        { className: "presets" },
        h("span", { className: "label", text: "Presets" }),
        ...[
          [1200, 630],
          [1080, 1080],
          [1080, 1920],
        ].map(([w, hgt]) =>
          h("button", {
            type: "button",
            className: "chip",
            text: `${w}×${hgt}`,
            onclick: () => store.change((d) => Object.assign(d, { width: w, height: hgt }), { reason: "size" }),
          }),
        ),
      ),
    );
    settings.append(
      this.colorField("background", "Background", { nullable: true, noneLabel: "Transparent" }, (value) =>
        store.change((d) => {
          d.background = value;
        }, { commit: false, reason: "template" }),
      ),
    );
    body.append(settings);
    body.append(
      h(
        "p",
        { className: "hint" },
        `${doc.elements.length} element${doc.elements.length === 1 ? "" : "s"}. Select one on the canvas or in the layers list to edit it.`,
      ),
    );
    this.properties.replaceChildren(body);
  }

  buildElement(element) {
    const { store } = this;
    const uid = element.uid;
    const specs = { ...store.fields.common, ...store.fields.types[element.type] };
    const set = (field) => (value) => store.updateElement(uid, { [field]: value }, { commit: false });
    const body = h("div", { className: "props" });

    const identity = h("fieldset", { className: "group" }, h("legend", { text: "Element" }));
    identity.append(
      this.textField("name", "Name", { maxLength: 64, help: HELP.name, mono: true }, (value) => {
        const problem = store.nameProblem(uid, value);
        if (problem) return problem;
        store.rename(uid, value);
        return null;
      }),
    );
    body.append(identity);

    const layout = h("fieldset", { className: "group" }, h("legend", { text: "Position and size" }));
    layout.append(this.row(["x", "y"], specs, set), this.row(["width", "height"], specs, set));
    layout.append(this.row(["rotation", "opacity"], specs, set));
    layout.append(this.field("hidden", specs.hidden, set("hidden"), element));
    layout.append(this.field("locked", specs.locked, set("locked"), element));
    body.append(layout);

    for (const [title, fields] of GROUPS[element.type]) {
      const group = h("fieldset", { className: "group" }, h("legend", { text: title }));
      const done = new Set();
      for (const field of fields) {
        if (done.has(field)) continue;
        const pair = PAIRS.find((p) => p[0] === field && fields.includes(p[1]));
        if (pair) {
          group.append(this.row(pair, specs, set, element));
          pair.forEach((f) => done.add(f));
        } else {
          group.append(this.field(field, specs[field], set(field), element));
          done.add(field);
        }
      }
      body.append(group);
    }
    // Every field of the type must be editable: anything not placed above goes at the end.
    const placed = new Set(["name", "x", "y", "width", "height", "rotation", "opacity", "hidden", "locked"]);
    for (const [, fields] of GROUPS[element.type]) fields.forEach((f) => placed.add(f));
    const rest = Object.keys(specs).filter((field) => !placed.has(field));
    if (rest.length) {
      const group = h("fieldset", { className: "group" }, h("legend", { text: "More" }));
      for (const field of rest) group.append(this.field(field, specs[field], set(field), element));
      body.append(group);
    }
    body.append(
      h(
        "div",
        { className: "props-actions" },
        h("button", {
          type: "button",
          className: "btn btn-small",
          text: "Duplicate",
          onclick: () => this.onDuplicate?.(),
        }),
        h("button", {
          type: "button",
          className: "btn btn-small btn-danger",
          text: "Delete",
          disabled: Boolean(element.locked),
          onclick: () => store.remove(uid),
        }),
      ),
    );
    this.properties.replaceChildren(body);
  }

  row(fields, specs, set, element) {
    return h("div", { className: "row" }, ...fields.map((field) => this.field(field, specs[field], set(field), element)));
  }

  field(field, spec, apply, element) {
    const label = LABELS[field] || field;
    if (field === "font_family") return this.fontField(apply);
    if (field === "font_weight") return this.weightField(apply, element);
    if (field === "opacity") return this.numberField(field, label, { ...spec, step: 0.05 }, apply);
    if (spec.kind === "color") {
      return this.colorField(field, label, { nullable: spec.nullable, noneLabel: "None" }, apply);
    }
    if (spec.kind === "boolean") return this.checkField(field, label, apply);
    if (spec.kind === "choice") {
      return SEGMENTED.has(field)
        ? this.segmentedField(field, label, spec.choices, apply)
        : this.selectField(field, label, spec.choices.map((c) => [c, c]), apply);
    }
    if (spec.kind === "string") {
      if (field === "src") return this.sourceField(apply);
      return this.textArea(field, label, spec, apply);
    }
    return this.numberField(field, label, spec, apply);
  }

  // --- controls: each registers {sync, showError} under its field -------------------

  wrap(field, label, control, { help, id } = {}) {
    const error = h("p", { className: "field-error", id: `${id}-error`, hidden: true });
    const wrapper = h(
      "div",
      { className: "field", "data-field": field },
      label ? h("label", { for: id, text: label }) : null,
      control,
      help ? h("p", { className: "field-help", text: help }) : null,
      error,
    );
    return { wrapper, error };
  }

  register(field, wrapper, error, sync, focusTarget) {
    const control = {
      sync,
      localError: "",
      showError(message) {
        error.textContent = message;
        error.hidden = !message;
        wrapper.classList.toggle("is-invalid", Boolean(message));
        focusTarget?.setAttribute("aria-invalid", message ? "true" : "false");
        if (message) focusTarget?.setAttribute("aria-describedby", error.id);
      },
    };
    this.inputs.set(field, control);
    return control;
  }

  numberField(field, label, spec, apply) {
    const id = `f${++fieldCounter}`;
    const input = h("input", {
      id,
      type: "number",
      inputmode: "decimal",
      step: spec.step || (spec.kind === "integer" ? 1 : "any"),
      min: spec.minimum ?? null,
      max: spec.maximum ?? null,
      placeholder: spec.nullable ? "none" : null,
    });
    const { wrapper, error } = this.wrap(field, label, input, { id, help: HELP[field] });
    const control = this.register(
      field,
      wrapper,
      error,
      (value) => {
        if (document.activeElement === input) return;
        input.placeholder = value === undefined ? "mixed" : spec.nullable ? "none" : "";
        input.value = value === null || value === undefined ? "" : String(round(value));
      },
      input,
    );
    input.addEventListener("input", () => {
      const raw = input.value.trim();
      let message = "";
      let value;
      if (raw === "" && spec.nullable) value = null;
      else {
        value = Number(raw);
        if (raw === "" || !Number.isFinite(value)) message = "Enter a number.";
        else if (spec.kind === "integer" && !Number.isInteger(value)) message = "Enter a whole number.";
        else if (spec.minimum !== null && spec.minimum !== undefined && value < spec.minimum) message = `At least ${spec.minimum}.`;
        else if (spec.maximum !== null && spec.maximum !== undefined && value > spec.maximum) message = `At most ${spec.maximum}.`;
      }
      control.localError = message;
      control.showError(message);
      if (!message) apply(value);
    });
    input.addEventListener("change", () => this.commit());
    return wrapper;
  }

  textField(field, label, { maxLength, help, mono }, apply) {
    const id = `f${++fieldCounter}`;
    const input = h("input", {
      id,
      type: "text",
      maxlength: maxLength,
      className: mono ? "mono" : null,
      spellcheck: "false",
      autocomplete: "off",
    });
    const { wrapper, error } = this.wrap(field, label, input, { id, help });
    const control = this.register(
      field,
      wrapper,
      error,
      (value) => {
        if (document.activeElement !== input) input.value = value ?? "";
      },
      input,
    );
    input.addEventListener("input", () => {
      control.localError = apply(input.value) || "";
      control.showError(control.localError);
    });
    input.addEventListener("change", () => this.commit());
    input.addEventListener("blur", () => {
      // An invalid name is never applied: show the element's real one again.
      control.localError = "";
      control.showError("");
      this.sync();
    });
    return wrapper;
  }

  textArea(field, label, spec, apply) {
    const id = `f${++fieldCounter}`;
    const input = h("textarea", { id, rows: field === "text" ? 3 : 2, maxlength: spec.max_length || null });
    const { wrapper, error } = this.wrap(field, label, input, { id, help: HELP[field] });
    this.register(
      field,
      wrapper,
      error,
      (value) => {
        if (document.activeElement !== input) input.value = value ?? "";
      },
      input,
    );
    input.addEventListener("input", () => apply(input.value));
    input.addEventListener("change", () => this.commit());
    return wrapper;
  }

  sourceField(apply) {
    const id = `f${++fieldCounter}`;
    const input = h("input", {
      id,
      type: "text",
      inputmode: "url",
      placeholder: "https://…",
      spellcheck: "false",
      autocomplete: "off",
    });
    const file = h("input", { type: "file", accept: "image/png,image/jpeg,image/webp,image/gif", className: "visually-hidden", id: `${id}-file` });
    const upload = h("label", { className: "btn btn-small", for: `${id}-file`, text: "Upload picture…" });
    const status = h("p", { className: "field-help", "aria-live": "polite" });
    const { wrapper, error } = this.wrap("src", LABELS.src, h("div", { className: "stack" }, input, h("div", { className: "upload" }, upload, file), status), {
      id,
      help: HELP.src,
    });
    const control = this.register(
      "src",
      wrapper,
      error,
      (value) => {
        if (document.activeElement === input) return;
        input.value = String(value || "").startsWith("data:") ? "" : value || "";
        input.placeholder = String(value || "").startsWith("data:") ? "Uploaded picture (embedded)" : "https://…";
      },
      input,
    );
    input.addEventListener("input", () => {
      const value = input.value.trim();
      const message = value && !/^https?:\/\/\S+$/i.test(value) ? "Enter an http(s) URL." : "";
      control.localError = message;
      control.showError(message);
      if (!message) apply(value);
    });
    input.addEventListener("change", () => this.commit());
    file.addEventListener("change", async () => {
      const chosen = file.files[0];
      file.value = "";
      if (!chosen) return;
      status.textContent = "Preparing the picture…";
      try {
        const dataUri = await this.onUpload(chosen);
        apply(dataUri);
        this.commit();
        status.textContent = `Embedded (${Math.round(dataUri.length / 1024)} KB).`;
        control.localError = "";
        control.showError("");
      } catch (problem) {
        status.textContent = "";
        control.localError = problem.message;
        control.showError(problem.message);
      }
    });
    return wrapper;
  }

  checkField(field, label, apply) {
    const id = `f${++fieldCounter}`;
    const input = h("input", { id, type: "checkbox" });
    const error = h("p", { className: "field-error", id: `${id}-error`, hidden: true });
    const wrapper = h("div", { className: "field field-check", "data-field": field }, h("label", { for: id }, input, ` ${label}`), error);
    this.register(field, wrapper, error, (value) => {
      input.checked = Boolean(value);
    }, input);
    input.addEventListener("change", () => {
      apply(input.checked);
      this.commit();
    });
    return wrapper;
  }

  selectField(field, label, options, apply, { onSync } = {}) {
    const id = `f${++fieldCounter}`;
    const select = h("select", { id }, ...options.map(([value, text]) => h("option", { value: String(value), text })));
    const { wrapper, error } = this.wrap(field, label, select, { id, help: HELP[field] });
    this.register(field, wrapper, error, (value) => {
      onSync?.(select, value);
      select.value = String(value);
    }, select);
    select.addEventListener("change", () => {
      const option = options.find(([value]) => String(value) === select.value);
      apply(option ? option[0] : select.value);
      this.commit();
    });
    return wrapper;
  }

  segmentedField(field, label, choices, apply) {
    const id = `f${++fieldCounter}`;
    const name = `seg-${id}`;
    const group = h("div", { className: "segmented", role: "radiogroup", "aria-labelledby": `${id}-label` });
    const radios = choices.map((choice) => {
      const radio = h("input", { type: "radio", name, value: choice, id: `${id}-${choice}`, className: "visually-hidden" });
      radio.addEventListener("change", () => {
        if (radio.checked) {
          apply(choice);
          this.commit();
        }
      });
      group.append(radio, h("label", { for: `${id}-${choice}`, text: choice }));
      return radio;
    });
    const error = h("p", { className: "field-error", id: `${id}-error`, hidden: true });
    const wrapper = h(
      "div",
      { className: "field", "data-field": field },
      h("span", { className: "label", id: `${id}-label`, text: label }),
      group,
      HELP[field] ? h("p", { className: "field-help", text: HELP[field] }) : null,
      error,
    );
    this.register(field, wrapper, error, (value) => {
      for (const radio of radios) radio.checked = radio.value === value;
    });
    return wrapper;
  }

  colorField(field, label, { nullable, noneLabel }, apply) {
    const id = `f${++fieldCounter}`;
    const picker = h("input", { type: "color", "aria-label": `${label} picker`, className: "swatch" });
    const text = h("input", { id, type: "text", className: "mono hex", spellcheck: "false", autocomplete: "off", maxlength: 9, placeholder: nullable ? "none" : "#000000" });
    const none = nullable ? h("input", { type: "checkbox", id: `${id}-none` }) : null;
    const noneLabelNode = nullable ? h("label", { for: `${id}-none`, className: "none-toggle" }, none, ` ${noneLabel}`) : null;
    const { wrapper, error } = this.wrap(field, label, h("div", { className: "color" }, picker, text, noneLabelNode), { id });
    let current = null;
    const control = this.register(
      field,
      wrapper,
      error,
      (value) => {
        current = value ?? null;
        // Several selected elements with different colours: "mixed", neither a colour nor none.
        text.placeholder = value === undefined ? "mixed" : nullable ? "none" : "#000000";
        if (document.activeElement !== text) text.value = value || "";
        picker.value = sixDigits(value) || "#000000";
        picker.disabled = value === null;
        wrapper.classList.toggle("is-none", value === null);
        if (none) none.checked = value === null;
      },
      text,
    );
    picker.addEventListener("input", () => {
      // <input type=color> has no alpha: keep the colour's own alpha part.
      const alpha = current && current.length === 9 ? current.slice(7) : "";
      const value = picker.value + alpha;
      text.value = value;
      control.localError = "";
      control.showError("");
      apply(value);
    });
    picker.addEventListener("change", () => this.commit());
    text.addEventListener("input", () => {
      let value = text.value.trim();
      if (value && !value.startsWith("#")) value = `#${value}`;
      if (!value && nullable) {
        control.localError = "";
        apply(null);
      } else if (COLOR_RE.test(value)) {
        control.localError = "";
        apply(value);
      } else {
        control.localError = "Use #rgb, #rrggbb or #rrggbbaa.";
      }
      control.showError(control.localError);
    });
    text.addEventListener("change", () => this.commit());
    none?.addEventListener("change", () => {
      apply(none.checked ? null : current && current !== null ? current : "#ffffff");
      this.commit();
    });
    return wrapper;
  }

  fontField(apply) {
    const families = this.fonts.table;
    const groups = [
      ["Catalogue", families.filter((f) => !["fallback", "account"].includes(f.category))],
      ["Script fonts", families.filter((f) => f.category === "fallback")],
      ["Your fonts", families.filter((f) => f.category === "account")],
    ].filter(([, list]) => list.length);
    const id = `f${++fieldCounter}`;
    const select = h(
      "select",
      { id },
      ...groups.map(([title, list]) =>
        h("optgroup", { label: title }, ...list.map((f) => h("option", { value: f.family, text: f.family }))),
      ),
    );
    // Previews: each family's name drawn in its own font (loaded when the list is first opened).
    const toggle = h("button", { type: "button", className: "btn btn-small", text: "Show font previews" });
    toggle.setAttribute("aria-expanded", "false");
    const gallery = h("div", { className: "font-previews", role: "group", "aria-label": "Font previews" });
    Object.assign(gallery.style, {
      gap: "2px",
      maxHeight: "16rem",
      overflowY: "auto",
      marginTop: "4px",
    });
    const fill = () => {
      gallery.replaceChildren(
        ...families.map((f) => {
          const button = h("button", { type: "button", className: "btn btn-small", text: f.family, "data-font": f.family });
          Object.assign(button.style, { fontFamily: this.fonts.css(f.family), fontSize: "16px", fontWeight: "400", justifyContent: "flex-start", textAlign: "left" });
          button.setAttribute("aria-pressed", String(select.value === f.family));
          button.addEventListener("click", () => {
            select.value = f.family;
            select.dispatchEvent(new Event("change"));
          });
          this.fonts.use(f.family);
          return button;
        }),
      );
    };
    const show = (open) => {
      if (open && !gallery.childElementCount) fill();
      gallery.hidden = !open;
      gallery.style.display = open ? "grid" : "none"; // set here: an inline display would beat [hidden]
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Hide font previews" : "Show font previews";
    };
    // Kept open across the panel's rebuilds (choosing a font rebuilds it).
    show(Boolean(this.fontPreviewsOpen));
    toggle.addEventListener("click", () => {
      this.fontPreviewsOpen = gallery.hidden;
      show(this.fontPreviewsOpen);
    });
    // Upload a font file (the API's font service); it joins "Your fonts" and is chosen.
    const file = h("input", { type: "file", accept: ".ttf,.otf,.woff,.woff2", className: "visually-hidden", id: `${id}-file` });
    const upload = h("label", { className: "btn btn-small", for: `${id}-file`, text: "Upload font…" });
    const status = h("p", { className: "field-help", "aria-live": "polite" });
    const { wrapper, error } = this.wrap(
      "font_family",
      LABELS.font_family,
      h("div", { className: "stack" }, select, h("div", { className: "upload" }, toggle, upload, file), gallery, status),
      { id },
    );
    file.addEventListener("change", async () => {
      const chosen = file.files[0];
      file.value = "";
      if (!chosen) return;
      status.textContent = "Uploading the font…";
      error.textContent = "";
      error.hidden = true;
      try {
        const font = await this.onUploadFont(chosen);
        this.fonts.addAccountFont(font);
        const uid = this.store.selected;
        if (this.store.element(uid)) {
          this.store.updateElement(uid, { font_family: font.family, font_weight: font.weight });
          this.commit();
        }
        this.built = null; // rebuild: the font list has a new family
        this.renderProperties(true);
        this.properties.querySelector('[data-field="font_family"] .field-help[aria-live]').textContent =
          `Uploaded “${font.family}” (${font.weight}${font.italic ? " italic" : ""}).`;
      } catch (problem) {
        status.textContent = "";
        error.textContent = problem.message;
        error.hidden = false;
      }
    });
    this.register("font_family", wrapper, error, (value) => {
      if (![...select.options].some((o) => o.value === value)) {
        select.append(h("option", { value, text: `${value} (not found: drawn with Inter)` }));
      }
      select.value = value;
      for (const button of gallery.children) button.setAttribute("aria-pressed", String(button.dataset.font === value));
    }, select);
    select.addEventListener("change", () => {
      const uid = this.store.selected;
      const element = this.store.element(uid);
      const weights = this.fonts.weights(select.value);
      const values = { font_family: select.value };
      // Keep the weight if the family has it, else take the nearest one it has.
      if (element && !weights.includes(element.font_weight)) {
        values.font_weight = weights.reduce((best, w) =>
          Math.abs(w - element.font_weight) < Math.abs(best - element.font_weight) ? w : best,
        );
      }
      this.store.updateElement(uid, values);
      this.renderProperties(true);
    });
    return wrapper;
  }

  weightField(apply, element) {
    const weights = this.fonts.weights(element.font_family);
    return this.selectField(
      "font_weight",
      LABELS.font_weight,
      weights.map((w) => [w, `${w} · ${WEIGHT_NAMES[w] || ""}`]),
      apply,
      {
        onSync: (select, value) => {
          if (![...select.options].some((o) => o.value === String(value))) {
            select.append(h("option", { value: String(value), text: `${value} (synthesised)` }));
          }
        },
      },
    );
  }

  commit() {
    this.store.checkpoint();
    this.store.emit("commit");
  }
}

const ICON_PATHS = {
  eye: "M1 8s2.5-5 7-5 7 5 7 5-2.5 5-7 5-7-5-7-5zm7 2.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z",
  eyeOff: "M2 2l12 12M6.5 3.2A7 7 0 0 1 8 3c4.5 0 7 5 7 5a12 12 0 0 1-2 2.6M4 4.6A12 12 0 0 0 1 8s2.5 5 7 5a7 7 0 0 0 3-.7",
  lock: "M4 7V5a4 4 0 0 1 8 0v2M3 7h10v7H3z",
  unlock: "M4 7V5a4 4 0 0 1 7.5-2M3 7h10v7H3z",
  up: "M8 13V3M4 7l4-4 4 4",
  down: "M8 3v10M4 9l4 4 4-4",
};

export function icon(name) {
  const SVG = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICON_PATHS[name]);
  svg.append(path);
  return svg;
}

function iconButton(label, iconName, onClick, pressed = false, disabled = false) {
  return h(
    "button",
    {
      type: "button",
      className: `icon-btn${pressed ? " is-on" : ""}`,
      "aria-label": label,
      title: label,
      "aria-pressed": pressed ? "true" : null,
      disabled,
      onclick: onClick,
    },
    icon(iconName),
  );
}

function round(value) {
  return typeof value === "number" ? Math.round(value * 100) / 100 : value;
}

function sixDigits(value) {
  if (!value || !COLOR_RE.test(value)) return null;
  if (value.length === 4 || value.length === 5) {
    return `#${value[1]}${value[1]}${value[2]}${value[2]}${value[3]}${value[3]}`.toLowerCase();
  }
  return value.slice(0, 7).toLowerCase();
}

export { defaultElement, TYPE_LABELS };

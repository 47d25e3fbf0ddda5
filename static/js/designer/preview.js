// The authoritative preview: the server renders the unsaved template through the API's
// pipeline (free, never stored) and the PNG is shown next to, or over, the canvas.

// Starts once edits pause; a newer request aborts the one in flight (AbortController in run()).
const DEBOUNCE_MS = 250;
const MAX_BODY_BYTES = 1024 * 1024;

export class Preview {
  constructor({ store, url, csrfToken, root }) {
    this.store = store;
    this.url = url;
    this.csrfToken = csrfToken;
    this.images = [...root.querySelectorAll("[data-preview-img]")];
    this.card = root.querySelector("[data-preview-card]");
    this.status = root.querySelector("[data-preview-status]");
    this.errorList = root.querySelector("[data-preview-errors]");
    this.timer = null;
    this.controller = null;
    this.lastBody = null;
    this.objectUrl = null;
    this.auto = true;
  }

  schedule() {
    if (!this.auto) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
  }

  async run({ force = false } = {}) {
    clearTimeout(this.timer);
    const body = JSON.stringify(this.store.body());
    if (!force && body === this.lastBody) return;
    if (body.length > MAX_BODY_BYTES) {
      this.fail("The template is over 1 MB (embedded pictures count): use picture URLs instead.");
      return;
    }
    this.lastBody = body;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.setBusy(true);
    const started = performance.now();
    try {
      const response = await fetch(this.url, {
        method: "POST",
        body,
        signal: controller.signal,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrfToken, Accept: "image/png" },
      });
      if (response.ok) {
        const blob = await response.blob();
        if (controller !== this.controller) return;
        this.show(blob, Math.round(performance.now() - started), response.headers.get("X-Preview-Scale"));
        this.store.setErrors([]);
      } else {
        const data = await response.json().catch(() => ({}));
        if (controller !== this.controller) return;
        const errors = data.errors || [{ field: "", message: `The preview failed (${response.status}).` }];
        this.store.setErrors(errors);
        this.fail(errors);
        if (response.status >= 500) this.lastBody = null;
      }
    } catch (problem) {
      if (problem.name === "AbortError") return;
      this.lastBody = null;
      this.fail("The preview could not be reached. Check your connection.");
    } finally {
      if (controller === this.controller) {
        this.controller = null;
        this.setBusy(false);
      }
    }
  }

  show(blob, ms, scale) {
    const url = URL.createObjectURL(blob);
    for (const img of this.images) img.src = url;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = url;
    this.card.classList.remove("has-error");
    this.card.classList.add("has-image");
    const reduced = scale && Number(scale) < 0.999 ? ` · at ${Math.round(Number(scale) * 100)}% size` : "";
    this.status.textContent = `Rendered by the server in ${ms} ms${reduced}`;
    this.errorList.replaceChildren();
  }

  fail(errors) {
    const list = typeof errors === "string" ? [{ field: "", message: errors }] : errors;
    this.card.classList.add("has-error");
    this.status.textContent = "The preview shows the last version that rendered.";
    this.errorList.replaceChildren(
      ...list.slice(0, 6).map((error) => {
        const item = document.createElement("li");
        item.textContent = error.field ? `${describe(this.store, error.field)}: ${error.message}` : error.message;
        return item;
      }),
    );
  }

  setBusy(busy) {
    this.card.classList.toggle("is-busy", busy);
    this.card.setAttribute("aria-busy", busy ? "true" : "false");
    if (busy) this.status.textContent = "Rendering…";
  }
}

/** "title › font_size" for "elements[2].font_size". */
export function describe(store, field) {
  const match = /^elements\[(\d+)\](?:\.(\w+))?/.exec(field);
  if (!match) return field;
  const element = store.doc.elements[Number(match[1])];
  const name = element ? element.name : `element ${Number(match[1]) + 1}`;
  return match[2] ? `${name} › ${match[2]}` : name;
}

// "Render a test image" in the "Use via API" panel: a free sandbox render of the SAVED
// template (saving unsaved changes first), shown with a link to its page under Images.

export class TestRender {
  /**
   * @param {object} options
   * @param {Element} options.root the designer
   * @param {string} options.url the render endpoint
   * @param {string} options.csrfToken
   * @param {() => Promise<boolean>} options.save saves unsaved changes; true when saved
   * @param {() => boolean} options.isDirty whether there are unsaved changes
   * @param {() => number} options.version the saved version
   */
  constructor({ root, url, csrfToken, save, isDirty, version }) {
    this.url = url;
    this.csrfToken = csrfToken;
    this.save = save;
    this.isDirty = isDirty;
    this.version = version;
    this.box = root.querySelector("[data-test-render]");
    this.button = root.querySelector('[data-action="test-render"]');
    this.status = root.querySelector("[data-test-render-status]");
    this.result = root.querySelector("[data-test-render-result]");
    this.image = root.querySelector("[data-test-render-img]");
    this.link = root.querySelector("[data-test-render-link]");
    this.button.addEventListener("click", () => this.run());
    this.image.addEventListener("load", () => this.done("Rendered: a free, watermarked test image."));
    this.image.addEventListener("error", () => this.done("The image was rendered but could not be shown.", true));
  }

  async run() {
    this.busy(true);
    if (this.isDirty()) {
      this.say("Saving first…");
      const saved = await this.save();
      if (!saved || this.isDirty()) {
        this.done("Not rendered: the template could not be saved.", true);
        return;
      }
    }
    this.say("Rendering…");
    let response;
    let data = {};
    try {
      response = await fetch(this.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrfToken },
        body: JSON.stringify({ version: this.version() }),
      });
      data = await response.json().catch(() => ({}));
    } catch {
      this.done("Not rendered: the server could not be reached.", true);
      return;
    }
    if (!response.ok) {
      const first = (data.errors || [])[0];
      this.done(`Not rendered${first ? `: ${first.message}` : "."}`, true);
      return;
    }
    this.link.href = data.page;
    this.link.textContent = `Open ${data.image.id} under Images`;
    this.image.width = data.image.width;
    this.image.height = data.image.height;
    this.result.hidden = false;
    this.say("Loading the image…");
    this.image.src = data.image.url; // "load" or "error" ends the busy state
  }

  busy(on) {
    this.button.disabled = on;
    this.box.setAttribute("aria-busy", on ? "true" : "false");
  }

  say(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("is-error", isError);
  }

  done(text, isError = false) {
    this.say(text, isError);
    this.busy(false);
  }
}

// Alpine components for the dashboard. Alpine's CSP build evaluates no code
// strings, so every behaviour is a named component registered here and the
// templates refer to properties and methods by name only.
document.addEventListener("alpine:init", () => {
  // A "Copy" button for the text of the element marked x-ref="source".
  window.Alpine.data("copyButton", () => ({
    idle: "Copy",
    label: "Copy",
    init() {
      this.idle = this.$el.dataset.copyLabel || "Copy";
      this.label = this.idle;
    },
    copy() {
      const text = this.$refs.source.textContent.trim();
      const done = () => this.flash("Copied");
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, () => this.selectSource());
      } else {
        this.selectSource();
      }
    },
    selectSource() {
      // Without clipboard access, select the text so Ctrl/Cmd-C copies it.
      const range = document.createRange();
      range.selectNodeContents(this.$refs.source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      this.flash("Press Ctrl+C");
    },
    flash(text) {
      this.label = text;
      setTimeout(() => {
        this.label = this.idle;
      }, 2000);
    },
  }));

  // The sidebar folds into a menu on narrow screens.
  window.Alpine.data("navToggle", () => ({
    open: false,
    toggle() {
      this.open = !this.open;
    },
    get expanded() {
      return this.open ? "true" : "false";
    },
    get openClass() {
      return this.open ? "is-open" : "";
    },
  }));
});

// The images page's "Select all on this page": ticks or clears every image's box in its form,
// and shows "some" (indeterminate) when only part are ticked.
document.addEventListener("change", (event) => {
  const box = event.target;
  const form = box.form;
  if (!form || box.type !== "checkbox") return;
  const all = form.querySelector("[data-select-all]");
  if (!all) return;
  const items = [...form.querySelectorAll('input[type="checkbox"][name="images"]')];
  if (box === all) {
    items.forEach((item) => {
      item.checked = all.checked;
    });
  } else if (box.name === "images") {
    const ticked = items.filter((item) => item.checked).length;
    all.checked = ticked === items.length;
    all.indeterminate = ticked > 0 && ticked < items.length;
  }
});

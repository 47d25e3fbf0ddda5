// The catalogue's fonts, loaded into the page on first use (FontFace API: no inline CSS needed),
// so the canvas draws text with the same font files the renderer uses.

const loaded = new Map(); // family → Promise

export class Fonts {
  constructor(table, onLoad) {
    this.table = table;
    this.byName = new Map(table.map((entry) => [entry.family.toLowerCase(), entry]));
    this.onLoad = onLoad;
  }

  family(name) {
    return this.byName.get(String(name || "").toLowerCase()) || null;
  }

  weights(name) {
    const entry = this.family(name);
    return entry && entry.weights.length ? entry.weights : [400, 700];
  }

  /** A font just uploaded to the account: its family joins the table (drawn with Inter on the canvas). */
  addAccountFont({ family, weight, italic }) {
    let entry = this.family(family);
    if (!entry) {
      entry = { family, weights: [], italic: false, category: "account", files: [] };
      this.table.push(entry);
      this.byName.set(family.toLowerCase(), entry);
    }
    entry.weights = [...new Set([...entry.weights, weight])].sort((a, b) => a - b);
    entry.italic = entry.italic || italic;
  }

  /** Make sure `name` is loaded; calls onLoad once it is (the canvas then re-measures text). */
  use(name) {
    const entry = this.family(name);
    if (!entry || !entry.files.length || loaded.has(entry.family)) return;
    const faces = entry.files.map((file) => {
      const face = new FontFace(entry.family, `url("${file.url}")`, {
        weight: file.weight,
        style: file.italic ? "italic" : "normal",
      });
      document.fonts.add(face);
      return face.load().catch(() => null);
    });
    const ready = Promise.all(faces).then(() => this.onLoad(entry.family));
    loaded.set(entry.family, ready);
  }

  /** CSS font-family value: the chosen family, then Inter (the renderer's default) as fallback. */
  css(name) {
    const entry = this.family(name);
    const chosen = entry ? entry.family : name;
    return `"${String(chosen).replace(/"/g, "")}", "Inter", sans-serif`;
  }
}

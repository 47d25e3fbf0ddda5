// "Use via API": ready-to-run requests for this template, filled with its id and element names.
// The key is always the placeholder YOUR_API_KEY: the page never holds a real one.

const PRIMARY = { text: "text", image: "src", qr_code: "value", rect: "fill", ellipse: "fill" };

// The same rule as the docs page (dashboard/docs.py, modifications_for): a picture is shown by its own
// URL, whole; an embedded (data:) or missing one is left out, so a copied request never names a picture
// the service cannot fetch (the template's own picture is used then).
export function modificationsFor(elements) {
  const result = [];
  for (const element of elements) {
    const field = PRIMARY[element.type];
    if (!field) continue;
    let value = element[field];
    if (element.type === "image") {
      if (typeof value === "string" && /^https?:\/\//i.test(value) && value.length <= 500) {
        result.push({ name: element.name, [field]: value });
      }
      continue;
    }
    if (typeof value === "string" && value.length > 200) value = `${value.slice(0, 200)}…`;
    result.push({ name: element.name, [field]: value });
  }
  return result;
}

export function snippets({ templateId, elements, endpoint }) {
  const body = { template: templateId, modifications: modificationsFor(elements) };
  const json = JSON.stringify(body, null, 2);
  const shellJson = json.replace(/'/g, "'\\''");
  const python = [
    "import requests",
    "",
    "response = requests.post(",
    `    "${endpoint}",`,
    '    headers={"Authorization": "Bearer YOUR_API_KEY"},',
    `    json=${pythonLiteral(body, 4)},`,
    "    timeout=30,",
    ")",
    "response.raise_for_status()",
    'print(response.json()["url"])',
  ].join("\n");
  const javascript = [
    `const response = await fetch("${endpoint}", {`,
    '  method: "POST",',
    "  headers: {",
    '    "Authorization": "Bearer YOUR_API_KEY",',
    '    "Content-Type": "application/json",',
    "  },",
    `  body: JSON.stringify(${indent(json, 2)}),`,
    "});",
    "const image = await response.json();",
    "console.log(image.url);",
  ].join("\n");
  const curl = [
    `curl -X POST ${endpoint} \\`,
    '  -H "Authorization: Bearer YOUR_API_KEY" \\',
    '  -H "Content-Type: application/json" \\',
    `  -d '${shellJson}'`,
  ].join("\n");
  return { curl, python, javascript };
}

function indent(text, spaces) {
  return text.replace(/\n/g, `\n${" ".repeat(spaces)}`);
}

function pythonLiteral(value, level) {
  const pad = " ".repeat(level + 4);
  const end = " ".repeat(level);
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (!value.length) return "[]";
    return `[\n${value.map((item) => pad + pythonLiteral(item, level + 4)).join(",\n")},\n${end}]`;
  }
  const entries = Object.entries(value);
  if (!entries.length) return "{}";
  return `{\n${entries.map(([key, item]) => `${pad}${JSON.stringify(key)}: ${pythonLiteral(item, level + 4)}`).join(",\n")},\n${end}}`;
}

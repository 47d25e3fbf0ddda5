// "Use via API": ready-to-run requests for this template, filled with its id and element names.
// The key is always the placeholder YOUR_API_KEY: the page never holds a real one.

const PRIMARY = { text: "text", image: "src", qr_code: "value", rect: "fill", ellipse: "fill" };
const EXAMPLE_SRC = "https://example.com/photo.jpg";

export function modificationsFor(elements) {
  return elements.map((element) => {
    const field = PRIMARY[element.type];
    let value = element[field];
    if (element.type === "image" && (!value || String(value).startsWith("data:"))) value = EXAMPLE_SRC;
    if (typeof value === "string" && value.length > 200) value = `${value.slice(0, 200)}…`;
    return { name: element.name, [field]: value };
  });
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

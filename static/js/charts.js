// Draws every <canvas data-chart> from JSON that the page embeds with
// json_script (no inline script: the CSP forbids it).
//   data-chart   "bar" (vertical, x = data-label or "date") or "hbar" (horizontal)
//   data-source  id of the <script type="application/json"> holding a list of rows
//   data-label   the row field that labels each bar (default "date")
//   data-series  "field:Legend,field:Legend"
(function () {
  const palette = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444"];

  function shortDate(value) {
    // "2025-11-25" -> "25 Nov"
    const date = new Date(value + "T00:00:00Z");
    if (Number.isNaN(date.getTime())) return value;
    return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.source);
    if (!source || !window.Chart) return;
    const rows = JSON.parse(source.textContent);
    const labelField = canvas.dataset.label || "date";
    const horizontal = canvas.dataset.chart === "hbar";
    const series = (canvas.dataset.series || "").split(",").filter(Boolean).map((item) => item.split(":"));
    const labels = rows.map((row) => (labelField === "date" ? shortDate(row.date) : String(row[labelField] ?? "—")));
    const datasets = series.map(([field, legend], index) => ({
      label: legend,
      data: rows.map((row) => row[field] || 0),
      backgroundColor: palette[index % palette.length],
      borderRadius: 3,
      maxBarThickness: 28,
    }));
    new window.Chart(canvas, {
      type: "bar",
      data: { labels, datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: {
          x: { grid: { display: horizontal }, ticks: { precision: 0, maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, grid: { display: !horizontal }, ticks: { precision: 0 } },
        },
      },
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();

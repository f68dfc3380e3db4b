// The console's Numbers charts: inline SVG drawn from the page's JSON block (#numbers-data), the
// very figures of the tables below it. No library; the tables remain for readers without script.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var RATES = ["response", "resolution", "satisfaction"];
  var MAX_ROWS = 30;

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function figure(title, svg) {
    var box = document.createElement("figure");
    box.className = "chart";
    var caption = document.createElement("figcaption");
    caption.textContent = title;
    box.appendChild(caption);
    box.appendChild(svg);
    return box;
  }

  // One row per item, one bar per rate (0-100 %), a legend on top.
  function rateChart(rows, labels) {
    var label = 150, width = 560, bar = 9, gap = 10, top = 26;
    var rowHeight = RATES.length * bar + gap;
    var height = top + rows.length * rowHeight;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "class": "chart-svg" });
    RATES.forEach(function (rate, i) {
      svg.appendChild(el("rect", { x: label + i * 130, y: 4, width: 12, height: 12, "class": "bar-" + rate }));
      svg.appendChild(el("text", { x: label + i * 130 + 16, y: 14, "class": "chart-legend" }, labels[rate]));
    });
    var scale = (width - label - 50) / 100;
    rows.forEach(function (row, r) {
      var y = top + r * rowHeight;
      svg.appendChild(el("text", { x: label - 6, y: y + bar * 2, "text-anchor": "end", "class": "chart-label" }, row.name));
      RATES.forEach(function (rate, i) {
        var value = row[rate];
        var by = y + i * bar;
        if (value === null || value === undefined) {
          svg.appendChild(el("text", { x: label + 2, y: by + bar - 1, "class": "chart-value" }, "—"));
          return;
        }
        var rect = el("rect", { x: label, y: by, width: Math.max(1, value * scale), height: bar - 1, "class": "bar-" + rate });
        rect.appendChild(el("title", {}, labels[rate] + ": " + value + "%"));
        svg.appendChild(rect);
        svg.appendChild(el("text", { x: label + value * scale + 4, y: by + bar - 1, "class": "chart-value" }, value + "%"));
      });
    });
    return svg;
  }

  function countChart(rows) {
    var label = 150, width = 560, bar = 16, gap = 6;
    var height = rows.length * (bar + gap) + 4;
    var most = Math.max.apply(null, rows.map(function (row) { return row.resolved; }).concat([1]));
    var scale = (width - label - 40) / most;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "class": "chart-svg" });
    rows.forEach(function (row, r) {
      var y = 2 + r * (bar + gap);
      svg.appendChild(el("text", { x: label - 6, y: y + bar - 4, "text-anchor": "end", "class": "chart-label" }, row.name));
      svg.appendChild(el("rect", { x: label, y: y, width: Math.max(1, row.resolved * scale), height: bar, "class": "bar-resolution" }));
      svg.appendChild(el("text", { x: label + row.resolved * scale + 4, y: y + bar - 4, "class": "chart-value" }, String(row.resolved)));
    });
    return svg;
  }

  function draw() {
    var source = document.getElementById("numbers-data");
    var target = document.getElementById("numbers-charts");
    if (!source || !target) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    var busiest = function (rows) {
      return rows.filter(function (row) { return row.reports > 0; })
        .sort(function (a, b) { return b.reports - a.reports; }).slice(0, MAX_ROWS);
    };
    var buildings = busiest(data.buildings);
    var categories = busiest(data.categories);
    if (buildings.length) { target.appendChild(figure(labels.buildings, rateChart(buildings, labels))); }
    if (categories.length) { target.appendChild(figure(labels.categories, rateChart(categories, labels))); }
    if (data.heads.length) { target.appendChild(figure(labels.heads + " · " + labels.resolved, countChart(data.heads.slice(0, MAX_ROWS)))); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

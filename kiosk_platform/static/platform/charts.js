/* The dashboard's charts (Apache ECharts, served from this site). Data comes only from
   <script type="application/json"> elements that Django's json_script wrote: never from markup. */
(function () {
  "use strict";
  var COLOURS = { online: "#1a7f37", late: "#9a6700", offline: "#cf222e", never: "#6e7781" };
  var LABELS = { online: "Online", late: "Late", offline: "Offline", never: "Never seen" };

  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function resizeWith(chart) {
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function bounds(points) {
    if (!points.length) { return { x: [103.3, 104.3], y: [35.8, 36.4] }; }  // Lanzhou
    var xs = points.map(function (p) { return p.value[0]; });
    var ys = points.map(function (p) { return p.value[1]; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var pad = Math.max(0.08, (x1 - x0) * 0.15, (y1 - y0) * 0.15);
    return { x: [x0 - pad, x1 + pad], y: [y0 - pad, y1 + pad] };
  }

  function fleetMap() {
    var element = document.getElementById("fleet-map");
    var source = data("fleet-map-data");
    if (!element || !source || !window.echarts) { return; }
    var box = bounds(source.points);
    var round = function (v) { return Math.round(v * 100) / 100; };
    var series = source.river.map(function (line) {
      return { type: "line", data: line, showSymbol: false, silent: true, clip: true,
               lineStyle: { color: "#7fb2e5", width: 3 }, z: 1, name: "Yellow River" };
    });
    Object.keys(LABELS).forEach(function (status) {
      series.push({
        type: "scatter", name: LABELS[status], z: 3, symbolSize: 14,
        itemStyle: { color: COLOURS[status], borderColor: "#fff", borderWidth: 1.5 },
        data: source.points.filter(function (p) { return p.status === status; })
      });
    });
    var chart = echarts.init(element);
    chart.setOption({
      animation: false,
      grid: { left: 56, right: 16, top: 36, bottom: 40 },
      legend: { top: 4, data: Object.keys(LABELS).map(function (s) { return LABELS[s]; }) },
      tooltip: { trigger: "item", formatter: function (p) {
        var div = document.createElement("div");
        div.textContent = p.data.name + " · " + p.data.statusLabel;  // text, never markup
        return div.innerHTML;
      } },
      xAxis: { type: "value", name: "°E", min: round(box.x[0]), max: round(box.x[1]), scale: true,
               splitLine: { lineStyle: { color: "#eef1f4" } } },
      yAxis: { type: "value", name: "°N", min: round(box.y[0]), max: round(box.y[1]), scale: true,
               splitLine: { lineStyle: { color: "#eef1f4" } } },
      series: series
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    resizeWith(chart);
  }

  function kioskChart() {
    var element = document.getElementById("kiosk-chart");
    var source = data("kiosk-chart-data");
    if (!element || !source || !window.echarts) { return; }
    var chart = echarts.init(element);
    var pair = function (values) {
      return values.map(function (v, i) { return [source.times[i], v]; });
    };
    chart.setOption({
      animation: false,
      grid: { left: 50, right: 50, top: 36, bottom: 36 },
      legend: { top: 4 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "time" },
      yAxis: [{ type: "value", name: "GB free", scale: true }, { type: "value", name: "MB memory", scale: true }],
      series: [
        { name: "Free disk (GB)", type: "line", data: pair(source.freeDiskGB), showSymbol: false, color: "#0b5cad" },
        { name: "Memory (MB)", type: "line", yAxisIndex: 1, data: pair(source.memoryMB), showSymbol: false, color: "#9a6700" }
      ]
    });
    resizeWith(chart);
  }

  fleetMap();
  kioskChart();
}());

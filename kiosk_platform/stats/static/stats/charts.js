// The statistics page's charts: ECharts (served locally) from the json_script block "stats-data".
// Every chart has a table beside it with the same numbers; the charts are a picture of the tables.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("stats-data").textContent);
  var charts = [];
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var c = echarts.init(el, null, { renderer: "canvas" });
    option.animation = false;
    c.setOption(option);
    charts.push(c);
  }
  var grid = { left: 48, right: 16, top: 36, bottom: 40, containLabel: true };
  function horizontalBar(id, rows, name) {
    var r = rows.slice().reverse();
    chart(id, {
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: r.map(function (x) { return x[0]; }), axisLabel: { width: 160, overflow: "truncate" } },
      series: [{ name: name, type: "bar", barMaxWidth: 28, data: r.map(function (x) { return x[1]; }), itemStyle: { color: "#0b5cad" } }]
    });
  }
  chart("chart-visits-group", {
    grid: grid, tooltip: { trigger: "axis" }, legend: { type: "scroll" },
    xAxis: { type: "category", data: data.days },
    yAxis: { type: "value", minInterval: 1 },
    series: data.groups.map(function (g) { return { name: g.name, type: "bar", stack: "visits", data: g.data }; })
  });
  chart("chart-visits-kiosk", {
    grid: grid, tooltip: { trigger: "axis" }, legend: { type: "scroll" },
    xAxis: { type: "category", data: data.days },
    yAxis: { type: "value", minInterval: 1 },
    series: data.kiosks.map(function (k) { return { name: k.name, type: "line", data: k.data, showSymbol: false }; })
  });
  horizontalBar("chart-places", data.places, "views");
  chart("chart-languages", {
    tooltip: { trigger: "item" }, legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["35%", "65%"], data: data.languages.map(function (x) { return { name: x[0], value: x[1] }; }) }]
  });
  var narr = data.narration.slice().reverse();
  chart("chart-narration", {
    grid: { left: 8, right: 24, top: 30, bottom: 8, containLabel: true }, tooltip: { trigger: "axis" }, legend: {},
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: narr.map(function (x) { return x[0]; }), axisLabel: { width: 160, overflow: "truncate" } },
    series: [
      { name: "started", type: "bar", barMaxWidth: 14, data: narr.map(function (x) { return x[1]; }) },
      { name: "finished", type: "bar", barMaxWidth: 14, data: narr.map(function (x) { return x[2]; }) }
    ]
  });
  horizontalBar("chart-qr", data.qr, "QR codes shown");
  horizontalBar("chart-search", data.search, "visits");
  var max = 1;
  data.hours.forEach(function (x) { if (x[2] > max) max = x[2]; });
  var hours = []; for (var h = 0; h < 24; h++) hours.push(String(h));
  chart("chart-hours", {
    grid: { left: 8, right: 16, top: 8, bottom: 60, containLabel: true }, tooltip: { position: "top" },
    xAxis: { type: "category", data: hours, splitArea: { show: true } },
    yAxis: { type: "category", data: data.weekdays, inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                 inRange: { color: ["#f6f8fa", "#9ecae1", "#0b5cad", "#08306b"] } },
    series: [{ name: "events", type: "heatmap", data: data.hours }]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();

/* The cockpit (数字驾驶舱): draws the cockpit data of one organisation with ECharts, polls the API for it and redraws
   without reloading. Every word shown comes from the page (config.labels), translated on the server. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("cockpit-config").textContent);
  var L = config.labels;
  var dark = config.mode === "screen";
  var COLORS = { red: "#e5484d", yellow: "#f5b301", green: "#30a46c" };
  var NONE = "#6b7280";
  var TEXT = dark ? "#e6edf7" : "#1f2937";
  var charts = {};
  var since = "month";
  var current = config.data;

  // Tooltips are HTML: names typed by users are escaped before they go in.
  function esc(text) { return echarts.format.encodeHTML(String(text === undefined || text === null ? "" : text)); }
  function orgUrl(id) { return config.org_url.replace("{id}", String(id)); }
  function q(selector) { return document.querySelector(selector); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function chart(id) {
    var node = document.getElementById(id);
    if (!node || typeof echarts === "undefined") return null;
    if (!charts[id]) {
      charts[id] = echarts.init(node, dark ? "dark" : null, { renderer: "canvas" });
      charts[id].on("click", function (params) {
        if (params.data && params.data.orgId) window.location.href = orgUrl(params.data.orgId);
      });
    }
    return charts[id];
  }

  function title(text) {
    return { text: text, left: 0, top: 0, textStyle: { fontSize: dark ? 15 : 14, color: TEXT, fontWeight: 600 } };
  }
  var BASE = { backgroundColor: "transparent", textStyle: { color: TEXT } };
  function option(o) { return Object.assign({}, BASE, o); }

  /* -- header and KPI cards (server-rendered first, updated here) ------------------------------------------------ */
  function renderHeader(d) {
    var asOf = q("[data-testid=as-of]");
    if (asOf) {
      var text = d.as_of ? L.as_of + " " + d.as_of : "";
      if (d.refresh && d.refresh.finished_at) text += " · " + L.computed_at + " " + d.refresh.finished_at.slice(0, 16).replace("T", " ");
      asOf.textContent = text;
    }
    var dot = q("[data-testid=org-light]");
    if (dot) dot.setAttribute("data-light", d.light ? d.light.level : "");
  }

  function renderKpis(d) {
    var box = q("[data-testid=kpis]");
    if (!box) return;
    box.hidden = d.empty;
    d.kpis.forEach(function (k) {
      var card = box.querySelector('[data-code="' + k.code + '"]');
      if (!card) return;
      card.querySelector(".kpi-name").textContent = k.name;
      card.querySelector(".kpi-value").textContent = k.display;
      card.querySelector(".kpi-unit").textContent = k.unit;
      var change = card.querySelector(".kpi-change");
      change.textContent = k.change === null ? L.no_previous : L.vs_previous + " " + (k.change_display || "0");
      change.className = "kpi-change" + (k.better === true ? " better" : k.better === false ? " worse" : "");
      var parts = card.querySelector(".kpi-parts");
      parts.textContent = "";
      k.parts.forEach(function (p) { parts.appendChild(el("span", "part part-" + p.key, p.label + " " + p.display)); });
    });
  }

  /* -- charts ------------------------------------------------------------------------------------------------------ */
  function series(d, code) {
    for (var i = 0; i < d.trends.length; i++) if (d.trends[i].code === code) return d.trends[i];
    return null;
  }

  function renderTrends(d) {
    var members = d.trends[0], alerts = series(d, "alerts.open");
    var c = chart("chart-trend-members");
    if (c && members) {
      c.setOption(option({
        title: title(L.trend_members), tooltip: { trigger: "axis" },
        legend: { top: 22, left: 0, textStyle: { color: TEXT, fontSize: 11 } },
        grid: { left: 56, right: 40, top: 58, bottom: 28 },
        xAxis: { type: "category", data: members.points.map(function (p) { return p.label; }) },
        yAxis: [{ type: "value", scale: true, minInterval: 1 }, { type: "value", minInterval: 1, splitLine: { show: false } }],
        series: [
          { name: members.name, type: "line", smooth: true, areaStyle: { opacity: 0.15 }, data: members.points.map(function (p) { return p.value; }) },
          { name: L.alerts, type: "bar", yAxisIndex: 1, itemStyle: { color: COLORS.red }, barMaxWidth: 14,
            data: alerts ? alerts.points.map(function (p) { return p.value; }) : [] }
        ]
      }), true);
    }
    c = chart("chart-trend-index");
    if (c) {
      var lines = d.trends.filter(function (s) { return s.kind !== "count"; });
      c.setOption(option({
        title: title(L.trend_index), tooltip: { trigger: "axis" },
        legend: { top: 22, left: 0, textStyle: { color: TEXT, fontSize: 11 } },
        grid: { left: 40, right: 16, top: 58, bottom: 28 },
        xAxis: { type: "category", data: members ? members.points.map(function (p) { return p.label; }) : [] },
        yAxis: { type: "value", min: 0, max: 100 },
        series: lines.map(function (s) {
          return { name: s.name, type: "line", smooth: true, connectNulls: false, data: s.points.map(function (p) { return p.value; }) };
        })
      }), true);
    }
  }

  var PIES = { "members.gender": 1, "members.category": 1, "members.ethnicity": 1 };
  var HORIZONTAL = { "members.education": 1, "members.occupation": 1, "members.join_period": 1 };

  function renderStructure(d) {
    d.structure.forEach(function (s) {
      var c = chart("chart-" + s.code);
      if (!c) return;
      var tip = { formatter: function (p) { return esc(p.name) + "：" + esc(p.value) + " " + esc(s.unit); } };
      if (!s.items.length) {
        c.setOption(option({ title: title(s.name), graphic: [{ type: "text", left: "center", top: "middle",
          style: { text: L.no_data, fill: TEXT, opacity: 0.6, fontSize: 14 } }] }), true);
        return;
      }
      if (PIES[s.code]) {
        c.setOption(option({
          title: title(s.name), tooltip: Object.assign({ trigger: "item" }, tip),
          series: [{ type: "pie", radius: ["38%", "62%"], center: ["50%", "58%"],
                     label: { color: TEXT, formatter: "{b}\n{d}%", fontSize: 11 },
                     data: s.items.map(function (i) { return { name: i.label, value: i.value }; }) }]
        }), true);
      } else if (HORIZONTAL[s.code]) {
        var items = s.items.slice().reverse();
        c.setOption(option({
          title: title(s.name), tooltip: Object.assign({ trigger: "item" }, tip),
          grid: { left: 8, right: 36, top: 28, bottom: 4, containLabel: true },
          xAxis: { type: "value", minInterval: 1, axisLabel: { show: false }, splitLine: { show: false } },
          yAxis: { type: "category", data: items.map(function (i) { return i.label; }),
                   axisLabel: { fontSize: 11, width: 110, overflow: "truncate" } },
          series: [{ type: "bar", barMaxWidth: 14, label: { show: true, position: "right", color: TEXT, fontSize: 11 },
                     data: items.map(function (i) { return i.value; }) }]
        }), true);
      } else {
        c.setOption(option({
          title: title(s.name), tooltip: Object.assign({ trigger: "item" }, tip),
          grid: { left: 8, right: 8, top: 32, bottom: 4, containLabel: true },
          xAxis: { type: "category", data: s.items.map(function (i) { return i.label; }), axisLabel: { fontSize: 10, interval: 0, rotate: 30 } },
          yAxis: { type: "value", minInterval: 1 },
          series: [{ type: "bar", barMaxWidth: 22, label: { show: true, position: "top", color: TEXT, fontSize: 11 },
                     data: s.items.map(function (i) { return i.value; }) }]
        }), true);
      }
    });
  }

  function lightName(level) { return level ? L[level] : L.no_light; }

  // A tile's area is its members; an organisation without members (a branch just founded, one whose members all
  // moved) still gets a small tile, so that it and its warning light are seen. The label shows the real count.
  var EMPTY_TOP_SHARE = 0.02, EMPTY_CHILD_SHARE = 0.05;

  function treeNodes(nodes, floor) {
    if (floor === undefined) {
      var total = nodes.reduce(function (sum, n) { return sum + (n.members || 0); }, 0);
      floor = total > 0 ? total * EMPTY_TOP_SHARE : 1;
    }
    return nodes.map(function (n) {
      var color = n.light ? COLORS[n.light] : NONE;
      var area = Math.max(n.members || 0, floor);
      var children = n.children && n.children.length ? treeNodes(n.children, area * EMPTY_CHILD_SHARE) : undefined;
      if (children) {
        area = Math.max(area, children.reduce(function (sum, c) { return sum + c.value; }, 0));
      }
      return {
        name: n.name, orgId: n.id, value: area, members: n.members || 0, light: n.light, redOrgs: n.red_orgs,
        yellowOrgs: n.yellow_orgs, itemStyle: { color: color, borderColor: color }, children: children
      };
    });
  }

  function renderTree(d) {
    var c = chart("chart-tree");
    if (c && !d.tree.length) {
      c.setOption(option({ graphic: [{ type: "text", left: "center", top: "middle",
        style: { text: L.no_children, fill: TEXT, opacity: 0.6, fontSize: 16 } }] }), true);
    } else if (c) {
      c.setOption(option({
        tooltip: { formatter: function (p) {
          var x = p.data || {};
          return esc(p.name) + "<br>" + esc(L.members + " " + (x.members || 0) + " " + L.person) + "<br>" +
            esc(lightName(x.light) + (x.redOrgs || x.yellowOrgs ? "（" + L.red + " " + x.redOrgs + "，" + L.yellow + " " +
            x.yellowOrgs + "）" : "")) + "<br>" + esc(L.drill);
        } },
        series: [{
          type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false },
          top: 4, left: 4, right: 4, bottom: 4,
          label: { show: true, formatter: function (p) { return p.name + "\n" + ((p.data || {}).members || 0) + " " + L.person; }, fontSize: dark ? 14 : 12 },
          levels: [
            { itemStyle: { borderWidth: 0, gapWidth: 4, borderColor: "transparent", color: "transparent" }, upperLabel: { show: false } },
            { itemStyle: { borderWidth: 3, gapWidth: 2 }, upperLabel: { show: d.tree_depth > 1, height: 22, color: "#fff" } },
            { itemStyle: { borderWidth: 1, gapWidth: 1, borderColor: dark ? "#06122b" : "#fff" } }
          ],
          data: treeNodes(d.tree)
        }]
      }), true);
    }
    var list = q("[data-testid=child-list]");
    if (list) {
      list.textContent = "";
      d.tree.forEach(function (n) {
        var a = el("a");
        a.href = orgUrl(n.id);
        a.setAttribute("data-org-id", n.id);
        var dot = el("span", "light-dot");
        dot.setAttribute("data-light", n.light || "");
        a.appendChild(dot);
        a.appendChild(el("span", "name", n.name));
        a.appendChild(el("span", "figure", (n.members === null ? "—" : n.members) + " " + L.person));
        var li = el("li");
        li.appendChild(a);
        list.appendChild(li);
      });
    }
  }

  function renderRanking(kind, ranking) {
    var list = q('[data-ranking="' + kind + '"]'), note = q('[data-note="' + kind + '"]');
    if (!list) return;
    list.textContent = "";
    ranking.rows.forEach(function (r) {
      var a = el("a");
      a.href = orgUrl(r.org_id);
      a.setAttribute("data-org-id", r.org_id);
      a.title = L.drill;
      a.appendChild(el("span", "rank", String(r.rank)));
      a.appendChild(el("span", "name", r.name));
      var figure = el("span", "figure", r.display);
      if (r.delta !== null) {
        var delta = el("span", "delta" + (r.delta < 0 ? " down" : ""), r.delta_display || "0");
        figure.appendChild(delta);
      }
      a.appendChild(figure);
      var li = el("li");
      li.appendChild(a);
      list.appendChild(li);
    });
    if (note) note.textContent = ranking.note || "";
  }

  function renderRankings(d) {
    renderRanking("vitality", d.rankings.vitality);
    renderRanking("improvement", since === "year" ? d.rankings.improvement_year : d.rankings.improvement_month);
  }

  function render(d) {
    current = d;
    renderHeader(d);
    renderKpis(d);
    var empty = q("[data-testid=empty-state]"), board = q("[data-testid=board]");
    if (empty) empty.hidden = !d.empty;
    if (board) board.hidden = d.empty;
    if (d.empty) return;
    renderTrends(d);
    renderStructure(d);
    renderTree(d);
    renderRankings(d);
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  }

  document.querySelectorAll(".toggle [data-since]").forEach(function (button) {
    button.addEventListener("click", function () {
      since = button.getAttribute("data-since");
      document.querySelectorAll(".toggle [data-since]").forEach(function (b) { b.classList.toggle("active", b === button); });
      renderRankings(current);
    });
  });

  function poll() {
    var status = q("[data-testid=refresh-status]");
    fetch(config.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
      .then(function (d) {
        if (d.empty !== current.empty) { window.location.reload(); return; }  // the cards are laid out by the server
        render(d);
        if (status) status.textContent = L.refreshed + " " + new Date().toTimeString().slice(0, 8);
      })
      .catch(function () { if (status) status.textContent = L.refresh_failed; });
  }

  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (id) { charts[id].resize(); }); });
  render(current);
  document.body.setAttribute("data-rendered", "1");
  setInterval(poll, config.refresh_seconds * 1000);
  window.dangjianCockpit = { poll: poll, charts: charts };
})();

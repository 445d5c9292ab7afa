/* pcra dependency graph: draws what a node needs with the vendored cytoscape core.
 *
 * Reads cytoscape elements from the <script type="application/json" id="graph-elements">
 * written by the page (json_script), or fetches them from the container's data-src
 * (graph:node_data). Lays the graph out in layers, left to right (a node's column is its
 * longest distance from the root, so every arrow points right), ordering each column by the
 * barycentre of its neighbours to limit crossings. No inline script or style: colours come
 * from CSS custom properties of graph.css.
 */
(function () {
  "use strict";

  var container = document.getElementById("graph");
  if (!container || typeof window.cytoscape !== "function") {
    return;
  }

  // Cytoscape injects a <style> element unless one with this id exists: the strict CSP
  // would refuse it, and graph.css already carries the rule it holds.
  var STYLESHEET_ID = "__________cytoscape_stylesheet";
  if (!document.getElementById(STYLESHEET_ID)) {
    var marker = document.createElement("meta");
    marker.id = STYLESHEET_ID;
    document.head.appendChild(marker);
  }

  var CHAR_WIDTH = 7.2;
  var NODE_HEIGHT = 30;
  var ROW_GAP = 16;
  var COLUMN_GAP = 80;
  /* Below this zoom labels are unreadable: start there and let the user pan or fit. */
  var READABLE_ZOOM = 0.8;
  var MAX_START_ZOOM = 1.25;

  function cssVar(name, fallback) {
    var value = window.getComputedStyle(container).getPropertyValue(name).trim();
    return value || fallback;
  }

  function nodeWidth(label) {
    return Math.max(60, Math.round(label.length * CHAR_WIDTH) + 24);
  }

  /* Column (longest path from the roots) and row of every node. */
  function layered(elements) {
    var nodes = elements.nodes.map(function (n) { return n.data; });
    var ids = nodes.map(function (n) { return n.id; });
    var out = {}, into = {}, level = {}, indegree = {};
    ids.forEach(function (id) { out[id] = []; into[id] = []; indegree[id] = 0; });
    elements.edges.forEach(function (e) {
      var d = e.data;
      if (out[d.source] && into[d.target]) {
        out[d.source].push(d.target);
        into[d.target].push(d.source);
        indegree[d.target] += 1;
      }
    });
    var queue = ids.filter(function (id) { return indegree[id] === 0; });
    queue.forEach(function (id) { level[id] = 0; });
    for (var head = 0; head < queue.length; head++) {
      var current = queue[head];
      out[current].forEach(function (next) {
        level[next] = Math.max(level[next] || 0, level[current] + 1);
        indegree[next] -= 1;
        if (indegree[next] === 0) { queue.push(next); }
      });
    }
    // Nodes on a cycle (possible only through merged "outside your scope" markers).
    ids.forEach(function (id) {
      if (level[id] === undefined) {
        var preds = into[id].filter(function (p) { return level[p] !== undefined; });
        level[id] = preds.length ? 1 + Math.max.apply(null, preds.map(function (p) { return level[p]; })) : 0;
      }
    });

    var byId = {};
    nodes.forEach(function (n) { byId[n.id] = n; });
    var columns = [];
    ids.forEach(function (id) {
      (columns[level[id]] = columns[level[id]] || []).push(id);
    });
    var typeRank = { activity: 0, application: 1, component: 2, hidden: 3 };
    columns.forEach(function (column) {
      column.sort(function (a, b) {
        var ta = typeRank[byId[a].type], tb = typeRank[byId[b].type];
        return ta !== tb ? ta - tb : String(byId[a].label).localeCompare(String(byId[b].label));
      });
    });

    var row = {};
    function index() {
      columns.forEach(function (column) {
        column.forEach(function (id, i) { row[id] = i - (column.length - 1) / 2; });
      });
    }
    function sweep(neighbours, order) {
      order.forEach(function (c) {
        var column = columns[c];
        if (!column) { return; }
        var weight = {};
        column.forEach(function (id) {
          var near = neighbours[id];
          weight[id] = near.length
            ? near.reduce(function (sum, n) { return sum + row[n]; }, 0) / near.length
            : row[id];
        });
        column.sort(function (a, b) { return weight[a] - weight[b]; });
        column.forEach(function (id, i) { row[id] = i - (column.length - 1) / 2; });
      });
    }
    index();
    var forward = [], backward = [];
    for (var c = 1; c < columns.length; c++) { forward.push(c); }
    for (var b = columns.length - 2; b >= 0; b--) { backward.push(b); }
    for (var pass = 0; pass < 4; pass++) {
      sweep(into, forward);
      sweep(out, backward);
    }
    sweep(into, forward);

    var positions = {}, x = 0, tallest = 0;
    columns.forEach(function (column) {
      var widest = 0;
      tallest = Math.max(tallest, column.length);
      column.forEach(function (id) { widest = Math.max(widest, nodeWidth(String(byId[id].label))); });
      column.forEach(function (id) {
        positions[id] = { x: x + widest / 2, y: row[id] * (NODE_HEIGHT + ROW_GAP) };
      });
      x += widest + COLUMN_GAP;
    });
    return { positions: positions, width: x - COLUMN_GAP, height: tallest * (NODE_HEIGHT + ROW_GAP) };
  }

  function style() {
    var text = cssVar("--gr-text", "#1d2733");
    var edge = cssVar("--gr-edge", "#6b7a87");
    return [
      { selector: "node", style: {
        "shape": "round-rectangle", "width": "data(w)", "height": NODE_HEIGHT,
        "label": "data(label)", "text-valign": "center", "text-halign": "center",
        "font-size": 12, "font-family": cssVar("--gr-font", "sans-serif"), "color": text,
        "background-color": "#ffffff", "border-width": 2, "border-color": edge } },
      { selector: "node[type = 'activity']", style: {
        "background-color": cssVar("--gr-activity-bg", "#e6f0fb"),
        "border-color": cssVar("--gr-activity", "#1c4f8f") } },
      { selector: "node[type = 'application']", style: {
        "shape": "rectangle",
        "background-color": cssVar("--gr-application-bg", "#efe9fb"),
        "border-color": cssVar("--gr-application", "#5a34a3") } },
      { selector: "node[type = 'component']", style: {
        "shape": "cut-rectangle",
        "background-color": cssVar("--gr-component-bg", "#eceff2"),
        "border-color": cssVar("--gr-component", "#3b4a56") } },
      { selector: "node[type = 'hidden']", style: {
        "background-color": cssVar("--gr-hidden-bg", "#eeeeee"),
        "border-color": cssVar("--gr-hidden", "#777777"), "border-style": "dashed",
        "font-style": "italic", "color": cssVar("--gr-hidden", "#555555") } },
      { selector: "node[?root]", style: { "border-width": 4, "font-weight": "bold" } },
      { selector: "node[url]:active, node[url]:selected", style: {
        "overlay-opacity": 0.08, "overlay-color": edge } },
      { selector: "edge", style: {
        "width": 1.5, "line-color": edge, "target-arrow-color": edge,
        "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.9,
        "label": "data(label)", "font-size": 10, "color": text,
        "text-background-color": "#ffffff", "text-background-opacity": 0.9,
        "text-background-padding": 2, "text-background-shape": "round-rectangle",
        "min-zoomed-font-size": 7 } },
      { selector: ".gr-faded", style: { "opacity": 0.12 } },
      { selector: "edge[?alt]", style: {
        "line-style": "dashed", "line-dash-pattern": [6, 4],
        "line-color": cssVar("--gr-group", "#0b5a6b"),
        "target-arrow-color": cssVar("--gr-group", "#0b5a6b") } }
    ];
  }

  function draw(elements) {
    elements.nodes.forEach(function (n) { n.data.w = nodeWidth(String(n.data.label)); });
    var layout = layered(elements);
    // As tall as the drawing at a readable zoom, within the window.
    var wanted = layout.height * READABLE_ZOOM + 48;
    container.style.height = Math.round(Math.max(260, Math.min(wanted, window.innerHeight * 0.8))) + "px";
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      style: style(),
      layout: { name: "preset", positions: layout.positions, fit: true, padding: 24 },
      minZoom: 0.15,
      maxZoom: 2.5,
      autoungrabify: true,
      boxSelectionEnabled: false
    });
    function readable() {
      cy.fit(undefined, 24);
      if (cy.zoom() > MAX_START_ZOOM) {
        cy.zoom(MAX_START_ZOOM);
        cy.center();
      } else if (cy.zoom() < READABLE_ZOOM) {
        // Too small to read: zoom in on the root and let the user pan or fit.
        var root = cy.nodes("[?root]");
        var at = root.nonempty() ? root.position() : { x: 0, y: 0 };
        cy.zoom(READABLE_ZOOM);
        cy.pan({ x: 24 + root.width() * READABLE_ZOOM / 2 - at.x * READABLE_ZOOM,
                 y: container.clientHeight / 2 - at.y * READABLE_ZOOM });
      }
    }
    readable();
    // Hovering a node shows only its own chain: what it needs and what leads to it.
    cy.on("mouseover", "node", function (event) {
      var node = event.target;
      var keep = node.union(node.successors()).union(node.predecessors());
      cy.elements().not(keep).addClass("gr-faded");
    });
    cy.on("mouseout", "node", function () { cy.elements().removeClass("gr-faded"); });
    cy.on("tap", "node[url]", function (event) {
      window.location.assign(event.target.data("url"));
    });
    cy.on("mouseover", "node[url]", function () { container.classList.add("gr-pointer"); });
    cy.on("mouseout", "node", function () { container.classList.remove("gr-pointer"); });
    document.querySelectorAll(".gr-js-only").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll(".gr-fit").forEach(function (button) {
      button.addEventListener("click", function () {
        cy.fit(undefined, 24);
        button.hidden = true;
        var back = document.querySelector(".gr-readable");
        if (back) { back.hidden = false; }
      });
    });
    document.querySelectorAll(".gr-readable").forEach(function (button) {
      button.addEventListener("click", function () {
        readable();
        button.hidden = true;
        document.querySelectorAll(".gr-fit").forEach(function (fit) { fit.hidden = false; });
      });
    });
    // Printing: a picture of the whole graph replaces the interactive canvas (print CSS).
    var picture = document.createElement("img");
    picture.className = "gr-print-img";
    picture.alt = container.getAttribute("aria-label") || "";
    container.parentNode.insertBefore(picture, container.nextSibling);
    window.setTimeout(function () {
      picture.src = cy.png({ full: true, scale: 2, bg: "#ffffff", maxWidth: 3200, maxHeight: 3200 });
    }, 0);
  }

  var inline = document.getElementById("graph-elements");
  if (inline) {
    draw(JSON.parse(inline.textContent));
  } else if (container.dataset.src) {
    fetch(container.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) { draw(data.elements); });
  }
})();

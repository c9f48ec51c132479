/* The playground page: an editor checked as you type (/v1/validate), completion from the schema
   (/v1/schema), SQL for every dialect (/v1/compile), run and explain (/v1/preview), save/update/delete
   (/v1/segments), why one record is or is not a member (/v1/why), size over time (/v1/segments/{id}/history) and overlap (/v1/segments/overlap).
   The API key lives in sessionStorage only and travels in the Authorization header, never in a URL. */
(function () {
  "use strict";
  var L = window.SegqlLogic;
  var $ = function (id) { return document.getElementById(id); };
  var state = { key: sessionStorage.getItem("segql.key") || "", scopes: [], schema: null, saved: [], current: null,
    lastCheck: 0 };

  CodeMirror.defineSimpleMode("segql", L.segqlMode);
  var editor = CodeMirror.fromTextArea($("source"), {
    mode: "segql", lineNumbers: true, lineWrapping: true, gutters: ["CodeMirror-lint-markers"],
    lint: { getAnnotations: function () { return state.marks || []; }, lintOnChange: false },
    extraKeys: { "Ctrl-Space": "autocomplete", "Ctrl-Enter": run, "Cmd-Enter": run, Tab: false, "Shift-Tab": false },
    hintOptions: { hint: hint, completeSingle: false },
    screenReaderLabel: "Segment conditions",
  });

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (state.key) headers["Authorization"] = "Bearer " + state.key;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        if (r.status === 204) return null;
        return r.json().then(function (data) {
          if (!r.ok) { var e = new Error(data.error ? data.error.message : r.statusText); e.status = r.status; e.body = data; throw e; }
          return data;
        });
      });
  }

  function source() {
    var text = editor.getValue();
    var body = { criteria: text, object_type: $("entity").value };
    if ($("name").value.trim()) body.name = $("name").value.trim();
    return body;
  }

  // ---- key and schema ----------------------------------------------------------------------------
  function useKey(key) {
    state.key = key;
    if (key) sessionStorage.setItem("segql.key", key); else sessionStorage.removeItem("segql.key");
    return api("GET", "/v1/whoami").then(function (me) {
      state.scopes = me.scopes;
      $("whoami").textContent = me.organization + " · " + me.scopes.join(", ");
      var canWrite = me.scopes.indexOf("write:segments") >= 0;
      $("save").hidden = !canWrite;
      $("delete").hidden = !canWrite || !state.current;
      return Promise.all([loadSchema(), loadSaved()]);
    }).then(check).catch(function (e) {
      state.scopes = [];
      $("save").hidden = $("delete").hidden = true;
      $("whoami").textContent = e.status === 401 ? "that key is not valid" : (e.message || "cannot reach the service");
    });
  }

  function loadSchema() {
    return api("GET", "/v1/schema").then(function (schema) {
      state.schema = schema;
      var entity = $("entity"), dialect = $("dialect");
      entity.innerHTML = ""; dialect.innerHTML = "";
      Object.keys(schema.entities).forEach(function (n) { entity.add(new Option(n, n)); });
      schema.dialects.forEach(function (d) { dialect.add(new Option(d, d)); });
    });
  }

  function loadSaved() {
    return api("GET", "/v1/segments?limit=500&sort=name").then(function (page) {
      state.saved = page.data;
      var sel = $("saved"), keep = state.current && state.current.id;
      sel.innerHTML = "";
      sel.add(new Option("— new segment —", ""));
      page.data.forEach(function (s) { sel.add(new Option(s.name + " (" + s.slug + ")", s.id)); });
      sel.value = keep || "";
      var pick = $("overlap-pick");
      pick.innerHTML = "";
      page.data.forEach(function (s) {
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox"; box.value = s.id;
        label.appendChild(box); label.appendChild(document.createTextNode(" " + s.name + " "));
        pick.appendChild(label);
      });
    });
  }

  // ---- checking as you type ----------------------------------------------------------------------
  var timer = null;
  editor.on("change", function () { clearTimeout(timer); timer = setTimeout(check, 250); });
  $("entity").addEventListener("change", check);
  $("form").addEventListener("change", function () {
    editor.setOption("mode", $("form").value === "json" ? { name: "javascript", json: true } : "segql");
  });

  function check() {
    if (!state.key) return Promise.resolve();
    var stamp = ++state.lastCheck;
    return api("POST", "/v1/validate", source()).then(function (result) {
      if (stamp !== state.lastCheck) return;
      showDiagnostics(result.diagnostics);
      if (result.valid) compileSql();
      else { $("sql").textContent = "-- fix the errors on the left to see the SQL"; $("sql-params").textContent = ""; }
    }).catch(function (e) { showDiagnostics(e.body && e.body.error ? e.body.error.diagnostics : []); });
  }

  function showDiagnostics(diags) {
    state.marks = L.toMarks(diags, editor.getValue());
    editor.performLint();
    var box = $("diagnostics");
    box.innerHTML = "";
    if (!diags.length) { box.innerHTML = '<p class="ok">✓ valid</p>'; return; }
    diags.forEach(function (d) {
      var div = document.createElement("div");
      div.className = "diag " + (d.severity === "warning" ? "warning" : "error");
      div.setAttribute("data-code", d.code);
      var where = d.line ? d.line + ":" + d.column + " " : (d.pointer ? d.pointer + " " : "");
      div.textContent = where + (d.severity === "warning" ? "warning" : "error") + "[" + d.code + "]: " + d.message;
      (d.hints || []).forEach(function (h) {
        var p = document.createElement("div"); p.className = "hint"; p.textContent = "hint: " + h; div.appendChild(p);
      });
      box.appendChild(div);
    });
  }

  function hint(cm) {
    var cur = cm.getCursor(), text = cm.getValue(), index = cm.indexFromPos(cur);
    var slugs = state.saved.map(function (s) { return s.slug; });
    var found = L.completions(state.schema, $("entity").value, text, index, slugs);
    return { list: found.list.map(function (c) { return { text: c.text, displayText: c.text + "  · " + c.kind }; }),
      from: cm.posFromIndex(found.from), to: cm.posFromIndex(found.to) };
  }
  editor.on("inputRead", function (cm, change) {
    if (/[\w."]/.test(change.text.join("")) && !cm.state.completionActive) cm.showHint({ completeSingle: false });
  });

  // ---- SQL ------------------------------------------------------------------------------------------
  function compileSql() {
    var body = source();
    body.dialect = $("dialect").value || "duckdb";
    if ($("params").checked) body.params = "named";
    return api("POST", "/v1/compile", body).then(function (r) {
      $("sql").textContent = r.sql;
      $("sql-params").textContent = r.params ? "params: " + JSON.stringify(r.params) : "";
    }).catch(function (e) { $("sql").textContent = e.message; $("sql-params").textContent = ""; });
  }
  $("dialect").addEventListener("change", compileSql);
  $("params").addEventListener("change", compileSql);
  $("copy").addEventListener("click", function () {
    var text = $("sql").textContent;
    (navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject()).then(function () {
      $("copy").textContent = "Copied";
      setTimeout(function () { $("copy").textContent = "Copy"; }, 1500);
    }, function () { $("copy").textContent = "Select and copy"; });
  });

  // ---- run and explain -------------------------------------------------------------------------------
  function run() {
    if (editor.state.completionActive) editor.closeHint();  // the list would cover the members
    var body = source();
    body.columns = $("columns").value.split(",").map(function (c) { return c.trim(); }).filter(Boolean);
    body.limit = 100;
    body.explain = true;
    $("count").textContent = "running…";
    return api("POST", "/v1/preview", body).then(function (r) {
      $("count").textContent = r.member_count + " member" + (r.member_count === 1 ? "" : "s")
        + (r.data.length < r.member_count ? " (first " + r.data.length + " shown)" : "");
      table($("members"), r.columns, r.data.map(function (m) { return r.columns.map(function (c) { return m[c]; }); }), [0]);
      keyButtons($("members"));
      showExplain(r.explain);
      if (selectedTab() !== "explain") selectTab("run");
    }).catch(function (e) {
      $("count").textContent = e.message;
      if (e.body && e.body.error) showDiagnostics(e.body.error.diagnostics);
    });
  }
  $("run").addEventListener("click", run);

  // ---- why (not): one record's condition tree --------------------------------------------------------
  function keyButtons(el) {  // each member's key becomes a button: keyboard and screen readers reach it
    Array.prototype.forEach.call(el.querySelectorAll("tbody tr td:first-child"), function (td) {
      var key = td.textContent, b = document.createElement("button");
      b.type = "button"; b.className = "key-link"; b.textContent = key;
      b.setAttribute("aria-label", "why is " + key + " a member?");
      b.addEventListener("click", function () { $("why-key").value = key; why(key); });
      td.textContent = ""; td.appendChild(b);
    });
  }

  function why(key) {
    var body = source();
    body.key = key;
    $("why").hidden = false;
    $("why-head").textContent = "asking why…";
    $("why-tree").innerHTML = "";
    return api("POST", "/v1/why", body).then(function (r) {
      $("why-head").textContent = L.whyHead(r);
      L.whyRows(r).forEach(function (row) {
        var li = document.createElement("li");
        li.className = "why-node " + (row.ok ? "pass" : "fail") + (row.kind === "condition" ? " leaf" : "");
        li.setAttribute("data-value", row.ok ? "true" : "false");
        li.style.paddingLeft = (row.depth * 1.2) + "rem";
        var mark = document.createElement("span"); mark.className = "mark"; mark.textContent = row.mark;
        mark.setAttribute("aria-label", row.ok ? "true" : "false");
        var label = document.createElement("code"); label.textContent = row.label;
        li.appendChild(mark); li.appendChild(document.createTextNode(" ")); li.appendChild(label);
        row.details.forEach(function (d) {
          var div = document.createElement("div"); div.className = "detail"; div.textContent = d; li.appendChild(div);
        });
        $("why-tree").appendChild(li);
      });
    }).catch(function (e) {
      $("why-head").textContent = e.message;
      if (e.body && e.body.error && e.status === 422 && e.body.error.code !== "E0703") showDiagnostics(e.body.error.diagnostics);
    });
  }
  $("why-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var key = $("why-key").value.trim();
    if (key) why(key);
  });

  function showExplain(result) {
    var list = $("funnel");
    list.innerHTML = "";
    if (!result) return;
    $("explain-head").textContent = result.members + " of " + result.records + " records are members";
    L.funnelRows(result).forEach(function (row) {
      var li = document.createElement("li");
      var label = document.createElement("span"); label.className = "label";
      label.style.paddingLeft = (row.depth * 1.2) + "rem"; label.textContent = row.label;
      var bar = document.createElement("span"); bar.className = "meter"; bar.setAttribute("role", "img");
      bar.setAttribute("aria-label", Math.round(row.share * 100) + "% of records");
      var fill = document.createElement("span"); fill.style.width = (row.share * 100).toFixed(1) + "%"; bar.appendChild(fill);
      var n = document.createElement("span"); n.className = "num"; n.textContent = row.records;
      li.appendChild(label); li.appendChild(bar); li.appendChild(n);
      list.appendChild(li);
    });
  }

  function table(el, header, rows, numeric) {
    el.innerHTML = "";
    var head = el.createTHead().insertRow();
    header.forEach(function (h) { var th = document.createElement("th"); th.textContent = h; th.scope = "col"; head.appendChild(th); });
    var body = el.createTBody();
    rows.forEach(function (r) {
      var tr = body.insertRow();
      r.forEach(function (v, i) {
        var td = tr.insertCell(); td.textContent = v === null || v === undefined ? "" : String(v);
        if ((numeric || []).indexOf(i) >= 0) td.className = "num";
      });
    });
  }

  // ---- saved segments -------------------------------------------------------------------------------
  $("saved").addEventListener("change", function () {
    var seg = state.saved.filter(function (s) { return s.id === $("saved").value; })[0] || null;
    state.current = seg;
    $("delete").hidden = !seg || state.scopes.indexOf("write:segments") < 0;
    $("save").textContent = seg ? "Update" : "Save";
    if (seg) {
      $("name").value = seg.name; $("entity").value = seg.object_type; $("form").value = "text";
      editor.setOption("mode", "segql");
      editor.setValue(seg.criteria || "");
      loadHistory(seg);
    }
  });

  $("save").addEventListener("click", function () {
    var body = source();
    if (!body.name) { $("save-status").textContent = "give the segment a name first"; $("name").focus(); return; }
    var done = state.current
      ? api("PATCH", "/v1/segments/" + state.current.id, { name: body.name, criteria: body.criteria, object_type: body.object_type })
      : api("POST", "/v1/segments", body);
    done.then(function (seg) {
      state.current = seg;
      $("save-status").textContent = "saved " + seg.slug + " (v" + seg.version + ", " + seg.member_count + " members)";
      $("save").textContent = "Update"; $("delete").hidden = false;
      return loadSaved().then(function () { $("saved").value = seg.id; });
    }).catch(function (e) {
      $("save-status").textContent = e.message;
      if (e.body && e.body.error) showDiagnostics(e.body.error.diagnostics);
    });
  });

  $("delete").addEventListener("click", function () {
    if (!state.current || !window.confirm("Delete " + state.current.name + "?")) return;
    api("DELETE", "/v1/segments/" + state.current.id).then(function () {
      $("save-status").textContent = "deleted " + state.current.slug;
      state.current = null; $("save").textContent = "Save"; $("delete").hidden = true;
      return loadSaved();
    }).catch(function (e) { $("save-status").textContent = e.message; });
  });

  function loadHistory(seg) {
    return api("GET", "/v1/segments/" + seg.id + "/history").then(function (h) {
      $("history-head").textContent = seg.name + ": " + h.data.length + " refresh" + (h.data.length === 1 ? "" : "es");
      var w = 480, hgt = 160, pts = L.historyPoints(h.data, w, hgt);
      var svg = '<svg viewBox="-40 -10 ' + (w + 60) + ' ' + (hgt + 40) + '" role="img" aria-label="Member count over time" width="100%">';
      svg += '<polyline fill="none" stroke="#0b4fa8" stroke-width="2" points="' + pts.map(function (p) { return p.x + "," + p.y; }).join(" ") + '"/>';
      pts.forEach(function (p) { svg += '<circle cx="' + p.x + '" cy="' + p.y + '" r="3" fill="#0b4fa8"><title>' + p.at + ": " + p.count + '</title></circle>'; });
      if (pts.length) svg += '<text x="-38" y="4">' + Math.max.apply(null, pts.map(function (p) { return p.count; })) + '</text><text x="-38" y="' + hgt + '">0</text>';
      $("history-chart").innerHTML = svg + "</svg>";
      table($("history-table"), ["refreshed at", "members", "entered", "left"],
        h.data.map(function (r) { return [r.refreshed_at, r.member_count, r.entered, r.left]; }), [1, 2, 3]);
    });
  }

  $("overlap-run").addEventListener("click", function () {
    var ids = Array.prototype.map.call(document.querySelectorAll("#overlap-pick input:checked"), function (b) { return b.value; });
    if (!ids.length) ids = state.saved.map(function (s) { return s.id; });
    api("POST", "/v1/segments/overlap", { ids: ids }).then(function (r) {
      var el = $("overlap"); el.innerHTML = "";
      r.data.forEach(function (block) {
        var max = Math.max.apply(null, block.matrix.map(function (row) { return Math.max.apply(null, row); }));
        var head = el.createTHead().insertRow();
        var corner = document.createElement("th"); corner.textContent = block.object_type; head.appendChild(corner);
        block.segments.forEach(function (s) { var th = document.createElement("th"); th.scope = "col"; th.textContent = s; head.appendChild(th); });
        var body = el.createTBody();
        block.matrix.forEach(function (row, i) {
          var tr = body.insertRow();
          var th = document.createElement("th"); th.scope = "row"; th.textContent = block.segments[i]; tr.appendChild(th);
          row.forEach(function (v) {
            var td = tr.insertCell(), c = L.heat(v, max);
            td.textContent = v; td.className = "num"; td.style.background = c.background; td.style.color = c.color;
          });
        });
      });
    }).catch(function (e) { $("overlap").innerHTML = ""; $("overlap").textContent = e.message; });
  });

  // ---- tabs (arrow keys move between them, as the ARIA pattern says) ------------------------------------
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  function selectedTab() { return tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; })[0].id.slice(4); }
  function selectTab(name) {
    tabs.forEach(function (t) {
      var on = t.id === "tab-" + name;
      t.setAttribute("aria-selected", on ? "true" : "false"); t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (name === "history" && state.current) loadHistory(state.current);
  }
  tabs.forEach(function (t, i) {
    t.addEventListener("click", function () { selectTab(t.id.slice(4)); });
    t.addEventListener("keydown", function (e) {
      var step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      var next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus(); selectTab(next.id.slice(4));
    });
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  });
  $("key-form").addEventListener("submit", function (e) { e.preventDefault(); useKey($("api-key").value.trim()); });
  if (state.key) { $("api-key").value = state.key; useKey(state.key); }
})();

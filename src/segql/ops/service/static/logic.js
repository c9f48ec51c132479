/* The playground's logic without the DOM, so node's test runner can check it (tests/js/logic.test.js):
   the segql syntax mode, completion, diagnostics → editor marks, and the shapes the charts draw. */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.SegqlLogic = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var KEYWORDS = ["and", "or", "not", "in", "segment", "list", "performed", "did", "perform", "where", "at",
    "least", "most", "exactly", "more", "fewer", "than", "times", "time", "last", "this", "within", "ago",
    "between", "today", "now", "any", "all", "no", "is", "null", "empty", "contains", "starts", "ends", "with",
    "matches", "ignoring", "case", "let", "title", "description", "on", "true", "false", "before", "after",
    "date", "timestamp", "then"];
  var UNITS = ["second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
    "month", "months", "quarter", "quarters", "year", "years"];
  var FUNCTIONS = ["count", "sum", "avg", "min", "max", "lower", "upper", "length", "round", "abs", "coalesce",
    "month", "year", "day", "day_of_week", "current_month", "anniversary"];

  function wordsRegex(words) { return new RegExp("(?:" + words.join("|") + ")\\b", "i"); }

  /* CodeMirror 5 simple-mode states for the text language. */
  var segqlMode = {
    start: [
      { regex: /#.*/, token: "comment" },
      { regex: /"(?:[^\\"]|\\.)*"?/, token: "string" },
      { regex: /`[^`]*`?/, token: "variable-2" },
      { regex: /\$[\d,]+(?:\.\d+)?|\d+(?:\.\d+)?/, token: "number" },
      { regex: /segment\b|list\b/i, token: "keyword", sol: true },
      { regex: wordsRegex(KEYWORDS), token: "keyword" },
      { regex: wordsRegex(UNITS), token: "atom" },
      { regex: new RegExp("(?:" + FUNCTIONS.join("|") + ")(?=\\s*\\()", "i"), token: "builtin" },
      { regex: /[<>!=]=?|[-+*\/×]/, token: "operator" },
      { regex: /[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*/, token: "variable" },
    ],
    meta: { lineComment: "#" },
  };

  function isJsonText(text) { return /^[\s\ufeff]*[\[{]/.test(text || ""); }

  /* The names usable on `entity` after following the dotted `path` (relationship names), from the
     schema summary GET /v1/schema returns: {entities: {name: {properties, relationships: {rel: target},
     calculated, events: [names]}}}. */
  function namesAt(schema, entity, path) {
    var ent = schema && schema.entities && schema.entities[entity];
    for (var i = 0; ent && i < path.length; i++) {
      var target = ent.relationships && ent.relationships[path[i]];
      ent = target ? schema.entities[target] : null;
    }
    if (!ent) return [];
    var out = [];
    (ent.properties || []).forEach(function (n) { out.push({ text: n, kind: "property" }); });
    Object.keys(ent.relationships || {}).forEach(function (n) { out.push({ text: n, kind: "relationship" }); });
    (ent.calculated || []).forEach(function (n) { out.push({ text: n, kind: "calculated" }); });
    return out;
  }

  /* Completion at `index` of `text` on `entity`: {from, to, list: [{text, kind}]} (from/to are indexes).
     After `in segment ` it offers saved segment slugs; after `performed "` event names; after a
     relationship and a dot the related entity's names; otherwise names, keywords and functions. */
  function completions(schema, entity, text, index, slugs) {
    var before = text.slice(0, index);
    var ev = /performed\s+"([^"]*)$/i.exec(before);
    if (ev) {
      var events = [];
      var ent = schema && schema.entities && schema.entities[entity];
      Object.keys((ent && ent.relationships) || {}).forEach(function (rel) {
        var target = schema.entities[ent.relationships[rel]];
        (target && target.events || []).forEach(function (n) { if (events.indexOf(n) < 0) events.push(n); });
      });
      return filter(events.map(function (n) { return { text: n, kind: "event" }; }), ev[1], index - ev[1].length, index);
    }
    var seg = /in\s+segment\s+([\w-]*)$/i.exec(before);
    if (seg) {
      return filter((slugs || []).map(function (s) { return { text: s, kind: "segment" }; }), seg[1],
        index - seg[1].length, index);
    }
    var m = /((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)?$/.exec(before);
    var dotted = m[1] ? m[1].slice(0, -1).split(".") : [];
    var word = m[2] || "";
    var list = namesAt(schema, entity, dotted);
    if (!dotted.length) {
      list = list.concat(KEYWORDS.map(function (k) { return { text: k, kind: "keyword" }; }),
        FUNCTIONS.map(function (f) { return { text: f + "(", kind: "function" }; }));
    }
    return filter(list, word, index - word.length, index);
  }

  function filter(list, word, from, to) {
    var w = word.toLowerCase();
    var seen = {};
    var out = list.filter(function (c) {
      var key = c.text.toLowerCase();
      if (seen[key] || key.indexOf(w) !== 0 || (w && key === w)) return false;
      seen[key] = true;
      return true;
    });
    return { from: from, to: to, list: out };
  }

  /* Diagnostics from /v1/validate (1-based line/column, end exclusive) → CodeMirror marks (0-based). */
  function toMarks(diagnostics, text) {
    var lines = (text || "").split("\n");
    return (diagnostics || []).map(function (d) {
      var line = Math.max(0, Math.min((d.line || 1) - 1, lines.length - 1));
      var ch = Math.max(0, (d.column || 1) - 1);
      var endLine = d.end_line ? Math.max(line, Math.min(d.end_line - 1, lines.length - 1)) : line;
      var endCh = d.end_column ? d.end_column - 1 : lines[line].length;
      if (endLine === line && endCh <= ch) endCh = Math.min(ch + 1, Math.max(lines[line].length, ch + 1));
      var message = "[" + d.code + "] " + d.message + (d.hints && d.hints.length ? "\nhint: " + d.hints.join("\nhint: ") : "");
      return { from: { line: line, ch: ch }, to: { line: endLine, ch: endCh }, message: message,
        severity: d.severity === "warning" ? "warning" : "error" };
    });
  }

  /* The explain tree as rows for horizontal bars: depth, label, records, share of all records. */
  function funnelRows(result) {
    var rows = [];
    var total = result && result.records || 0;
    function visit(node, depth) {
      var label = node.kind === "condition" ? node.condition : node.kind;
      rows.push({ depth: depth, label: label, records: node.records, share: total ? node.records / total : 0 });
      (node.children || []).forEach(function (c) { visit(c, depth + 1); });
    }
    if (result && result.tree) visit(result.tree, 0);
    return rows;
  }

  /* Refresh history → points of a size-over-time chart in a width × height box (oldest at the left). */
  function historyPoints(history, width, height) {
    if (!history || !history.length) return [];
    var times = history.map(function (h) { return Date.parse(h.refreshed_at); });
    var t0 = Math.min.apply(null, times), t1 = Math.max.apply(null, times);
    var top = Math.max.apply(null, history.map(function (h) { return h.member_count; })) || 1;
    return history.map(function (h, i) {
      var x = t1 > t0 ? (times[i] - t0) / (t1 - t0) * width : width / 2;
      return { x: x, y: height - h.member_count / top * height, count: h.member_count, entered: h.entered,
        left: h.left, at: h.refreshed_at };
    });
  }

  /* A heat-map colour for an overlap cell: from white (0) to a deep blue (max), readable text on it. */
  function heat(value, max) {
    var t = max > 0 ? Math.max(0, Math.min(1, value / max)) : 0;
    var r = Math.round(255 - t * (255 - 30)), g = Math.round(255 - t * (255 - 80)), b = Math.round(255 - t * (255 - 160));
    return { background: "rgb(" + r + "," + g + "," + b + ")", color: t > 0.55 ? "#fff" : "#111" };
  }

  return { segqlMode: segqlMode, isJsonText: isJsonText, namesAt: namesAt, completions: completions,
    toMarks: toMarks, funnelRows: funnelRows, historyPoints: historyPoints, heat: heat, KEYWORDS: KEYWORDS };
});

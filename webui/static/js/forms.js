/*
 * Repeating groups of templates/forms/fields.html: "Add row" clones the group's <template> row,
 * "Remove row" deletes its row, and the rows are renumbered (names "items/2/unit", ids "f-items-2-unit")
 * so the server reads them in order. The template row's index is "__index__". Without this script both buttons submit the form and the server
 * re-renders it (webui.schema_forms.apply_row_action). No dependencies, no inline code: CSP-safe.
 */
(function () {
  "use strict";

  var NAME_ATTRIBUTES = ["name", "data-group"];
  var ID_ATTRIBUTES = ["id", "for", "aria-describedby", "aria-labelledby", "list"];
  var CONTROLS = "input:not([type=hidden]), select, textarea, button";

  /** The id prefix of a path: "items/0" -> "f-items-0". */
  function idOf(path) {
    return "f-" + path.replace(/\//g, "-");
  }

  /** `value` with a leading `from` (whole, or followed by `separator`) changed to `to`. */
  function swapPrefix(value, from, to, separator) {
    if (value === from) {
      return to;
    }
    return value.indexOf(from + separator) === 0 ? to + value.slice(from.length) : value;
  }

  /** Rewrite one attribute of `element`, token by token, when present. */
  function rewrite(element, attribute, from, to, separator) {
    var value = element.getAttribute(attribute);
    if (value === null) {
      return;
    }
    var tokens = value.split(" ").map(function (token) {
      return swapPrefix(token, from, to, separator);
    });
    element.setAttribute(attribute, tokens.join(" "));
  }

  /** The rows of a group, in page order. */
  function rowsOf(group) {
    return Array.prototype.slice.call(group.querySelector(":scope > .group__rows").children);
  }

  /** Give `row` of `group` the index `to` in every name, id, reference and shown number. */
  function renumber(group, row, to) {
    var path = group.getAttribute("data-group");
    var from = row.getAttribute("data-index");
    var elements = [row].concat(Array.prototype.slice.call(row.querySelectorAll("*")));
    elements.forEach(function (element) {
      NAME_ATTRIBUTES.forEach(function (attribute) {
        rewrite(element, attribute, path + "/" + from, path + "/" + to, "/");
      });
      if (element.matches("button[name=_add], button[name=_remove]")) {
        rewrite(element, "value", path + "/" + from, path + "/" + to, "/");
      }
      ID_ATTRIBUTES.forEach(function (attribute) {
        rewrite(element, attribute, idOf(path) + "-" + from, idOf(path) + "-" + to, "-");
      });
    });
    row.setAttribute("data-index", String(to));
    row.querySelectorAll("[data-row-number]").forEach(function (number) {
      if (number.closest(".group__row") === row) {
        number.textContent = String(to + 1);
      }
    });
  }

  /** Enable or disable the Add and Remove buttons for the group's minimum and maximum row counts. */
  function refresh(group) {
    var rows = rowsOf(group);
    var least = Number(group.getAttribute("data-min") || 1);
    var most = group.hasAttribute("data-max") ? Number(group.getAttribute("data-max")) : Infinity;
    group.querySelector(":scope > .group__add").disabled = rows.length >= most;
    rows.forEach(function (row) {
      row.querySelector(":scope > .group__remove").disabled = rows.length <= least;
    });
  }

  /** Move the focus to the first control of `row`, or to `fallback`. */
  function focusIn(row, fallback) {
    var target = row ? row.querySelector(CONTROLS) : null;
    (target || fallback).focus();
  }

  /** Append a copy of the group's template row, numbered after the last row. */
  function addRow(group) {
    var template = group.querySelector(":scope > template.group__template");
    var row = template.content.firstElementChild.cloneNode(true);
    renumber(group, row, rowsOf(group).length);
    group.querySelector(":scope > .group__rows").appendChild(row);
    refresh(group);
    focusIn(row, group);
  }

  /** Delete `row`, renumber the rows after it, and keep the focus nearby. */
  function removeRow(group, row) {
    var position = rowsOf(group).indexOf(row);
    row.remove();
    var rows = rowsOf(group);
    rows.forEach(function (each, index) {
      if (each.getAttribute("data-index") !== String(index)) {
        renumber(group, each, index);
      }
    });
    refresh(group);
    focusIn(rows[Math.min(position, rows.length - 1)], group.querySelector(":scope > .group__add"));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=_add], button[name=_remove]");
    if (!button || button.disabled) {
      return;
    }
    event.preventDefault();
    if (button.name === "_add") {
      addRow(button.closest("[data-group]"));
    } else {
      var row = button.closest(".group__row");
      removeRow(row.parentElement.closest("[data-group]"), row);
    }
  });

  /** Bring every group's buttons in line with its row count (the server renders them right already). */
  function refreshAll() {
    document.querySelectorAll("[data-group]").forEach(refresh);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refreshAll);
  } else {
    refreshAll();
  }
}());

/*
 * opsflow: draws a process diagram with the vendored bpmn-js viewer and marks where a case stands.
 *
 * Progressive enhancement of
 *   <div class="diagram" data-diagram-url="/cases/12/diagram.json" aria-label="..."
 *        data-error-text="..."></div>
 * The URL answers {"xml": "<bpmn xml>", "done": [ids], "current": [ids], "waiting": [ids],
 * "labels": {"done": "...", "current": "...", "waiting": "..."}}. The legend is server-rendered.
 *
 * Needs the global BpmnJS from vendor/bpmn-js/bpmn-viewer.production.min.js, loaded before this file.
 * No inline script or style attribute is written (CSP script-src 'self'); inline positions are set
 * through element.style, which CSP allows.
 *
 * Keys while the diagram has focus: + zooms in, - zooms out, 0 fits, arrows pan.
 * Ctrl + mouse wheel (or a trackpad pinch) zooms; a plain wheel scrolls the page as usual.
 * Optional attributes for translated button names: data-zoom-in-label, data-zoom-out-label,
 * data-fit-label.
 */
(function () {
  'use strict';

  var SVG_NS = 'http://www.w3.org/2000/svg';
  // Later states win: a node both done and current is current.
  var STATES = ['done', 'waiting', 'current'];
  var MIN_SCALE = 0.1;
  var MAX_SCALE = 4;
  var STEP = 1.25;
  var PAN = 48;
  var FIT_PADDING = 16;
  // Below these scales a step's label is too small to read (a phone's screen is held closer); see initialView.
  var READABLE = 0.9;
  var READABLE_NARROW = 0.75;
  var NARROW = 600;
  var viewers = new WeakMap();

  function clamp(value) {
    return Math.min(MAX_SCALE, Math.max(MIN_SCALE, value));
  }

  function showError(container) {
    var state = viewers.get(container);
    if (state) {
      state.dispose();
    }
    var message = document.createElement('p');
    message.className = 'diagram-error';
    message.textContent = container.getAttribute('data-error-text') || 'The diagram could not be shown.';
    container.replaceChildren(message);
    container.classList.remove('diagram--loading', 'diagram--strip', 'diagram--zoomed');
    container.classList.add('diagram--error');
    container.removeAttribute('tabindex');
    container.removeAttribute('aria-keyshortcuts');
    container.removeAttribute('aria-busy');
    container.setAttribute('data-diagram-state', 'error');
  }

  // Centres the whole diagram with a small margin, never enlarging it past 100 %.
  function fit(canvas) {
    var box = canvas.viewbox();
    var inner = box.inner;
    var outer = box.outer;
    if (!inner.width || !inner.height || !outer.width || !outer.height) {
      return;
    }
    var scale = Math.min(
      1,
      Math.max(outer.width - 2 * FIT_PADDING, 1) / inner.width,
      Math.max(outer.height - 2 * FIT_PADDING, 1) / inner.height
    );
    var width = outer.width / scale;
    var height = outer.height / scale;
    canvas.viewbox({
      x: inner.x - (width - inner.width) / 2,
      y: inner.y - (height - inner.height) / 2,
      width: width,
      height: height
    });
  }

  // Where a window of `size` starts to show `centre`, kept within lo..hi (centred when it is wider).
  function place(centre, size, lo, hi) {
    if (hi - lo <= size) {
      return (lo + hi - size) / 2;
    }
    return Math.max(lo, Math.min(centre - size / 2, hi - size));
  }

  // The first view. The whole diagram when it fits at a readable scale; otherwise the readable scale,
  // centred on the focus (current, else waiting, else done steps), and the rest reached by dragging,
  // a sideways swipe or the zoom buttons. Returns 'fit' or 'strip'.
  function initialView(canvas, focus) {
    var box = canvas.viewbox();
    var inner = box.inner;
    var outer = box.outer;
    if (!inner.width || !inner.height || !outer.width || !outer.height) {
      return 'fit';
    }
    var fitScale = Math.min(1, (outer.width - 2 * FIT_PADDING) / inner.width,
      (outer.height - 2 * FIT_PADDING) / inner.height);
    var readable = outer.width < NARROW ? READABLE_NARROW : READABLE;
    if (fitScale >= readable || !focus) {
      fit(canvas);
      return 'fit';
    }
    var width = outer.width / readable;
    var height = outer.height / readable;
    var pad = FIT_PADDING / readable;
    canvas.viewbox({
      x: place(focus.x + focus.width / 2, width, inner.x - pad, inner.x + inner.width + pad),
      y: place(focus.y + focus.height / 2, height, inner.y - pad, inner.y + inner.height + pad),
      width: width,
      height: height
    });
    return 'strip';
  }

  // Bounding box of the first non-empty group of marked shapes, in diagram coordinates.
  function focusBox(registry, stateOf) {
    var groups = [['current', 'waiting'], ['done']];
    for (var g = 0; g < groups.length; g++) {
      var shapes = Object.keys(stateOf).filter(function (id) {
        return groups[g].indexOf(stateOf[id]) !== -1;
      }).map(function (id) {
        return registry.get(id);
      }).filter(function (element) {
        return element && !element.waypoints && typeof element.x === 'number';
      });
      if (shapes.length) {
        var x1 = Math.min.apply(null, shapes.map(function (e) { return e.x; }));
        var y1 = Math.min.apply(null, shapes.map(function (e) { return e.y; }));
        var x2 = Math.max.apply(null, shapes.map(function (e) { return e.x + e.width; }));
        var y2 = Math.max.apply(null, shapes.map(function (e) { return e.y + e.height; }));
        return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
      }
    }
    return null;
  }

  // An SVG element with its attributes.
  function svgElement(tag, attributes) {
    var element = document.createElementNS(SVG_NS, tag);
    Object.keys(attributes).forEach(function (name) {
      element.setAttribute(name, attributes[name]);
    });
    return element;
  }

  // Diagonal hatching for done shapes, so "done" differs by pattern and not only by colour.
  function addHatchPattern(container) {
    var svg = container.querySelector('svg');
    if (!svg || svg.querySelector('#opsflow-done-hatch')) {
      return;
    }
    var defs = svgElement('defs', {});
    var pattern = svgElement('pattern', {id: 'opsflow-done-hatch', width: '8', height: '8',
      patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)'});
    pattern.appendChild(svgElement('rect', {width: '8', height: '8', 'class': 'opsflow-hatch-background'}));
    pattern.appendChild(svgElement('line', {x1: '0', y1: '0', x2: '0', y2: '8', 'class': 'opsflow-hatch-line'}));
    defs.appendChild(pattern);
    svg.insertBefore(defs, svg.firstChild);
  }

  function mark(viewer, data) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var labels = data.labels || {};
    var stateOf = {};
    STATES.forEach(function (state) {
      (Array.isArray(data[state]) ? data[state] : []).forEach(function (id) {
        if (typeof id === 'string' && registry.get(id)) {
          stateOf[id] = state;
        }
      });
    });
    Object.keys(stateOf).forEach(function (id) {
      var state = stateOf[id];
      canvas.addMarker(id, 'opsflow-' + state);
      var element = registry.get(id);
      var gfx = registry.getGraphics(element);
      var name = element.businessObject && element.businessObject.name;
      if (gfx && labels[state]) {
        var title = document.createElementNS(SVG_NS, 'title');
        title.textContent = (name ? name + ' \u2014 ' : '') + labels[state];
        gfx.insertBefore(title, gfx.firstChild);
      }
    });
    // A sequence flow from a done node into a reached node was taken.
    registry.filter(function (element) {
      return element.type === 'bpmn:SequenceFlow' && element.source && element.target;
    }).forEach(function (flow) {
      if (stateOf[flow.source.id] === 'done' && stateOf[flow.target.id]) {
        canvas.addMarker(flow.id, 'opsflow-done');
      }
    });
    return stateOf;
  }

  function button(cls, label, text, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'diagram-tool ' + cls;
    b.setAttribute('aria-label', label);
    b.title = label;
    if (text) {
      b.textContent = text;
    } else {
      // Four corners: "fit the whole diagram".
      var svg = svgElement('svg', {viewBox: '0 0 16 16', width: '16', height: '16', 'aria-hidden': 'true'});
      svg.appendChild(svgElement('path', {d: 'M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4', fill: 'none',
        stroke: 'currentColor', 'stroke-width': '2'}));
      b.appendChild(svg);
    }
    b.addEventListener('click', onClick);
    return b;
  }

  function setup(container) {
    if (container.hasAttribute('data-diagram-state')) {
      return;
    }
    container.setAttribute('data-diagram-state', 'loading');
    container.classList.add('diagram--loading');
    container.setAttribute('aria-busy', 'true');
    if (!container.hasAttribute('role')) {
      container.setAttribute('role', 'group');
    }
    if (!container.hasAttribute('tabindex')) {
      container.setAttribute('tabindex', '0');
    }
    container.setAttribute('aria-keyshortcuts', '+ - 0 ArrowLeft ArrowRight ArrowUp ArrowDown');
    if (typeof window.BpmnJS !== 'function' || typeof window.fetch !== 'function') {
      showError(container);
      return;
    }

    var url = container.getAttribute('data-diagram-url');
    var host = document.createElement('div');
    host.className = 'diagram-canvas';
    host.setAttribute('aria-hidden', 'true');
    container.replaceChildren(host);
    var viewer = new window.BpmnJS({ container: host });
    var canvas = viewer.get('canvas');
    // 'fit': whole diagram; 'strip': initialView's readable view of the focus; 'zoomed': the user moved.
    var mode = 'fit';
    var auto = true;
    var focus = null;
    var resizeObserver = null;
    var state = {
      viewer: viewer,
      dispose: function () {
        if (resizeObserver) {
          resizeObserver.disconnect();
        }
        viewer.destroy();
        viewers.delete(container);
      }
    };
    viewers.set(container, state);

    function setMode(value) {
      mode = value;
      container.classList.toggle('diagram--strip', value === 'strip');
      container.classList.toggle('diagram--zoomed', value === 'zoomed');
    }
    function userMoved() {
      auto = false;
      setMode('zoomed');
    }
    function refit() {
      auto = false;
      fit(canvas);
      setMode('fit');
    }
    function zoomBy(factor, center) {
      canvas.zoom(clamp(canvas.zoom() * factor), center);
      userMoved();
    }

    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('diagram ' + url + ': HTTP ' + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (!data || typeof data.xml !== 'string') {
          throw new Error('diagram ' + url + ': no xml');
        }
        return viewer.importXML(data.xml).then(function () {
          return data;
        });
      })
      .then(function (data) {
        if (!container.isConnected) {
          state.dispose();
          return;
        }
        addHatchPattern(host);
        focus = focusBox(viewer.get('elementRegistry'), mark(viewer, data));
        canvas.resized();
        setMode(initialView(canvas, focus));

        var tools = document.createElement('div');
        tools.className = 'diagram-tools';
        tools.appendChild(button('diagram-zoom-in',
          container.getAttribute('data-zoom-in-label') || 'Zoom in', '+',
          function () { zoomBy(STEP); }));
        tools.appendChild(button('diagram-zoom-out',
          container.getAttribute('data-zoom-out-label') || 'Zoom out', '\u2212',
          function () { zoomBy(1 / STEP); }));
        tools.appendChild(button('diagram-fit',
          container.getAttribute('data-fit-label') || 'Fit diagram', '', refit));
        container.appendChild(tools);

        container.classList.remove('diagram--loading');
        container.removeAttribute('aria-busy');
        container.setAttribute('data-diagram-state', 'ready');

        if (typeof window.ResizeObserver === 'function') {
          resizeObserver = new ResizeObserver(function () {
            canvas.resized();
            if (auto) {
              setMode(initialView(canvas, focus));
            } else if (mode === 'fit') {
              fit(canvas);
            }
          });
          resizeObserver.observe(host);
        }
      })
      .catch(function (error) {
        if (window.console) {
          window.console.warn(error);
        }
        showError(container);
      });

    container.addEventListener('keydown', function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.target !== container ||
          container.getAttribute('data-diagram-state') !== 'ready') {
        return;
      }
      switch (event.key) {
        case '+':
        case '=':
          zoomBy(STEP);
          break;
        case '-':
        case '_':
          zoomBy(1 / STEP);
          break;
        case '0':
          refit();
          break;
        case 'ArrowLeft':
          canvas.scroll({ dx: PAN, dy: 0 });
          userMoved();
          break;
        case 'ArrowRight':
          canvas.scroll({ dx: -PAN, dy: 0 });
          userMoved();
          break;
        case 'ArrowUp':
          canvas.scroll({ dx: 0, dy: PAN });
          userMoved();
          break;
        case 'ArrowDown':
          canvas.scroll({ dx: 0, dy: -PAN });
          userMoved();
          break;
        default:
          return;
      }
      event.preventDefault();
    });

    // Only ctrl + wheel zooms (a trackpad pinch arrives as one); a plain wheel scrolls the page.
    container.addEventListener('wheel', function (event) {
      if (!event.ctrlKey || container.getAttribute('data-diagram-state') !== 'ready') {
        return;
      }
      event.preventDefault();
      var rect = host.getBoundingClientRect();
      var delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      zoomBy(Math.exp(-delta * 0.002), { x: event.clientX - rect.left, y: event.clientY - rect.top });
    }, { passive: false });

    // Drag to pan: always with a mouse or pen. With a finger only where the CSS stops the browser
    // from taking the gesture for page scrolling: sideways in the strip view (touch-action: pan-y),
    // any way once zoomed (touch-action: none); over the whole-diagram fit a finger scrolls the page.
    var drag = null;
    host.addEventListener('pointerdown', function (event) {
      if (event.button !== 0 || event.target.closest('a, button') ||
          (event.pointerType === 'touch' && mode === 'fit')) {
        return;
      }
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY, moved: false,
        sideways: event.pointerType === 'touch' && mode === 'strip' };
      host.setPointerCapture(event.pointerId);
      if (event.pointerType !== 'touch') {
        // No text selection while dragging; focus the diagram so its keys work after a click.
        event.preventDefault();
        container.focus({ preventScroll: true });
      }
    });
    host.addEventListener('pointermove', function (event) {
      if (!drag || event.pointerId !== drag.id) {
        return;
      }
      var dx = event.clientX - drag.x;
      var dy = drag.sideways ? 0 : event.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 3) {
        return;
      }
      drag.moved = true;
      drag.x = event.clientX;
      drag.y = event.clientY;
      canvas.scroll({ dx: dx, dy: dy });
      if (drag.sideways) {
        auto = false;
      } else {
        userMoved();
      }
      host.classList.add('diagram-canvas--dragging');
    });
    function endDrag(event) {
      if (drag && event.pointerId === drag.id) {
        drag = null;
        host.classList.remove('diagram-canvas--dragging');
      }
    }
    host.addEventListener('pointerup', endDrag);
    host.addEventListener('pointercancel', endDrag);
  }

  function setupAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches('.diagram[data-diagram-url]')) {
      setup(scope);
    }
    scope.querySelectorAll('.diagram[data-diagram-url]').forEach(setup);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { setupAll(document); });
  } else {
    setupAll(document);
  }
  // Content swapped in by htmx.
  document.addEventListener('htmx:load', function (event) { setupAll(event.target); });
  document.addEventListener('htmx:beforeCleanupElement', function (event) {
    var state = viewers.get(event.target);
    if (state) {
      state.dispose();
    }
  });
}());

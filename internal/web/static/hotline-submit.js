// The public 12345 form (internal/hotline, submit_form.html). Without this
// script the form still works: the category is a plain select and the
// place is the district and the address. With it, a text box filters the
// category list, and, when the deployment configured a tile server, a map
// takes a pin (written into the lat and lng fields).
(function () {
  'use strict';
  function ready(fn) {
    if (document.readyState !== 'loading') fn(); else document.addEventListener('DOMContentLoaded', fn);
  }
  function refreshSimilar() {
    var c = document.getElementById('content');
    if (c && window.htmx) window.htmx.trigger(c, 'refresh');
  }

  // Category filter: rebuild the select from the full list, keeping the
  // groups whose name or matters contain what was typed.
  function categoryFilter() {
    var box = document.getElementById('cat-filter');
    var sel = document.getElementById('category_code');
    if (!box || !sel) return;
    var all = Array.prototype.map.call(sel.querySelectorAll('optgroup'), function (g) {
      return { label: g.label, options: Array.prototype.map.call(g.querySelectorAll('option'), function (o) {
        return { value: o.value, text: o.textContent };
      }) };
    });
    box.hidden = false;
    box.addEventListener('input', function () {
      var q = box.value.trim().toLowerCase();
      var current = sel.value;
      while (sel.options.length > 1) sel.remove(1);
      Array.prototype.forEach.call(sel.querySelectorAll('optgroup'), function (g) { g.remove(); });
      var first = null;
      all.forEach(function (g) {
        var inGroup = g.label.toLowerCase().indexOf(q) >= 0;
        var keep = g.options.filter(function (o) { return !q || inGroup || o.text.toLowerCase().indexOf(q) >= 0; });
        if (!keep.length) return;
        var og = document.createElement('optgroup');
        og.label = g.label;
        keep.forEach(function (o) {
          var opt = new Option(o.text, o.value, false, o.value === current);
          og.appendChild(opt);
          if (!first) first = o.value;
        });
        sel.appendChild(og);
      });
      if (q && first && !sel.querySelector('option[value="' + current + '"]')) sel.value = first;
    });
  }

  // Map pin: a tap sets the pin, the pin can be dragged, and a button
  // takes it away again.
  function mapPin() {
    var el = document.getElementById('map');
    if (!el || !window.L) return;
    var lat = document.getElementById('lat');
    var lng = document.getElementById('lng');
    var centre = (el.dataset.centre || '').split(',').map(Number);
    if (centre.length < 2 || centre.some(isNaN)) centre = [30.0, 120.0, 12];
    var map = window.L.map(el, { tap: true }).setView([centre[0], centre[1]], centre[2] || 13);
    window.L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || '' }).addTo(map);
    var marker = null;
    var clear = document.getElementById('pin-clear');
    function place(ll) {
      lat.value = ll.lat.toFixed(6);
      lng.value = ll.lng.toFixed(6);
      if (!marker) {
        marker = window.L.marker(ll, { draggable: true, keyboard: true, title: el.dataset.pinLabel || '' }).addTo(map);
        marker.on('dragend', function () { place(marker.getLatLng()); });
      } else {
        marker.setLatLng(ll);
      }
      if (clear) clear.hidden = false;
      refreshSimilar();
    }
    if (lat.value && lng.value && !isNaN(+lat.value) && !isNaN(+lng.value)) {
      place(window.L.latLng(+lat.value, +lng.value));
      map.setView(marker.getLatLng(), 16);
    }
    map.on('click', function (e) { place(e.latlng); });
    if (clear) {
      clear.addEventListener('click', function () {
        if (marker) { map.removeLayer(marker); marker = null; }
        lat.value = ''; lng.value = '';
        clear.hidden = true;
        refreshSimilar();
      });
    }
    el.hidden = false;
    map.invalidateSize();
  }

  ready(function () { categoryFilter(); mapPin(); });
})();

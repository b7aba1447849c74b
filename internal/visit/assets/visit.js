// The visit page's outbox: an inspector in a cellar or a village with a
// weak signal must lose nothing. Every form marked data-outbox is not
// posted directly: its fields (photos and the drawn signature included)
// are put in a queue in IndexedDB, and the queue is sent in order, now and
// whenever the network returns (the online event, and every few seconds).
// Each entry carries the idempotency key its form was given, so an entry
// sent twice (the answer was lost on the way back) changes nothing on the
// server. The box at the top says what is waiting. Without this script the
// forms post as ordinary forms.
(function () {
  'use strict';
  var box = document.getElementById('outbox');
  if (!box || !window.indexedDB || !window.fetch) return;
  var DBNAME = 'ys-visit-outbox', STORE = 'queue';
  var refused = [], sent = 0, busy = false;

  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DBNAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(STORE, mode), out;
        out = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out && out.result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all() { return tx('readonly', function (s) { return s.getAll(); }).then(function (xs) { return xs || []; }); }
  function add(e) { return tx('readwrite', function (s) { return s.add(e); }); }
  function del(id) { return tx('readwrite', function (s) { return s.delete(id); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  function text(el, s) { var p = document.createElement('p'); p.textContent = s; el.appendChild(p); }

  function show() {
    return all().then(function (xs) {
      var here = xs.filter(function (e) { return e.page === location.pathname; });
      box.textContent = '';
      box.classList.toggle('done', here.length === 0);
      if (here.length) {
        if (!navigator.onLine) text(box, box.dataset.offline);
        text(box, box.dataset.waiting.replace('{n}', here.length));
        var ul = document.createElement('ul');
        here.forEach(function (e) { var li = document.createElement('li'); li.textContent = e.label; ul.appendChild(li); });
        box.appendChild(ul);
      } else if (sent) {
        text(box, box.dataset.sent);
      }
      refused.forEach(function (r) { text(box, box.dataset.refused + r); });
      box.hidden = !(here.length || sent || refused.length);
      return here.length;
    });
  }

  // flush sends the queue in order. A network failure, a server error or
  // a sign-in redirect stops it and keeps the entry for the next try; a
  // refusal (4xx) drops the entry, since sending it again would not help,
  // and says why.
  function flush() {
    if (busy) return Promise.resolve();
    busy = true;
    var again = false;
    return all().then(function (xs) {
      var chain = Promise.resolve(true);
      xs.forEach(function (e) {
        chain = chain.then(function (go) {
          if (!go) return false;
          // A form with a file goes multipart, any other urlencoded.
          var files = e.fields.some(function (f) { return f[1] instanceof Blob; });
          var fd = files ? new FormData() : new URLSearchParams();
          e.fields.forEach(function (f) {
            if (f[1] instanceof Blob) fd.append(f[0], f[1], f[2] || 'file');
            else fd.append(f[0], f[1]);
          });
          return fetch(e.url, { method: 'POST', body: fd, credentials: 'same-origin', headers: { 'X-Outbox': '1' } })
            .then(function (res) {
              if (res.redirected || res.status >= 500 || res.status === 429 || res.status === 408) return false;
              if (res.ok) { sent++; again = again || e.page === location.pathname; return del(e.id).then(function () { return true; }); }
              return res.json().catch(function () { return {}; }).then(function (j) {
                refused.push(e.label + (j.error ? '（' + j.error + '）' : ''));
                return del(e.id).then(function () { return true; });
              });
            }, function () { return false; });
        });
      });
      return chain;
    }).then(show).then(function (left) {
      busy = false;
      // Everything this page queued has been taken: show the server's state.
      if (left === 0 && again && !refused.length) location.reload();
    }, function () { busy = false; });
  }

  // The signature pad: drawn with a finger, a pen or a mouse.
  var drawn = false;
  var canvas = document.getElementById('signature');
  if (canvas) {
    var ctx = canvas.getContext('2d'), last = null;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 3;
    ctx.lineCap = 'round';
    ctx.strokeStyle = '#000';
    var at = function (ev) {
      var r = canvas.getBoundingClientRect();
      return { x: (ev.clientX - r.left) * canvas.width / r.width, y: (ev.clientY - r.top) * canvas.height / r.height };
    };
    canvas.addEventListener('pointerdown', function (ev) { last = at(ev); canvas.setPointerCapture(ev.pointerId); ev.preventDefault(); });
    canvas.addEventListener('pointermove', function (ev) {
      if (!last) return;
      var p = at(ev);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; drawn = true; ev.preventDefault();
    });
    var up = function () { last = null; };
    canvas.addEventListener('pointerup', up);
    canvas.addEventListener('pointercancel', up);
    var clear = document.querySelector('[data-clear]');
    if (clear) clear.addEventListener('click', function () {
      ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height); drawn = false;
    });
  }

  function fields(form) {
    var out = [];
    new FormData(form).forEach(function (v, k) {
      if (v instanceof File) { if (v.size) out.push([k, v, v.name]); } else out.push([k, v]);
    });
    return out;
  }

  document.querySelectorAll('form[data-outbox]').forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var ready = Promise.resolve(fields(form));
      if (form.hasAttribute('data-signature')) {
        if (!drawn) return;
        ready = new Promise(function (resolve) { canvas.toBlob(resolve, 'image/png'); }).then(function (blob) {
          return fields(form).filter(function (f) { return f[0] !== 'file'; }).concat([['file', blob, 'signature.png']]);
        });
      }
      ready.then(function (fs) {
        var key = form.querySelector('[name=idempotency_key]');
        var entry = { url: form.action, page: location.pathname, label: form.dataset.label, fields: fs, at: Date.now() };
        return add(entry).then(function () {
          // The next submission of this form is a new one.
          if (key) key.value = newKey();
          if (!form.hasAttribute('data-signature')) {
            var file = form.querySelector('input[type=file]');
            if (file) file.value = '';
          }
          return show();
        });
      }).then(flush);
    });
  });

  window.addEventListener('online', flush);
  window.addEventListener('offline', show);
  setInterval(flush, 5000);
  show().then(flush);
})();

// merchant-bind admin UI: the binding-code dialog (生成绑定码), copy link, demo scans, confirmations.
(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name=csrf-token]') || {}).content || '';
  var dlg = document.getElementById('bind-dialog');
  var $ = function (id) { return document.getElementById(id); };
  var current = null; // merchant id shown in the dialog
  var changed = false;

  function request(method, url, form) {
    var opts = { method: method, headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf }, credentials: 'same-origin' };
    if (form) {
      opts.body = new URLSearchParams(new FormData(form));
    }
    return fetch(url, opts).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        return { status: res.status, body: body };
      });
    });
  }

  function show(state, msg) {
    $('bd-loading').classList.toggle('hidden', state !== 'loading');
    $('bd-body').classList.toggle('hidden', state !== 'ready');
    $('bd-error').classList.toggle('hidden', state !== 'error');
    if (state === 'error') { $('bd-error').textContent = msg; }
  }

  function fill(c) {
    $('bd-img').src = c.image;
    $('bd-download').href = c.download;
    $('bd-link').value = c.showqrcode;
    $('bd-open').href = c.showqrcode;
    $('bd-expires').textContent = c.expires_at;
    $('bd-scene').textContent = 'scene: ' + c.scene;
    var reply = $('bd-reply');
    if (reply) { reply.classList.add('hidden'); }
    show('ready');
  }

  function failed(r) {
    var b = r.body || {};
    var msg = b.message || ('HTTP ' + r.status);
    if (b.errcode) { msg += ' (errcode ' + b.errcode + ')'; }
    show('error', msg);
  }

  function issue() {
    show('loading');
    return request('POST', '/merchants/' + current + '/code').then(function (r) {
      if (r.status === 201) { fill(r.body); } else { failed(r); }
    }, function () { show('error', '网络错误 Network error'); });
  }

  // open shows the merchant's current code, creating one when there is none. In the demo, the
  // WeChat user whose nickname is the merchant's contact is preselected.
  function open(id, name, contact) {
    current = id;
    $('bd-merchant').textContent = name;
    var sel = document.querySelector('#bd-demo select');
    if (sel && contact) {
      for (var i = 0; i < sel.options.length; i++) {
        if (sel.options[i].text === contact) { sel.selectedIndex = i; }
      }
    }
    show('loading');
    if (!dlg.open) { dlg.showModal(); }
    request('GET', '/merchants/' + id + '/code').then(function (r) {
      if (r.status === 200) { fill(r.body); } else if (r.status === 404) { issue(); } else { failed(r); }
    }, function () { show('error', '网络错误 Network error'); });
  }

  function copy() {
    var input = $('bd-link');
    var done = function () { $('bd-copy').textContent = '已复制 Copied'; setTimeout(function () { $('bd-copy').textContent = '复制链接 Copy link'; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      return;
    }
    input.select();
    try { if (document.execCommand('copy')) { done(); } } catch (e) { /* the text stays selected */ }
  }

  document.addEventListener('click', function (e) {
    var b = e.target.closest('[data-bind]');
    if (b && dlg) { open(b.getAttribute('data-bind'), b.getAttribute('data-name'), b.getAttribute('data-contact')); return; }
    if (e.target.closest('[data-close]') && dlg) { dlg.close(); }
  });

  document.addEventListener('submit', function (e) {
    var msg = e.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });

  if (!dlg) { return; }
  $('bd-copy').addEventListener('click', copy);
  $('bd-regen').addEventListener('click', issue);
  dlg.addEventListener('close', function () { if (changed) { location.reload(); } });
  var demo = $('bd-demo');
  if (demo) {
    demo.addEventListener('submit', function (e) {
      e.preventDefault();
      var reply = $('bd-reply');
      var btn = demo.querySelector('button');
      btn.disabled = true;
      request('POST', '/demo/merchants/' + current + '/scan', demo).then(function (r) {
        btn.disabled = false;
        reply.classList.remove('hidden');
        reply.classList.toggle('err', r.status !== 200);
        reply.textContent = r.status === 200 ? (r.body.user + ' 收到回复 got: ' + r.body.reply) : ((r.body && r.body.message) || ('HTTP ' + r.status));
        reply.scrollIntoView({ block: 'nearest' });
        changed = true;
      }, function () { btn.disabled = false; });
    });
  }
})();
